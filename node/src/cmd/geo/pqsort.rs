//! The partial quicksort Redis orders a COUNT-limited search with (Redis `pqsort.c`, which
//! adapts the Bentley-McIlroy quicksort of "Engineering a Sort Function", 1993, to sort only
//! the parts of the array that overlap a range of positions).
//!
//! Why not any sort: the algorithm is not stable, so points at the same distance come out
//! in an order only this exact sequence of comparisons and swaps reproduces. Searches that
//! return every point use a stable sort instead (glibc's `qsort` is a merge sort), see
//! [`super::search`].
//!
//! Invariant: after `partial_sort(v, last, cmp)`, `v[..=last]` holds the `last + 1` smallest
//! elements in order; the rest is in no particular order.

use std::cmp::Ordering;

/// Sorts `v` enough that positions `0..=last` hold their final elements.
pub fn partial_sort<T>(v: &mut [T], last: usize, cmp: &impl Fn(&T, &T) -> Ordering) {
    sort_part(v, 0, v.len(), (0, last), cmp);
}

/// The index of the median of three elements.
fn median3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &impl Fn(&T, &T) -> Ordering) -> usize {
    let lt = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Less;
    let gt = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Greater;
    if lt(a, b) {
        if lt(b, c) {
            b
        } else if lt(a, c) {
            c
        } else {
            a
        }
    } else if gt(b, c) {
        b
    } else if lt(a, c) {
        a
    } else {
        c
    }
}

/// Swaps the `n` elements from `a` with the `n` from `b`, pairwise.
fn swap_runs<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// True when positions `lo..lo + len` overlap the wanted range.
fn overlaps(lo: usize, len: usize, want: (usize, usize)) -> bool {
    let hi = lo + len - 1;
    let (l, r) = want;
    !((l < lo && r < lo) || (l > hi && r > hi))
}

/// Sorts the `n` elements from `start`, recursing only into parts that overlap `want`.
fn sort_part<T>(
    v: &mut [T],
    mut start: usize,
    mut n: usize,
    want: (usize, usize),
    cmp: &impl Fn(&T, &T) -> Ordering,
) {
    loop {
        if n < 7 {
            for m in start + 1..start + n {
                let mut l = m;
                while l > start && cmp(&v[l - 1], &v[l]) == Ordering::Greater {
                    v.swap(l, l - 1);
                    l -= 1;
                }
            }
            return;
        }
        let mut pm = start + n / 2;
        if n > 7 {
            let mut pl = start;
            let mut pn = start + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = median3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = median3(v, pm - d, pm, pm + d, cmp);
                pn = median3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = median3(v, pl, pm, pn, cmp);
        }
        v.swap(start, pm);
        let (left_len, right_len) = partition(v, start, n, cmp);
        if left_len > 1 && overlaps(start, left_len, want) {
            sort_part(v, start, left_len, want, cmp);
        }
        if right_len > 1 && overlaps(start + n - right_len, right_len, want) {
            start += n - right_len;
            n = right_len;
            continue;
        }
        return;
    }
}

/// Three-way partition of `n` elements from `start` around the pivot at `start`; returns
/// the lengths of the "smaller" run (now first) and of the "greater" run (now last).
fn partition<T>(
    v: &mut [T],
    start: usize,
    n: usize,
    cmp: &impl Fn(&T, &T) -> Ordering,
) -> (usize, usize) {
    // Equal elements gather at both ends ([start+1, pa) and (pd, end]) while scanning.
    let (mut pa, mut pb) = (start + 1, start + 1);
    let (mut pc, mut pd) = (start + n - 1, start + n - 1);
    loop {
        while pb <= pc {
            match cmp(&v[pb], &v[start]) {
                Ordering::Greater => break,
                Ordering::Equal => {
                    v.swap(pa, pb);
                    pa += 1;
                }
                Ordering::Less => {}
            }
            pb += 1;
        }
        while pb <= pc {
            match cmp(&v[pc], &v[start]) {
                Ordering::Less => break,
                Ordering::Equal => {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                Ordering::Greater => {}
            }
            pc -= 1;
        }
        if pb > pc {
            break;
        }
        v.swap(pb, pc);
        pb += 1;
        pc -= 1;
    }
    // Move the equal runs to the middle.
    let end = start + n;
    let r = (pa - start).min(pb - pa);
    swap_runs(v, start, pb - r, r);
    let r = (pd - pc).min(end - pd - 1);
    swap_runs(v, pb, end - r, r);
    (pb - pa, pd - pc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wanted_prefix_is_sorted_and_smallest() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for n in [0usize, 1, 5, 7, 8, 40, 41, 200] {
            for last in [0usize, 3, 10, 199] {
                if n == 0 || last >= n {
                    continue;
                }
                let mut v: Vec<u64> = (0..n)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        seed % 50
                    })
                    .collect();
                let mut all = v.clone();
                all.sort_unstable();
                partial_sort(&mut v, last, &|a: &u64, b: &u64| a.cmp(b));
                assert_eq!(v[..=last], all[..=last], "n={n} last={last}");
            }
        }
    }

    #[test]
    fn ties_follow_the_quicksort_not_the_input_order() {
        // Redis: GEOSEARCH ... COUNT 4 DESC over five points at one distance and three
        // farther ones answers y z x d (not y z x a, the stable order).
        let mut v = vec![
            ('a', 0),
            ('b', 0),
            ('c', 0),
            ('d', 0),
            ('e', 0),
            ('x', 1),
            ('z', 2),
            ('y', 3),
        ];
        partial_sort(&mut v, 3, &|a: &(char, i32), b: &(char, i32)| b.1.cmp(&a.1));
        let names: String = v[..4].iter().map(|p| p.0).collect();
        assert_eq!(names, "yzxd");
    }
}
