//! Splitting a `multi_shard` command (MGET, MSET, DEL, UNLINK, EXISTS, TOUCH, ...) whose keys
//! span slots into one sub-command per slot, each keeping its keys in the client's order.
//!
//! The shape comes from the row's single key spec: keys start at a fixed index and repeat
//! every `step` arguments up to the end, each key owning the `step - 1` arguments after it
//! (MSET's values). A command whose keys do not tile its arguments that way is not split
//! (the caller answers `CROSSSLOT`).

use std::collections::HashMap;

use bytes::Bytes;
use shoal_common::key_hash_slot;

/// Parts found by a linear scan; beyond this, by a map.
const PARTS_SCANNED_MAX: usize = 16;

/// One sub-command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The slot all its keys share.
    pub slot: u16,
    /// The sub-command (name first).
    pub argv: Vec<Bytes>,
    /// For each of its keys, the key's position among the client's keys (0-based).
    pub positions: Vec<usize>,
}

/// Splits `argv` by slot; `keys` are the argument indices of its keys, in order. `None` when
/// the keys do not tile the arguments.
pub fn split(argv: &[Bytes], keys: &[usize]) -> Option<Vec<Part>> {
    let first = *keys.first()?;
    let step = match keys.get(1) {
        Some(second) => second.checked_sub(first)?,
        None => argv.len().checked_sub(first)?,
    };
    if step == 0 {
        return None;
    }
    let tiles = keys.iter().enumerate().all(|(n, &k)| k == first + n * step);
    if !tiles || first + keys.len() * step != argv.len() {
        return None;
    }
    let mut parts: Vec<Part> = Vec::new();
    // Few parts (the usual MGET/MSET/DEL): a scan beats hashing; many: a map.
    let mut by_slot: HashMap<u16, usize> = HashMap::new();
    for (n, &k) in keys.iter().enumerate() {
        let slot = key_hash_slot(&argv[k]).get();
        let found = if parts.len() <= PARTS_SCANNED_MAX {
            parts.iter().position(|p| p.slot == slot)
        } else {
            if by_slot.is_empty() {
                by_slot.extend(parts.iter().enumerate().map(|(i, p)| (p.slot, i)));
            }
            by_slot.get(&slot).copied()
        };
        let i = found.unwrap_or_else(|| {
            let mut sub = Vec::with_capacity(first + step);
            sub.extend_from_slice(&argv[..first]);
            parts.push(Part {
                slot,
                argv: sub,
                positions: Vec::new(),
            });
            if !by_slot.is_empty() {
                by_slot.insert(slot, parts.len() - 1);
            }
            parts.len() - 1
        });
        parts[i].argv.extend_from_slice(&argv[k..k + step]);
        parts[i].positions.push(n);
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<Bytes> {
        a.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    #[test]
    fn mset_keeps_values_with_keys() {
        let a = argv(&["MSET", "a", "1", "b", "2", "{a}x", "3"]);
        let parts = split(&a, &[1, 3, 5]).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].argv, argv(&["MSET", "a", "1", "{a}x", "3"]));
        assert_eq!(parts[0].positions, vec![0, 2]);
        assert_eq!(parts[1].argv, argv(&["MSET", "b", "2"]));
        assert_eq!(parts[1].positions, vec![1]);
    }

    #[test]
    fn mget_and_untiled() {
        let a = argv(&["MGET", "a", "b", "c"]);
        let parts = split(&a, &[1, 2, 3]).unwrap();
        let total: usize = parts.iter().map(|p| p.positions.len()).sum();
        assert_eq!(total, 3);
        // Keys not reaching the end (a trailing option) are not split.
        assert!(split(&argv(&["X", "a", "b", "opt"]), &[1, 2]).is_none());
        assert!(split(&a, &[]).is_none());
    }

    #[test]
    fn many_slots_keep_every_key_once_in_order() {
        // More parts than the linear scan covers: the map takes over mid-way.
        let names: Vec<String> = (0..200).map(|i| format!("k{i}")).collect();
        let mut a = vec!["DEL".to_string()];
        a.extend(names.iter().cloned());
        a.extend(names.iter().take(50).cloned()); // repeats land in existing parts
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let argv = argv(&refs);
        let keys: Vec<usize> = (1..argv.len()).collect();
        let parts = split(&argv, &keys).unwrap();
        let mut seen = vec![0; keys.len()];
        for p in &parts {
            assert_eq!(p.argv.len(), p.positions.len() + 1);
            for (&pos, key) in p.positions.iter().zip(&p.argv[1..]) {
                assert_eq!(key, &argv[pos + 1]);
                assert_eq!(key_hash_slot(key).get(), p.slot);
                seen[pos] += 1;
            }
            assert!(p.positions.windows(2).all(|w| w[0] < w[1]));
        }
        assert!(seen.iter().all(|&n| n == 1));
        let slots: std::collections::HashSet<u16> = parts.iter().map(|p| p.slot).collect();
        assert_eq!(slots.len(), parts.len(), "one part per slot");
    }
}
