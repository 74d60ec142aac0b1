//! HyperLogLog sketches stored in plain string values, byte for byte in Redis's format (Redis
//! `hyperloglog.c`), so GET, DUMP/RESTORE and replication carry values a Redis server would
//! read and produce the same counts from.
//!
//! # Layout of the string
//!
//! ```text
//! "HYLL" | encoding: u8 (0 dense, 1 sparse) | 3 unused bytes | cached cardinality: u64 LE
//! ```
//!
//! followed by the registers. The top bit of the cached cardinality's last byte set means
//! "stale": PFCOUNT must recount and store the result.
//!
//! - Dense: 16384 registers of 6 bits, packed from the least significant bit of each byte
//!   upwards (register `i` starts at bit `6 * i` of the register area): 12288 bytes.
//! - Sparse: a run-length list that must cover exactly 16384 registers. `00xxxxxx` is a
//!   run of `x + 1` zero registers (ZERO, up to 64); `01xxxxxx yyyyyyyy` a run of
//!   `(x << 8 | y) + 1` zeros (XZERO, up to 16384); `1vvvvvxx` a run of `x + 1` registers
//!   holding `v + 1` (VAL, values 1..=32, runs up to 4).
//!
//! An element is hashed with MurmurHash64A (seed `0xadc83b19`): the low 14 bits pick the
//! register, and the position of the lowest set bit among the remaining 50 (plus one, with
//! a sentinel bit making 51 the maximum) is the value offered to that register. Counts use
//! Otmar Ertl's improved estimator over the register histogram ("New cardinality estimation
//! algorithms for HyperLogLog sketches", arXiv:1702.01284), as Redis 7.0 does.
//!
//! Invariants: a value in a keyspace is only edited after [`check`] accepted it; a sparse
//! value becomes dense when a register needs more than 32 or when an edit would grow it past
//! `hll-sparse-max-bytes`, and never goes back. Corrupt sparse data is reported as
//! [`Corrupt`], never a panic: edits on corrupt input follow Redis's steps exactly so that
//! the bytes left behind match too.

/// Length of the header before the registers.
pub const HDR_LEN: usize = 16;
/// Bits of the hash that select a register.
const P: u32 = 14;
/// Bits of the hash left for the run of zeros.
const Q: usize = 64 - P as usize;
/// Number of registers.
pub const REGISTERS: usize = 1 << P;
/// Largest value a dense register holds.
const REGISTER_MAX: u32 = 63;
/// Length of a dense value, header included.
pub const DENSE_LEN: usize = HDR_LEN + REGISTERS * 6 / 8;
/// The encoding byte of a dense value.
const DENSE: u8 = 0;
/// The encoding byte of a sparse value.
const SPARSE: u8 = 1;
/// Offset of the encoding byte.
const ENCODING_AT: usize = 4;
/// Largest register value a sparse VAL opcode can hold.
const SPARSE_VAL_MAX: u8 = 32;
/// Longest run of a VAL opcode.
const SPARSE_VAL_MAX_LEN: usize = 4;
/// Longest run of a ZERO opcode.
const SPARSE_ZERO_MAX_LEN: usize = 64;
/// The hash seed Redis uses for HyperLogLog elements.
const SEED: u32 = 0xadc8_3b19;
/// `0.5 / ln(2)`: the estimator's bias constant for an infinite number of registers.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// The two representations a valid value can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// 6-bit registers, 12288 bytes.
    Dense,
    /// Run-length opcodes.
    Sparse,
}

impl Encoding {
    /// The name PFDEBUG ENCODING prints.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Dense => "dense",
            Encoding::Sparse => "sparse",
        }
    }
}

/// The sparse opcodes do not describe exactly 16384 registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// The encoding of `s` if it looks like a HyperLogLog: long enough for the header, the
/// magic, a known encoding, and the exact length when dense (Redis `isHLLObjectOrReply`).
/// Sparse opcodes are only checked when they are read.
pub fn check(s: &[u8]) -> Option<Encoding> {
    if s.len() < HDR_LEN || &s[..4] != b"HYLL" {
        return None;
    }
    match s[ENCODING_AT] {
        DENSE if s.len() == DENSE_LEN => Some(Encoding::Dense),
        SPARSE => Some(Encoding::Sparse),
        _ => None,
    }
}

/// The encoding of a value [`check`] accepted.
pub fn encoding(s: &[u8]) -> Encoding {
    if s[ENCODING_AT] == DENSE {
        Encoding::Dense
    } else {
        Encoding::Sparse
    }
}

/// An empty sketch: sparse, one XZERO covering every register, cached count 0 and valid.
pub fn new_sparse() -> Vec<u8> {
    let mut v = Vec::with_capacity(HDR_LEN + 2);
    v.extend_from_slice(b"HYLL");
    v.push(SPARSE);
    v.resize(HDR_LEN, 0);
    push_xzero(&mut v, REGISTERS);
    v
}

/// The cached cardinality, if it is not marked stale.
pub fn cached_count(s: &[u8]) -> Option<u64> {
    let card: [u8; 8] = s[8..HDR_LEN].try_into().expect("invariant: 8 header bytes");
    (card[7] & 0x80 == 0).then(|| u64::from_le_bytes(card))
}

/// Stores `count` as the cached cardinality (valid).
pub fn set_cached_count(s: &mut [u8], count: u64) {
    s[8..HDR_LEN].copy_from_slice(&count.to_le_bytes());
}

/// Marks the cached cardinality stale.
pub fn invalidate_cache(s: &mut [u8]) {
    s[HDR_LEN - 1] |= 0x80;
}

/// MurmurHash64A (Austin Appleby), reading 8-byte blocks little-endian whatever the host.
pub fn murmur64a(data: &[u8], seed: u32) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = u64::from(seed) ^ (data.len() as u64).wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let mut k = u64::from_le_bytes(block.try_into().expect("invariant: 8-byte chunk"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register `ele` maps to and the value it offers there (1..=51).
pub fn register_of(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, SEED);
    let index = usize::try_from(hash & (REGISTERS as u64 - 1)).expect("invariant: < 16384");
    // The sentinel bit bounds the run at Q + 1.
    let rest = (hash >> P) | (1u64 << Q);
    let count = u8::try_from(rest.trailing_zeros() + 1).expect("invariant: <= 51");
    (index, count)
}

// ---- dense ------------------------------------------------------------------------------

/// Register `i` of a dense register area (bytes past the area read as zero, like the
/// terminator byte Redis's strings carry).
pub fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * 6 / 8;
    let shift = (i * 6) & 7;
    let lo = u32::from(regs[byte]) >> shift;
    let hi = u32::from(regs.get(byte + 1).copied().unwrap_or(0)) << (8 - shift);
    u8::try_from((lo | hi) & REGISTER_MAX).expect("invariant: masked to 6 bits")
}

/// Sets register `i` of a dense register area to `v` (`v <= 63`).
pub fn dense_put(regs: &mut [u8], i: usize, v: u8) {
    let byte = i * 6 / 8;
    let shift = (i * 6) & 7;
    let v = u32::from(v);
    let low_mask = !(REGISTER_MAX << shift);
    regs[byte] = ((u32::from(regs[byte]) & low_mask) | (v << shift)) as u8;
    if let Some(next) = regs.get_mut(byte + 1) {
        let high_mask = !(REGISTER_MAX >> (8 - shift));
        *next = ((u32::from(*next) & high_mask) | (v >> (8 - shift))) as u8;
    }
}

/// Raises register `i` to `v` if it is lower; true if it changed.
pub fn dense_raise(regs: &mut [u8], i: usize, v: u8) -> bool {
    if v > dense_get(regs, i) {
        dense_put(regs, i, v);
        true
    } else {
        false
    }
}

/// Adds `ele` to a dense register area; true if a register changed.
pub fn dense_add(regs: &mut [u8], ele: &[u8]) -> bool {
    let (i, v) = register_of(ele);
    dense_raise(regs, i, v)
}

/// The histogram of register values of a dense register area, four registers per three
/// bytes.
fn dense_histogram(regs: &[u8], hist: &mut [u32; 64]) {
    for group in regs[..REGISTERS * 6 / 8].chunks_exact(3) {
        let (a, b, c) = (group[0], group[1], group[2]);
        hist[usize::from(a & 63)] += 1;
        hist[usize::from((a >> 6 | b << 2) & 63)] += 1;
        hist[usize::from((b >> 4 | c << 4) & 63)] += 1;
        hist[usize::from(c >> 2)] += 1;
    }
}

// ---- sparse -----------------------------------------------------------------------------

/// One decoded sparse opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// ZERO: a run of zeros, one byte.
    Zero(usize),
    /// XZERO: a run of zeros, two bytes.
    XZero(usize),
    /// VAL: `(value, run)`, one byte.
    Val(u8, usize),
}

impl Op {
    /// Registers covered.
    fn span(self) -> usize {
        match self {
            Op::Zero(n) | Op::XZero(n) | Op::Val(_, n) => n,
        }
    }

    /// Bytes taken.
    fn len(self) -> usize {
        if matches!(self, Op::XZero(_)) { 2 } else { 1 }
    }
}

/// The opcode at `p` of `s` (`p < s.len()`). A truncated XZERO reads its second byte as
/// zero, as Redis does from its strings' terminator.
fn op_at(s: &[u8], p: usize) -> Op {
    let b = s[p];
    if b & 0x80 != 0 {
        Op::Val(((b >> 2) & 0x1f) + 1, usize::from(b & 3) + 1)
    } else if b & 0x40 != 0 {
        let lo = s.get(p + 1).copied().unwrap_or(0);
        Op::XZero(((usize::from(b & 0x3f) << 8) | usize::from(lo)) + 1)
    } else {
        Op::Zero(usize::from(b & 0x3f) + 1)
    }
}

fn val_byte(value: u8, run: usize) -> u8 {
    debug_assert!((1..=SPARSE_VAL_MAX).contains(&value) && (1..=SPARSE_VAL_MAX_LEN).contains(&run));
    0x80 | ((value - 1) << 2) | u8::try_from(run - 1).expect("invariant: run <= 4")
}

fn push_xzero(out: &mut Vec<u8>, run: usize) {
    let n = u16::try_from(run - 1).expect("invariant: run <= 16384");
    out.push(0x40 | u8::try_from(n >> 8).expect("invariant: 6 bits"));
    out.push((n & 0xff) as u8);
}

/// A run of zeros as the shortest opcode: ZERO up to 64, XZERO beyond.
fn push_zeros(out: &mut Vec<u8>, run: usize) {
    if run > SPARSE_ZERO_MAX_LEN {
        push_xzero(out, run);
    } else {
        out.push(u8::try_from(run - 1).expect("invariant: run <= 64"));
    }
}

/// The registers of a sparse value, or [`Corrupt`] if its opcodes do not cover exactly
/// 16384 registers. `visit(index, value, run)` sees every VAL run inside the registers.
fn walk_sparse(s: &[u8], mut visit: impl FnMut(usize, u8, usize)) -> Result<(), Corrupt> {
    let mut idx = 0usize;
    let mut p = HDR_LEN;
    while p < s.len() {
        let op = op_at(s, p);
        if let Op::Val(v, run) = op {
            if idx + run > REGISTERS {
                break;
            }
            visit(idx, v, run);
        }
        idx = idx.saturating_add(op.span());
        p += op.len();
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// A dense copy of a sparse value: same header (cached count included), dense encoding.
pub fn sparse_to_dense(s: &[u8]) -> Result<Vec<u8>, Corrupt> {
    let mut dense = vec![0u8; DENSE_LEN];
    dense[..HDR_LEN].copy_from_slice(&s[..HDR_LEN]);
    dense[ENCODING_AT] = DENSE;
    let regs = &mut dense[HDR_LEN..];
    walk_sparse(s, |first, v, run| {
        for i in first..first + run {
            dense_put(regs, i, v);
        }
    })?;
    Ok(dense)
}

/// Where a register lies in a sparse value: the opcode covering it and its neighbours.
struct Located {
    /// Offset of the opcode.
    p: usize,
    /// Offset of the opcode before it, if any.
    prev: Option<usize>,
    /// First register the opcode covers.
    first: usize,
    /// The opcode.
    op: Op,
}

/// Finds the opcode covering register `index`; [`Corrupt`] if the opcodes end first.
fn locate(s: &[u8], index: usize) -> Result<Located, Corrupt> {
    let (mut p, mut prev, mut first) = (HDR_LEN, None, 0usize);
    while p < s.len() {
        let op = op_at(s, p);
        if index < first + op.span() {
            return Ok(Located { p, prev, first, op });
        }
        prev = Some(p);
        p += op.len();
        first += op.span();
    }
    Err(Corrupt)
}

/// The opcodes that replace `at.op` once register `index` holds `count`: the run before
/// it, one VAL, the run after it.
fn split(at: &Located, index: usize, count: u8) -> Vec<u8> {
    let mut seq = Vec::with_capacity(5);
    let last = at.first + at.op.span() - 1;
    match at.op {
        Op::Zero(_) | Op::XZero(_) => {
            if index != at.first {
                push_zeros(&mut seq, index - at.first);
            }
            seq.push(val_byte(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        }
        Op::Val(cur, _) => {
            if index != at.first {
                seq.push(val_byte(cur, index - at.first));
            }
            seq.push(val_byte(count, 1));
            if index != last {
                seq.push(val_byte(cur, last - index));
            }
        }
    }
    seq
}

/// Raises register `index` of a sparse value to `count` if it is lower; true if it
/// changed. The value turns dense (in place) when `count` does not fit a VAL opcode or the
/// edit would grow it past `max_bytes`; the cached count is marked stale only when it stays
/// sparse (callers mark it after their whole update).
pub fn sparse_raise(
    v: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: usize,
) -> Result<bool, Corrupt> {
    if count > SPARSE_VAL_MAX {
        return promote_and_raise(v, index, count);
    }
    let at = locate(v, index)?;
    match at.op {
        Op::Val(cur, _) if cur >= count => return Ok(false),
        Op::Val(_, 1) | Op::Zero(1) => v[at.p] = val_byte(count, 1),
        _ => {
            let seq = split(&at, index, count);
            let old_end = v.len();
            let new_len = old_end + seq.len() - at.op.len();
            if seq.len() > at.op.len() && new_len > max_bytes {
                return promote_and_raise(v, index, count);
            }
            // A truncated XZERO at the very end loses a byte of what replaces it, as the
            // in-place edit does in Redis.
            let tail_from = (at.p + at.op.len()).min(old_end);
            v.splice(at.p..tail_from, seq);
            v.truncate(new_len);
        }
    }
    merge_adjacent_vals(v, at.prev.unwrap_or(HDR_LEN));
    invalidate_cache(v);
    Ok(true)
}

/// Turns `v` dense and raises the register there.
fn promote_and_raise(v: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    let mut dense = sparse_to_dense(v)?;
    // The register was below `count` in the sparse form, so this always raises it.
    dense_raise(&mut dense[HDR_LEN..], index, count);
    *v = dense;
    Ok(true)
}

/// Joins neighbouring VAL opcodes of equal value whose runs fit one opcode, looking at up
/// to five opcodes from `p` (the opcode before the edit, so every new neighbour is seen).
fn merge_adjacent_vals(v: &mut Vec<u8>, mut p: usize) {
    let mut budget = 5;
    while p < v.len() && budget > 0 {
        budget -= 1;
        match op_at(v, p) {
            op @ (Op::Zero(_) | Op::XZero(_)) => p += op.len(),
            Op::Val(a, run_a) => match v.get(p + 1).map(|_| op_at(v, p + 1)) {
                Some(Op::Val(b, run_b)) if a == b && run_a + run_b <= SPARSE_VAL_MAX_LEN => {
                    v[p + 1] = val_byte(a, run_a + run_b);
                    v.remove(p);
                }
                _ => p += 1,
            },
        }
    }
}

/// Adds `ele` to a sparse value (see [`sparse_raise`]).
pub fn sparse_add(v: &mut Vec<u8>, ele: &[u8], max_bytes: usize) -> Result<bool, Corrupt> {
    let (i, count) = register_of(ele);
    sparse_raise(v, i, count, max_bytes)
}

// ---- counting and merging ---------------------------------------------------------------

/// Ertl's sigma function.
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if z == before {
            return z;
        }
    }
}

/// Ertl's tau function.
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if z == before {
            return z / 3.0;
        }
    }
}

/// The cardinality estimate from a histogram of register values (index = value).
fn estimate(hist: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - f64::from(hist[Q + 1])) / m);
    for &n in hist[1..=Q].iter().rev() {
        z += f64::from(n);
        z *= 0.5;
    }
    z += m * sigma(f64::from(hist[0]) / m);
    // Rounds half away from zero, as `llroundl` does. An estimate past `i64::MAX` (only
    // forged registers of 52 and more give one) overflows `llroundl` on x86-64 to
    // `i64::MIN`, which Redis then casts to `u64`: 2^63.
    let e = (ALPHA_INF * m * m / z).round();
    if e < 9_223_372_036_854_775_808.0 {
        e as u64
    } else {
        1 << 63
    }
}

/// The cardinality estimate of a checked value; [`Corrupt`] for bad sparse opcodes.
pub fn count(s: &[u8]) -> Result<u64, Corrupt> {
    let mut hist = [0u32; 64];
    match encoding(s) {
        Encoding::Dense => dense_histogram(&s[HDR_LEN..], &mut hist),
        Encoding::Sparse => {
            let mut zeros = 0usize;
            let mut covered = 0usize;
            let mut p = HDR_LEN;
            while p < s.len() {
                let op = op_at(s, p);
                match op {
                    Op::Zero(n) | Op::XZero(n) => zeros += n,
                    Op::Val(v, n) => hist[usize::from(v)] += n as u32,
                }
                covered = covered.saturating_add(op.span());
                p += op.len();
            }
            if covered != REGISTERS {
                return Err(Corrupt);
            }
            hist[0] = u32::try_from(zeros).expect("invariant: covered == 16384");
        }
    }
    Ok(estimate(&hist))
}

/// Registers one byte each: the union of several sketches (PFCOUNT with many keys, PFMERGE).
pub type Registers = [u8; REGISTERS];

/// Raises every register of `max` to the one of the checked value `s`.
pub fn merge_into(max: &mut Registers, s: &[u8]) -> Result<(), Corrupt> {
    match encoding(s) {
        Encoding::Dense => {
            let regs = &s[HDR_LEN..];
            for (i, m) in max.iter_mut().enumerate() {
                *m = (*m).max(dense_get(regs, i));
            }
            Ok(())
        }
        Encoding::Sparse => walk_sparse(s, |first, v, run| {
            for m in &mut max[first..first + run] {
                *m = (*m).max(v);
            }
        }),
    }
}

/// The cardinality estimate of a union built with [`merge_into`].
pub fn count_registers(max: &Registers) -> u64 {
    let mut hist = [0u32; 64];
    for &r in max.iter() {
        hist[usize::from(r & 63)] += 1;
    }
    estimate(&hist)
}

/// Every register of a checked value, for PFDEBUG GETREG.
pub fn registers(s: &[u8]) -> Result<Vec<u8>, Corrupt> {
    let dense;
    let regs = match encoding(s) {
        Encoding::Dense => &s[HDR_LEN..],
        Encoding::Sparse => {
            dense = sparse_to_dense(s)?;
            &dense[HDR_LEN..]
        }
    };
    Ok((0..REGISTERS).map(|i| dense_get(regs, i)).collect())
}

/// The opcodes of a sparse value as PFDEBUG DECODE prints them: `z:N` (ZERO), `Z:N`
/// (XZERO), `v:VALUE,RUN`, separated by spaces.
pub fn decode_sparse(s: &[u8]) -> String {
    let mut out = Vec::new();
    let mut p = HDR_LEN;
    while p < s.len() {
        let op = op_at(s, p);
        out.push(match op {
            Op::Zero(n) => format!("z:{n}"),
            Op::XZero(n) => format!("Z:{n}"),
            Op::Val(v, n) => format!("v:{v},{n}"),
        });
        p += op.len();
    }
    out.join(" ")
}

// ---- self test --------------------------------------------------------------------------

/// PFSELFTEST's checks (Redis `pfselftestCommand`): random register values survive the
/// dense packing, and sparse and dense sketches fed the same `elements` agree at every power
/// of ten while staying within six standard errors. `Err` holds the `TESTFAILED` message.
pub fn self_test(
    rng: &mut impl rand::Rng,
    cycles: usize,
    elements: u64,
    max_bytes: usize,
) -> Result<(), String> {
    let mut dense = vec![0u8; DENSE_LEN];
    let mut expected = vec![0u8; REGISTERS];
    for _ in 0..cycles {
        for (i, e) in expected.iter_mut().enumerate() {
            *e = rng.random_range(0..=63);
            dense_put(&mut dense[HDR_LEN..], i, *e);
        }
        for (i, &e) in expected.iter().enumerate() {
            let got = dense_get(&dense[HDR_LEN..], i);
            if got != e {
                return Err(format!(
                    "TESTFAILED Register {i} should be {e} but is {got}"
                ));
            }
        }
    }
    dense[HDR_LEN..].fill(0);
    dense[..4].copy_from_slice(b"HYLL");
    let mut sparse = new_sparse();
    let rel_err = 1.04 / (REGISTERS as f64).sqrt();
    let seed: u64 = rng.random();
    let mut checkpoint = 1u64;
    for j in 1..=elements {
        let ele = (j ^ seed).to_le_bytes();
        dense_add(&mut dense[HDR_LEN..], &ele);
        match encoding(&sparse) {
            Encoding::Dense => {
                dense_add(&mut sparse[HDR_LEN..], &ele);
            }
            Encoding::Sparse => {
                sparse_add(&mut sparse, &ele, max_bytes)
                    .map_err(|_| "TESTFAILED sparse encoding corrupted".to_string())?;
            }
        }
        if j != checkpoint {
            continue;
        }
        if j < (max_bytes / 2) as u64 && encoding(&sparse) != Encoding::Sparse {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let dense_count = count(&dense).map_err(|_| "TESTFAILED dense count".to_string())?;
        if count(&sparse) != Ok(dense_count) {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let abs_err = checkpoint.abs_diff(dense_count);
        let max_err = if j == 10 {
            1
        } else {
            (rel_err * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abs_err > max_err {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{abs_err}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 3000;

    fn add_all(v: &mut Vec<u8>, n: u32) -> u32 {
        let mut changed = 0;
        for i in 0..n {
            let ele = format!("e{i}");
            let hit = match encoding(v) {
                Encoding::Dense => dense_add(&mut v[HDR_LEN..], ele.as_bytes()),
                Encoding::Sparse => sparse_add(v, ele.as_bytes(), MAX).unwrap(),
            };
            changed += u32::from(hit);
        }
        changed
    }

    #[test]
    fn murmur_known_values() {
        // Independent vectors: the empty input is the seed's mix alone.
        assert_eq!(murmur64a(b"", 0), 0);
        let a = murmur64a(b"hello", SEED);
        assert_eq!(a, murmur64a(b"hello", SEED));
        assert_ne!(a, murmur64a(b"hellp", SEED));
        assert_ne!(murmur64a(b"12345678", SEED), murmur64a(b"123456789", SEED));
    }

    #[test]
    fn elements_land_where_redis_puts_them() {
        // Redis 7.0: PFADD h a b c; PFDEBUG DECODE h =
        // "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603".
        let mut v = new_sparse();
        for e in [b"a", b"b", b"c"] {
            assert!(sparse_add(&mut v, e, MAX).unwrap());
        }
        assert_eq!(
            decode_sparse(&v),
            "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603"
        );
        assert_eq!(count(&v), Ok(3));
    }

    #[test]
    fn new_sketch_is_one_xzero() {
        let v = new_sparse();
        assert_eq!(v.len(), 18);
        assert_eq!(check(&v), Some(Encoding::Sparse));
        assert_eq!(decode_sparse(&v), "Z:16384");
        assert_eq!(cached_count(&v), Some(0));
        assert_eq!(count(&v), Ok(0));
    }

    #[test]
    fn check_rejects_what_is_not_a_sketch() {
        assert_eq!(check(b"HYLL"), None);
        assert_eq!(check(b"HYLX\x01\0\0\0\0\0\0\0\0\0\0\0"), None);
        assert_eq!(check(b"HYLL\x02\0\0\0\0\0\0\0\0\0\0\0"), None);
        // Dense must be exactly 12304 bytes.
        assert_eq!(check(b"HYLL\x00\0\0\0\0\0\0\0\0\0\0\0"), None);
        assert_eq!(
            check(b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0"),
            Some(Encoding::Sparse)
        );
        let mut d = vec![0u8; DENSE_LEN];
        d[..4].copy_from_slice(b"HYLL");
        assert_eq!(check(&d), Some(Encoding::Dense));
    }

    #[test]
    fn dense_registers_do_not_disturb_neighbours() {
        let mut regs = vec![0u8; DENSE_LEN - HDR_LEN];
        for i in 0..REGISTERS {
            dense_put(&mut regs, i, (i % 64) as u8);
        }
        for i in 0..REGISTERS {
            assert_eq!(dense_get(&regs, i), (i % 64) as u8, "register {i}");
        }
        dense_put(&mut regs, REGISTERS - 1, 63);
        assert_eq!(
            dense_get(&regs, REGISTERS - 2),
            ((REGISTERS - 2) % 64) as u8
        );
        assert_eq!(dense_get(&regs, REGISTERS - 1), 63);
    }

    #[test]
    fn sparse_and_dense_agree_and_promotion_happens() {
        let mut v = new_sparse();
        add_all(&mut v, 500);
        assert_eq!(encoding(&v), Encoding::Sparse);
        let dense = sparse_to_dense(&v).unwrap();
        assert_eq!(count(&v), count(&dense));
        assert_eq!(registers(&v).unwrap(), registers(&dense).unwrap());
        add_all(&mut v, 5000);
        assert_eq!(encoding(&v), Encoding::Dense);
        assert_eq!(v.len(), DENSE_LEN);
        let c = count(&v).unwrap();
        assert!((4800..=5200).contains(&c), "count {c}");
    }

    #[test]
    fn sparse_stays_within_the_limit() {
        let mut v = new_sparse();
        for i in 0..3000u32 {
            let before = encoding(&v);
            sparse_add_or_dense(&mut v, format!("x{i}").as_bytes());
            if before == Encoding::Sparse && encoding(&v) == Encoding::Sparse {
                assert!(v.len() <= MAX);
            }
        }
    }

    fn sparse_add_or_dense(v: &mut Vec<u8>, ele: &[u8]) {
        match encoding(v) {
            Encoding::Dense => {
                dense_add(&mut v[HDR_LEN..], ele);
            }
            Encoding::Sparse => {
                sparse_add(v, ele, MAX).unwrap();
            }
        }
    }

    #[test]
    fn large_values_force_dense() {
        let mut v = new_sparse();
        assert!(sparse_raise(&mut v, 7, 33, MAX).unwrap());
        assert_eq!(encoding(&v), Encoding::Dense);
        assert_eq!(dense_get(&v[HDR_LEN..], 7), 33);
    }

    #[test]
    fn adjacent_values_merge() {
        let mut v = new_sparse();
        sparse_raise(&mut v, 10, 3, MAX).unwrap();
        sparse_raise(&mut v, 11, 3, MAX).unwrap();
        sparse_raise(&mut v, 12, 3, MAX).unwrap();
        assert_eq!(decode_sparse(&v), "z:10 v:3,3 Z:16371");
        // Lower values change nothing.
        assert!(!sparse_raise(&mut v, 11, 2, MAX).unwrap());
        sparse_raise(&mut v, 11, 5, MAX).unwrap();
        assert_eq!(decode_sparse(&v), "z:10 v:3,1 v:5,1 v:3,1 Z:16371");
        assert_eq!(count(&v), count(&sparse_to_dense(&v).unwrap()));
    }

    #[test]
    fn corrupt_sparse_is_reported() {
        let mut v = new_sparse();
        v.push(0x00); // one register too many
        assert_eq!(count(&v), Err(Corrupt));
        assert_eq!(sparse_to_dense(&v), Err(Corrupt));
        let mut short = new_sparse();
        short.truncate(HDR_LEN);
        short.push(0x3f); // 64 registers only
        assert_eq!(sparse_raise(&mut short, 100, 1, MAX), Err(Corrupt));
        let mut max = [0u8; REGISTERS];
        assert_eq!(merge_into(&mut max, &short), Err(Corrupt));
    }

    #[test]
    fn merge_and_count_registers_match_count() {
        let mut v = new_sparse();
        add_all(&mut v, 2000);
        let mut max = [0u8; REGISTERS];
        merge_into(&mut max, &v).unwrap();
        assert_eq!(count_registers(&max), count(&v).unwrap());
    }

    #[test]
    fn cache_bits() {
        let mut v = new_sparse();
        set_cached_count(&mut v, 1234);
        assert_eq!(cached_count(&v), Some(1234));
        invalidate_cache(&mut v);
        assert_eq!(cached_count(&v), None);
    }

    #[test]
    fn self_test_passes_small() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        assert_eq!(self_test(&mut rng, 3, 100_000, MAX), Ok(()));
    }
}
