//! Redis's glob matcher (`stringmatchlen` in util.c): `*`, `?`, `[...]` with ranges and `^`
//! negation, and `\` escapes. Used by KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE.

/// Does `string` match `pattern`? `nocase` folds ASCII case.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    // Redis limits the recursion for `*`; an iterative matcher with backtracking to the last
    // star has no such depth to bound and runs in O(pattern × string) at worst.
    let eq = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut s) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while s < string.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    if p == pattern.len() {
                        return true;
                    }
                    star = Some((p, s));
                    continue;
                }
                b'?' => {
                    p += 1;
                    s += 1;
                    continue;
                }
                b'[' => {
                    if let Some((true, next_p)) = match_class(pattern, p, string[s], nocase) {
                        p = next_p;
                        s += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pattern.len() => {
                    if eq(pattern[p + 1], string[s]) {
                        p += 2;
                        s += 1;
                        continue;
                    }
                }
                c => {
                    if eq(c, string[s]) {
                        p += 1;
                        s += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, ss)) => {
                p = sp;
                s = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}

/// Matches `c` against the class starting at `pattern[p] == '['`. Returns (matched, index
/// after the class). An unterminated class extends to the end of the pattern, as in Redis.
fn match_class(pattern: &[u8], p: usize, c: u8, nocase: bool) -> Option<(bool, usize)> {
    let mut i = p + 1;
    let not = pattern.get(i) == Some(&b'^');
    if not {
        i += 1;
    }
    let fold = |x: u8| if nocase { x.to_ascii_lowercase() } else { x };
    let c = fold(c);
    let mut matched = false;
    // Unterminated: Redis treats the end of pattern as the end of the class.
    while let Some(&pc) = pattern.get(i) {
        if pc == b'\\' && i + 1 < pattern.len() {
            i += 1;
            if fold(pattern[i]) == c {
                matched = true;
            }
        } else if pc == b']' {
            i += 1;
            return Some((matched != not, i));
        } else if i + 2 < pattern.len() && pattern[i + 1] == b'-' {
            let (mut start, mut end) = (fold(pc), fold(pattern[i + 2]));
            if start > end {
                std::mem::swap(&mut start, &mut end);
            }
            i += 2;
            if c >= start && c <= end {
                matched = true;
            }
        } else if fold(pc) == c {
            matched = true;
        }
        i += 1;
    }
    Some((matched != not, i))
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn patterns() {
        let m = |p: &str, s: &str| glob_match(p.as_bytes(), s.as_bytes(), false);
        assert!(m("*", "anything"));
        assert!(m("h?llo", "hello"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("foo\\*", "foo*"));
        assert!(!m("foo", "foobar"));
        assert!(m("*bar", "foobar"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
        assert!(glob_match(b"MAX*", b"maxclients", true));
    }
}
