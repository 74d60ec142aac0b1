//! Key extraction from a command's arguments, driven by its key specs (Redis
//! `getKeysUsingKeySpecs`), and the legacy first/last/step triple `COMMAND INFO` reports
//! (Redis `populateCommandLegacyRangeSpec`).
//!
//! Used by the node's cluster redirect, the router's routing and `COMMAND GETKEYS`, so that a
//! key is found the same way everywhere.

use super::{BeginSearch, CommandSpec, FindKeys, KeySpec};
use crate::number::parse_i64;

/// Why keys could not be extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysError {
    /// A key-count argument is not a valid integer or points past the arguments
    /// (Redis: "Invalid arguments specified for command").
    Invalid,
}

fn as_index(i: i64) -> Option<usize> {
    usize::try_from(i).ok()
}

/// Appends to `out` the argument index of every key of `argv` found by `spec`'s key specs.
/// Indices may repeat when specs overlap; callers that care dedupe.
pub fn key_indices<A: AsRef<[u8]>>(
    spec: &CommandSpec,
    argv: &[A],
    out: &mut Vec<usize>,
) -> Result<(), KeysError> {
    if spec.id == super::CommandId::Sort {
        sort_key_indices(argv, out);
        return Ok(());
    }
    for ks in spec.key_specs {
        spec_indices(ks, argv, out)?;
    }
    Ok(())
}

/// SORT's keys (Redis `sortGetKeys`): the sorted key, and the last `STORE` destination.
/// Its key specs cannot say where STORE is (they are `unknown`), so this is the escape hatch
/// Redis's `getkeys_proc` is. BY/GET patterns name keys only at run time and are not keys.
fn sort_key_indices<A: AsRef<[u8]>>(argv: &[A], out: &mut Vec<usize>) {
    if argv.len() < 2 {
        return;
    }
    out.push(1);
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let a = argv[i].as_ref();
        if a.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"get") || a.eq_ignore_ascii_case(b"by") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"store") && i + 1 < argv.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    out.extend(store);
}

/// The keys of one spec.
pub fn spec_indices<A: AsRef<[u8]>>(
    ks: &KeySpec,
    argv: &[A],
    out: &mut Vec<usize>,
) -> Result<(), KeysError> {
    let argc = i64::try_from(argv.len()).unwrap_or(i64::MAX);
    let first = match ks.begin {
        BeginSearch::Index(i) => {
            let i = i64::from(i);
            if i >= argc {
                return Ok(());
            }
            i
        }
        BeginSearch::Keyword { keyword, startfrom } => {
            let start = i64::from(startfrom);
            let (from, to, step): (i64, i64, i64) = if start >= 0 {
                (start, argc - 1, 1)
            } else {
                (argc + start, 1, -1)
            };
            let mut found = None;
            let mut i = from;
            while (step > 0 && i <= to) || (step < 0 && i >= to) {
                if let Some(a) = as_index(i).and_then(|i| argv.get(i))
                    && a.as_ref().eq_ignore_ascii_case(keyword.as_bytes())
                {
                    found = Some(i + 1);
                    break;
                }
                i += step;
            }
            match found {
                Some(f) => f,
                None => return Ok(()),
            }
        }
        BeginSearch::Unknown => return Ok(()),
    };
    let (last, step) = match ks.find {
        FindKeys::Range {
            lastkey,
            step,
            limit,
        } => {
            let lastkey = i64::from(lastkey);
            let last = if lastkey >= 0 {
                first + lastkey
            } else if limit <= 1 {
                argc + lastkey
            } else {
                first + ((argc - first) / i64::from(limit) + lastkey)
            };
            (last, i64::from(step))
        }
        FindKeys::KeyNum {
            keynumidx,
            firstkey,
            step,
        } => {
            let idx = first + i64::from(keynumidx);
            let n = as_index(idx)
                .and_then(|i| argv.get(i))
                .and_then(|a| parse_i64(a.as_ref()))
                .ok_or(KeysError::Invalid)?;
            if n < 0 {
                return Err(KeysError::Invalid);
            }
            let start = first + i64::from(firstkey);
            if n == 0 {
                return Ok(());
            }
            let step = i64::from(step);
            let last = start + (n - 1) * step;
            if last >= argc {
                return Err(KeysError::Invalid);
            }
            out_range(start, last, step, argc, out)?;
            return Ok(());
        }
        FindKeys::Unknown => return Ok(()),
    };
    out_range(first, last, step, argc, out)
}

fn out_range(
    first: i64,
    last: i64,
    step: i64,
    argc: i64,
    out: &mut Vec<usize>,
) -> Result<(), KeysError> {
    if step <= 0 {
        return Err(KeysError::Invalid);
    }
    let mut i = first;
    while i <= last {
        if i >= argc || i < 1 {
            return Err(KeysError::Invalid);
        }
        out.push(as_index(i).ok_or(KeysError::Invalid)?);
        i += step;
    }
    Ok(())
}

/// (first, last, step) for `COMMAND INFO`, and whether the command has movable keys.
pub fn legacy_range(spec: &CommandSpec) -> ((i64, i64, i64), bool) {
    use super::key_flags::INCOMPLETE;
    let specs = spec.key_specs;
    if specs.is_empty() {
        return ((0, 0, 0), false);
    }
    if let [only] = specs
        && let (BeginSearch::Index(pos), FindKeys::Range { lastkey, step, .. }) =
            (only.begin, only.find)
    {
        let pos = i64::from(pos);
        let lastkey = i64::from(lastkey);
        let last = if lastkey < 0 { lastkey } else { pos + lastkey };
        return ((pos, last, i64::from(step)), only.flags & INCOMPLETE != 0);
    }
    let mut movable = false;
    let mut firstkey = i64::MAX;
    let mut lastkey: i64 = 0;
    let mut prev_last: i64 = 0;
    for ks in specs {
        let (
            BeginSearch::Index(pos),
            FindKeys::Range {
                lastkey: lk, step, ..
            },
        ) = (ks.begin, ks.find)
        else {
            movable = true;
            continue;
        };
        let pos = i64::from(pos);
        if step != 1 || (prev_last != 0 && prev_last != pos - 1) {
            movable = true;
            continue;
        }
        if ks.flags & INCOMPLETE != 0 {
            movable = true;
        }
        firstkey = firstkey.min(pos);
        let abs = if lk >= 0 {
            i64::from(lk) + pos
        } else {
            i64::from(lk)
        };
        // Redis compares as unsigned so that a negative (from-the-end) last key wins.
        let as_u = |v: i64| v as u64;
        if as_u(abs) > as_u(lastkey) {
            lastkey = abs;
        }
        prev_last = lastkey;
    }
    if firstkey == i64::MAX {
        return ((0, 0, 0), movable);
    }
    ((firstkey, lastkey, 1), movable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::lookup;

    fn keys(argv: &[&str]) -> Result<Vec<String>, KeysError> {
        let argv: Vec<bytes::Bytes> = argv
            .iter()
            .map(|s| bytes::Bytes::from(s.to_string()))
            .collect();
        let spec = lookup(&argv[0]).expect("known command");
        let mut out = Vec::new();
        key_indices(spec, &argv, &mut out)?;
        Ok(out
            .into_iter()
            .map(|i| String::from_utf8_lossy(&argv[i]).into_owned())
            .collect())
    }

    #[test]
    fn extraction() {
        assert_eq!(keys(&["get", "a"]).unwrap(), vec!["a"]);
        assert_eq!(keys(&["mset", "a", "1", "b", "2"]).unwrap(), vec!["a", "b"]);
        assert_eq!(keys(&["del", "a", "b", "c"]).unwrap(), vec!["a", "b", "c"]);
        assert_eq!(keys(&["ping"]).unwrap(), Vec::<String>::new());
    }
}
