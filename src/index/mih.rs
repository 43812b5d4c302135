//! Exact Hamming-radius search in a segment by multi-index hashing.
//!
//! # The method
//!
//! Multi-index hashing (M. Norouzi, A. Punjani, D. J. Fleet, "Fast Search in Hamming
//! Space with Multi-Index Hashing", CVPR 2012; "Fast Exact Search in Hamming Space with
//! Multi-Index Hashing", IEEE TPAMI 36(6), 2014) splits the 256-bit hash into `m = 8`
//! substrings of 32 bits and keeps, per substring, the frames sorted by that substring.
//! Pigeonhole: if `d(q, h) <= r` and the substring distances are `d_0..d_7`, then for any
//! thresholds `t_i` with `Σ (t_i + 1) >= r + 1`, some `d_i <= t_i` (else `Σ d_i >= Σ (t_i + 1) > r`).
//! We take `t_i = ⌊(r+1)/8⌋ - 1`, one more on the first `(r+1) mod 8` tables (`t_i = -1`
//! means the table is not probed), so at the default `r = 31` every `t_i = 3`. Each table
//! is probed for every key within `t_i` of the query's substring; candidates are checked
//! with the full distance. A frame found in table `i` is reported only if no earlier
//! probed table `j < i` has `d_j <= t_j`, so each hit is reported once without a set.
//!
//! # Probing
//!
//! A ball of radius 3 in 32 bits holds 5,489 keys, nearly all absent. Instead of probing
//! them one by one, each table has a directory on the key's top `b` bits (`2^b + 1`
//! offsets) and stores, per entry, the key's `32 - b` low bits and the entry's row. The
//! width `b` follows the segment's size (format 5, [`super::format::dir_bits_for`]: about 8
//! entries a bucket); formats 1 to 4 had `b = 16` at every size. We enumerate the prefixes
//! within `k <= t_i` bit flips (`1 + b` at `t = 1`, 697 at `t = 3` and `b = 16`) and in each
//! bucket keep the entries whose low key bits are within `t_i - k` of the query's: a walk
//! from the interpolated position when that allowance is 0 (most prefixes), a linear scan
//! of the bucket otherwise. Only entries that pass reach the hash array (one random read
//! each) for the full distance.
//!
//! Why the width follows the size (measured, README, merge policy and scale run): with
//! `b = 16` a segment of 4,096 rows carried 2 MiB of directories, most buckets empty, and
//! one of 2^24 rows 256-entry buckets; each probe of the seed search is a directory read
//! and a bucket read at a random place, so what a query costs is about
//! `8 · (1 + b)` probes per segment. At 2^24 rows `b = 21` makes more probes (22 a table
//! instead of 17) but every bucket is a line or two, entries shrink from 40 to 35 bits, and
//! with the segment mapped in 2 MiB pages (`Segment::map`) the seed search of a
//! 10^8-row index took a third of the processor time it took in format 4.
//!
//! # Alternatives considered
//!
//! `m = 16` tables of 16-bit keys (`t = 1`, 17 probes a table) reads `n / 65536`
//! candidates per probe from the hash array (about 41,000 random reads per query at
//! `n = 10^7`) and needs 64 bytes of ids per hash, over the 80-byte budget. `m = 8` with
//! one lookup per key costs 43,912 random probes per query. These were estimated, not
//! built; the layout above was built and measured.
//!
//! # Measured (`benches/index.rs`, radius 31, clustered data, one thread)
//!
//! On the shared 2-core build machine (load 7–9, so absolute times are inflated and vary
//! between runs) with the default `x86-64` target (no `popcnt` instruction: `count_ones`
//! is a few instructions for both methods), per query:
//!
//! | n | probe | scan | ratio | run |
//! |---|-------|------|-------|-----|
//! | 10^6 | 1.0 ms | 14 ms | 14× | segments mapped |
//! | 10^7 | 3.5 ms | 139 ms | 40× | segments mapped |
//! | 10^6 | 1.2 ms | 8.6 ms | 7× | segments read (huge pages) |
//! | 10^7 | 3.0 ms | 75 ms | 25× | segments read (huge pages) |
//!
//! 79.4 bytes per hash on disk and in memory at 10^7; opening takes 13 ms mapped, 190 ms
//! read. Below the 100× aimed for: a query visits about 5,600 buckets, each a cache and
//! TLB miss, and a profile shows the time spent waiting on those loads.
//!
//! Format 5 (directories sized to the segment, README *Index format 5*), the same bench,
//! `STAYDOWN_BENCH_MIN_N=1000000 <index bench binary> --bench 'index_query/(seed|mih)'`,
//! main's binary and this one alternating, two runs each, load 6–10, segments read: the seed
//! search of the 32 queries 1.16, 0.57 → 0.24, 0.41 ms at 10^6 and 1.21, 0.82 → 0.66, 0.49 ms
//! at 10^7; radius 31 45.6, 45.5 → 30.5, 33.0 ms and 304, 112 → 86, 137 ms; 79.55 bytes a
//! hash at 10^7. At 10^8 (`benches/scale.rs`, mapped in 2 MiB pages), the seed search of a
//! 10-minute upload takes 59–63 ms of one core, 178–190 ms in format 4.
//!
//! The matcher does not need every hit of every query hash: it *seeds* (see
//! [`crate::matcher`]) by probing with the thresholds of a smaller radius (`t_i = 1` at 15
//! bits: 17 buckets a table) while checking candidates against the full radius, and finds the
//! rest of a matched segment from the work's own frames.
//!
//! When the ball is so large (big radius, small segment) that probing would cost more
//! than reading every hash, [`crate::index::Snapshot`] scans the segment instead; both are
//! exact.

use crate::hash::Hash256;

use super::format::{MAX_DIR_BITS, TABLES, substring, u32_at};
use super::segment::Segment;

/// Per-table thresholds for radius `r` (`-1` = table not probed).
pub(crate) fn thresholds(r: u32) -> [i32; TABLES] {
    let total = r as i64 + 1;
    let base = total / TABLES as i64;
    let extra = (total % TABLES as i64) as usize;
    let mut t = [0i32; TABLES];
    for (i, ti) in t.iter_mut().enumerate() {
        *ti = (base + i64::from(i < extra) - 1).min(i32::MAX as i64) as i32;
    }
    t
}

fn binomial(n: u64, k: u64) -> f64 {
    let mut c = 1f64;
    for i in 0..k {
        c = c * (n - i) as f64 / (i + 1) as f64;
    }
    c
}

/// Relative cost of one bucket visit (a random read of the directory and the bucket)
/// against reading one hash in a sequential scan.
const BUCKET_COST: f64 = 24.0;

/// Estimated cost of a probe-based search of `n` frames in directories of `dir_bits` bits
/// with thresholds `t`, in units of one hash compared by the sequential scan.
pub(crate) fn probe_cost(t: &[i32; TABLES], n: usize, dir_bits: u32) -> f64 {
    let prefix_bits = u64::from(dir_bits);
    let avg = n as f64 / (1u64 << prefix_bits) as f64;
    // Tables of one threshold cost alike (the seed search gives all eight the same one).
    let mut memo: Option<(i32, f64)> = None;
    let mut cost = 0.0;
    for &ti in t {
        if ti < 0 {
            continue;
        }
        if let Some((m, c)) = memo
            && m == ti
        {
            cost += c;
            continue;
        }
        let mut c = 0.0;
        for k in 0..=(ti as u64).min(prefix_bits) {
            let per_bucket = if (k as i32) < ti {
                avg * 0.3
            } else {
                (avg + 1.0).log2()
            };
            c += binomial(prefix_bits, k) * (BUCKET_COST + per_bucket);
        }
        memo = Some((ti, c));
        cost += c;
    }
    cost
}

/// The exhaustive scan: every hash of the segment, in order (the brute-force baseline).
///
/// A row is dropped as soon as its first 128 bits differ from the query's in more than `r`
/// (for unrelated hashes about 64 of those bits differ, so nearly every row stops there),
/// and on a processor with `popcnt` the counts are that instruction, chosen at run time:
/// the default `x86-64` target has no `popcnt`, and `count_ones` without it is a dozen
/// instructions a word. Measured (`examples/merge_growth.rs query`, README *merge policy*):
/// the scanned small segments of a grown index were 18% of its `check`'s processor time.
pub(crate) fn scan(seg: &Segment, q: &Hash256, r: u32, emit: &mut impl FnMut(u32, u32)) {
    let l = &seg.layout;
    scan_hashes(&seg.bytes()[l.hashes..l.hashes + 32 * l.n], q, r, emit);
}

/// [`scan`] of bare 32-byte hashes, rows numbered from 0.
pub(crate) fn scan_hashes(hashes: &[u8], q: &Hash256, r: u32, emit: &mut impl FnMut(u32, u32)) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: `scan_popcnt` only enables the `popcnt` instruction, which the processor
        // was just found to have; it is otherwise `scan_rows` itself.
        #[allow(unsafe_code)]
        unsafe {
            scan_popcnt(hashes, q, r, emit);
        }
        return;
    }
    scan_rows(hashes, q, r, emit);
}

/// [`scan_rows`] compiled with the `popcnt` instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn scan_popcnt(hashes: &[u8], q: &Hash256, r: u32, emit: &mut impl FnMut(u32, u32)) {
    scan_rows(hashes, q, r, emit);
}

/// `emit(row, distance)` for every 32-byte hash of `hashes` within `r` of `q`.
#[inline(always)]
fn scan_rows(hashes: &[u8], q: &Hash256, r: u32, emit: &mut impl FnMut(u32, u32)) {
    let [q0, q1, q2, q3] = q.0;
    for (id, c) in hashes.chunks_exact(32).enumerate() {
        let w = |k: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&c[8 * k..8 * k + 8]);
            u64::from_le_bytes(a)
        };
        let half = (w(0) ^ q0).count_ones() + (w(1) ^ q1).count_ones();
        if half > r {
            continue;
        }
        let d = half + (w(2) ^ q2).count_ones() + (w(3) ^ q3).count_ones();
        if d <= r {
            emit(id as u32, d);
        }
    }
}

/// Directory probes handled in one pipeline: at the seed thresholds (17 a table) every
/// segment of a 10^8-row index (6 × 136 probes) goes in one; at radius 31 (697 a table), one
/// segment at a time.
const PIPELINE_PROBES: usize = 4096;

/// How far ahead of its use a directory entry is prefetched, in probes.
const DIR_AHEAD: usize = 16;

/// Most cache lines of one bucket's entries prefetched ahead of its linear scan.
const SCAN_LINES: usize = 24;

/// One directory bucket to look at: where its directory entry is, in which segment and
/// table, and how many of the key's stored 16 low bits may differ from the query's.
#[derive(Clone, Copy)]
struct Probe {
    seg: u32,
    table: u8,
    allow: u8,
    dir: usize,
}

/// A non-empty bucket found by a [`Probe`]: its entries `lo..hi`.
#[derive(Clone, Copy)]
struct Bucket {
    seg: u32,
    table: u8,
    allow: u8,
    lo: u32,
    hi: u32,
}

/// Asks the processor to bring the cache line of `b[off]` in, without waiting for it.
#[inline(always)]
pub(crate) fn prefetch<T>(b: &[T], off: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(p) = b.get(off) {
        // SAFETY: `prefetcht0` is a hint: it never faults, writes nothing and changes no
        // state a program can observe; the address is inside `b` anyway. Measured (scale
        // bench, README): the seed search of a 10^8-row index spends its time waiting on
        // these lines, and a load in their place blocks retirement until the line arrives.
        #[allow(unsafe_code)]
        unsafe {
            core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
                std::ptr::from_ref(p).cast::<i8>(),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (b, off);
}

/// Multi-index probing of several segments, every one with tables, with thresholds `t`;
/// `emit(s, row, distance)` for each hit of `segs[s]`.
///
/// The bucket visits of a query are random reads, each a cache (and TLB) miss, and they
/// dominate its time. So they are pipelined across tables and segments, a group of at most
/// [`PIPELINE_PROBES`] probes at a time: the group's directory entries are prefetched
/// [`DIR_AHEAD`] probes ahead of their reading, and each non-empty bucket's entries are
/// prefetched as soon as its directory entry is read; the buckets are then filtered once
/// the whole group's directory reads are done, their lines in cache by then.
pub(crate) fn probe_segments(
    segs: &[&Segment],
    q: &Hash256,
    r: u32,
    t: &[i32; TABLES],
    emit: &mut impl FnMut(usize, u32, u32),
) {
    // Probes of each segment: the prefixes within `t_i` flips of its directory's width.
    let probes_of = |seg: &Segment| -> usize {
        let d = seg.layout.dir_bits;
        t.iter()
            .filter(|&&ti| ti >= 0)
            .map(|&ti| masks_up_to(d, ti as u32))
            .sum()
    };
    // The lists are the thread's, kept from one call to the next: a seed search is a few
    // microseconds, and growing two vectors from empty each time was a measurable share.
    thread_local! {
        static LISTS: std::cell::RefCell<(Vec<Probe>, Vec<Bucket>)> =
            const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
    }
    LISTS.with(|lists| match lists.try_borrow_mut() {
        Ok(mut l) => {
            let (probes, buckets) = &mut *l;
            probe_groups(segs, q, r, t, &probes_of, probes, buckets, emit);
        }
        // Only if `emit` itself searches on this thread.
        Err(_) => probe_groups(
            segs,
            q,
            r,
            t,
            &probes_of,
            &mut Vec::new(),
            &mut Vec::new(),
            emit,
        ),
    });
}

/// [`probe_segments`] with its lists of probes and buckets given.
#[allow(clippy::too_many_arguments)]
fn probe_groups(
    segs: &[&Segment],
    q: &Hash256,
    r: u32,
    t: &[i32; TABLES],
    probes_of: &impl Fn(&Segment) -> usize,
    probes: &mut Vec<Probe>,
    buckets: &mut Vec<Bucket>,
    emit: &mut impl FnMut(usize, u32, u32),
) {
    let qsub: [u32; TABLES] = std::array::from_fn(|i| substring(q, i));
    let mut s0 = 0;
    while s0 < segs.len() {
        let mut s1 = s0 + 1;
        let mut group = probes_of(segs[s0]);
        while s1 < segs.len() {
            let more = probes_of(segs[s1]);
            if group + more > PIPELINE_PROBES {
                break;
            }
            group += more;
            s1 += 1;
        }
        probes.clear();
        for (s, seg) in segs.iter().enumerate().take(s1).skip(s0) {
            debug_assert_eq!(seg.layout.m, TABLES);
            let d = seg.layout.dir_bits;
            let shift = 32 - d;
            for (i, tl) in seg.layout.table_layouts().iter().enumerate() {
                let ti = t[i];
                if ti < 0 {
                    continue;
                }
                let qp = qsub[i] >> shift;
                for k in 0..=(ti as u32).min(d) {
                    let allow = (ti - k as i32).min(u8::MAX as i32) as u8;
                    each_mask(d, k, |mask| {
                        let p = (qp ^ mask) as usize;
                        probes.push(Probe {
                            seg: s as u32,
                            table: i as u8,
                            allow,
                            dir: tl.dir + 4 * p,
                        });
                    });
                }
            }
        }
        // Stage 1: the directory entries, each prefetched `DIR_AHEAD` probes before it is
        // read; a non-empty bucket's entries are prefetched where the filter will look
        // first (the interpolated position of the query's low key bits, or the start of a
        // bucket to scan, a few lines of it).
        buckets.clear();
        for j in 0..probes.len() {
            if let Some(a) = probes.get(j + DIR_AHEAD) {
                prefetch(segs[a.seg as usize].bytes(), a.dir);
            }
            let pr = probes[j];
            let seg = segs[pr.seg as usize];
            let b = seg.bytes();
            // A mapped segment's directories are checked with its bytes, in the background
            // (its rows reach no caller before): until then a damaged bucket must still
            // stay inside the table.
            let lo = u32_at(b, pr.dir);
            let hi = u32_at(b, pr.dir + 4).min(seg.layout.n as u32);
            if lo >= hi {
                continue;
            }
            let tl = &seg.layout.tables[pr.table as usize];
            let entries = seg.entries();
            let suffix_bits = 32 - seg.layout.dir_bits;
            let qs = (u64::from(qsub[pr.table as usize]) & ((1 << suffix_bits) - 1)) as usize;
            let (lo_u, hi_u) = (lo as usize, hi as usize);
            if pr.allow == 0 {
                let g = lo_u + ((qs * (hi_u - lo_u)) >> suffix_bits);
                prefetch(b, entries.key_offset(tl, g));
            } else {
                let first = entries.key_offset(tl, lo_u);
                let last = entries.key_offset(tl, hi_u);
                let mut line = first & !63;
                while line < last && line < first + 64 * SCAN_LINES {
                    prefetch(b, line.max(first));
                    line += 64;
                }
            }
            buckets.push(Bucket {
                seg: pr.seg,
                table: pr.table,
                allow: pr.allow,
                lo,
                hi,
            });
        }
        // Stage 2: the entries of each bucket whose kept key bits are close enough; a
        // candidate's hash decides its distance and whether an earlier table reported it.
        for bk in buckets.iter() {
            let s = bk.seg as usize;
            let seg = segs[s];
            let i = bk.table as usize;
            let tl = &seg.layout.tables[i];
            let entries = seg.entries();
            let n = seg.layout.n as u32;
            let ti = t[i];
            let suffix_bits = 32 - seg.layout.dir_bits;
            let qs = (u64::from(qsub[i]) & ((1 << suffix_bits) - 1)) as u32;
            let mut check = |j: usize| {
                let (_, id) = entries.get(tl, j);
                if id >= n {
                    return;
                }
                let h = seg.hash(id);
                let d = h.distance(q);
                if d > r || (substring(&h, i) ^ qsub[i]).count_ones() as i32 > ti {
                    return;
                }
                // Reported by an earlier table already?
                for jt in 0..i {
                    if t[jt] >= 0 && (substring(&h, jt) ^ qsub[jt]).count_ones() as i32 <= t[jt] {
                        return;
                    }
                }
                emit(s, id, d);
            };
            let frag = |j: usize| entries.frag(tl, j);
            let (lo, hi) = (bk.lo as usize, bk.hi as usize);
            let allow = u32::from(bk.allow);
            if allow == 0 {
                // Keys in a bucket are sorted and near uniform: walk from the interpolated
                // guess to the start of the run equal to `qs`.
                let mut j = (lo + ((qs as usize * (hi - lo)) >> suffix_bits)).min(hi);
                while j > lo && frag(j - 1) >= qs {
                    j -= 1;
                }
                while j < hi && frag(j) < qs {
                    j += 1;
                }
                while j < hi && frag(j) == qs {
                    check(j);
                    j += 1;
                }
            } else {
                // `popcount(x) <= allow`, as "clearing the lowest set bit `allow` times
                // leaves zero": cheaper than a popcount where the target lacks one.
                match allow {
                    1 => {
                        for j in lo..hi {
                            let x = frag(j) ^ qs;
                            if x & x.wrapping_sub(1) == 0 {
                                check(j);
                            }
                        }
                    }
                    2 => {
                        for j in lo..hi {
                            let mut x = frag(j) ^ qs;
                            x &= x.wrapping_sub(1);
                            if x & x.wrapping_sub(1) == 0 {
                                check(j);
                            }
                        }
                    }
                    _ => {
                        for j in lo..hi {
                            if (frag(j) ^ qs).count_ones() <= allow {
                                check(j);
                            }
                        }
                    }
                }
            }
        }
        s0 = s1;
    }
}

/// Most ones in a mask kept in [`masks`]'s lists; masks with more are enumerated when used
/// (only searches of large radii ask for them).
const LISTED_ONES: u32 = 3;

/// For each directory width `d` (up to [`MAX_DIR_BITS`]), the `d`-bit masks of at most
/// [`LISTED_ONES`] ones ordered by their number of ones, and where each count starts.
fn masks(d: u32) -> &'static (Vec<u32>, Vec<usize>) {
    const WIDTHS: usize = MAX_DIR_BITS as usize + 1;
    static MASKS: [std::sync::OnceLock<(Vec<u32>, Vec<usize>)>; WIDTHS] =
        [const { std::sync::OnceLock::new() }; WIDTHS];
    MASKS[d as usize].get_or_init(|| {
        let mut v: Vec<u32> = Vec::new();
        let mut starts = Vec::new();
        for k in 0..=LISTED_ONES.min(d) {
            starts.push(v.len());
            for_each_mask(d, k, |m| v.push(m));
        }
        starts.push(v.len());
        (v, starts)
    })
}

/// Number of `d`-bit masks of exactly `k` ones.
fn masks_count(d: u32, k: u32) -> usize {
    binomial(u64::from(d), u64::from(k)).round() as usize
}

/// Number of `d`-bit masks of at most `k` ones.
fn masks_up_to(d: u32, k: u32) -> usize {
    if k <= LISTED_ONES {
        let (_, starts) = masks(d);
        starts[(k.min(d) + 1) as usize]
    } else {
        (0..=k.min(d)).map(|j| masks_count(d, j)).sum()
    }
}

/// Calls `f` with every `d`-bit mask of exactly `k` ones, from the cached lists when `k`
/// is small.
#[inline]
pub(crate) fn each_mask(d: u32, k: u32, mut f: impl FnMut(u32)) {
    if k <= LISTED_ONES {
        let (v, starts) = masks(d);
        if let (Some(&a), Some(&b)) = (starts.get(k as usize), starts.get(k as usize + 1)) {
            v[a..b].iter().for_each(|&m| f(m));
        }
    } else {
        for_each_mask(d, k, f);
    }
}

/// Calls `f` with every `bits`-bit mask of exactly `k` ones (Gosper's hack).
fn for_each_mask(bits: u32, k: u32, mut f: impl FnMut(u32)) {
    if k == 0 {
        f(0);
        return;
    }
    if k > bits {
        return;
    }
    let limit = 1u64 << bits;
    let mut m: u64 = (1u64 << k) - 1;
    while m < limit {
        f(m as u32);
        let c = m & m.wrapping_neg();
        let r = m + c;
        m = (((r ^ m) >> 2) / c) | r;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_satisfy_pigeonhole() {
        for r in 0..=256 {
            let t = thresholds(r);
            let s: i64 = t.iter().map(|&x| x as i64 + 1).sum();
            assert!(s > r as i64, "r={r} t={t:?}");
            assert!(t.iter().all(|&x| x >= -1));
        }
        assert_eq!(thresholds(31), [3; 8]);
        assert_eq!(thresholds(0), [0, -1, -1, -1, -1, -1, -1, -1]);
    }

    #[test]
    fn masks_are_enumerated_once() {
        for k in 0..=5 {
            let mut v = Vec::new();
            for_each_mask(10, k, |m| v.push(m));
            let expect: Vec<u32> = (0..1024u32).filter(|m| m.count_ones() == k).collect();
            v.sort();
            assert_eq!(v, expect);
        }
        let mut count = 0;
        for_each_mask(16, 16, |_| count += 1);
        assert_eq!(count, 1);
        for d in [1, 5, 9, 16, 21, MAX_DIR_BITS] {
            for k in 0..=d.min(6) {
                let mut listed = Vec::new();
                each_mask(d, k, |m| listed.push(m));
                let mut direct = Vec::new();
                for_each_mask(d, k, |m| direct.push(m));
                assert_eq!(listed, direct, "d {d} k {k}");
                assert_eq!(listed.len(), masks_count(d, k), "d {d} k {k}");
            }
        }
    }
}
