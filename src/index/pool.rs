//! The small segments of a snapshot searched as one: a shared in-memory table.
//!
//! # Why
//!
//! A takedown list grows one ban at a time, and the merge policy ([`super::merge`]) keeps up
//! to three segments in each tier, so a grown index has several small segments beside its
//! large ones. A multi-index search costs each segment about `8 · (1 + b)` directory probes
//! at the seed thresholds ([`super::mih`]), whatever its size, and a scanned segment a read
//! of every hash: measured on 10,000 works banked one at a time (`examples/merge_growth.rs
//! query`, README *merge policy*), the 8 segments below 65,536 rows (56,664 of the 6.6
//! million rows) were a third of a `check`'s processor time.
//!
//! So a snapshot gathers every segment of at most [`POOL_MAX_ROWS`] rows (when there are two
//! or more) into one table built in memory at its first search: their hashes, copied, and
//! per 32-bit substring a directory on the key's top `b` bits ([`dir_bits_for`] of the
//! pooled rows, buckets of about 8) over the rows' full keys and pool numbers. A search then
//! probes one small directory instead of one per segment. It is exact in the same way as
//! the segments' own search (pigeonhole over the same thresholds, each hit reported once by
//! its first table within threshold), and hits come out as the rows of their own segments,
//! so removed works and segments that failed their checksum are dropped as before.
//!
//! # Cost
//!
//! Building is a counting sort per table (the tables on rayon's threads), linear in the
//! pooled rows: 19.6–33.1 ms for the 56,664 rows below (the first search of a process also
//! starts rayon's threads), once per snapshot. Memory is 32 bytes of hash, 8 tables of 8-byte
//! entries and the directories, about 100 bytes a pooled row. With the default policy at most
//! 3 segments per tier below 65,536 rows are pooled (at most 252,000 rows, 25 MB); the
//! 10,000-work index pools 56,664 rows (5.7 MB, 1.1% of its 526 MB of segments).

use std::sync::Arc;

use rayon::prelude::*;

use crate::hash::Hash256;

use super::format::{TABLES, dir_bits_for, substring};
use super::mih;
use super::segment::Segment;

/// Largest segment, in rows, that is searched through the pool: the top of tier 2 of the
/// default merge policy (factor 4 from 4,096), where a segment's directories and hashes still
/// fit a processor's cache comfortably.
pub(crate) const POOL_MAX_ROWS: usize = 65_536;

/// The pooled segments' rows, searchable as one.
pub(crate) struct Pool {
    /// For each segment of the snapshot, whether it is pooled.
    pooled: Vec<bool>,
    /// The pooled segments (snapshot positions), in order, and the pool number of each one's
    /// first row (one more entry: the number of pooled rows).
    segs: Vec<usize>,
    starts: Vec<u32>,
    /// 32 bytes a pooled row, the segments' own bytes.
    hashes: Vec<u8>,
    dir_bits: u32,
    /// Table `i`'s directory: `2^dir_bits + 1` offsets into its entries, at
    /// `i * (2^dir_bits + 1)`.
    dirs: Vec<u32>,
    /// Table `i`'s entries, `n` of them at `i * n`, grouped by the key's top `dir_bits` bits:
    /// the whole 32-bit key above the pool row (a bucket's entries share cache lines).
    entries: Vec<u64>,
}

impl Pool {
    /// The pool of `segments`' small ones, or `None` when fewer than two are small (a lone
    /// small segment is searched as well by itself).
    pub(crate) fn build(segments: &[Arc<Segment>]) -> Option<Pool> {
        let pooled: Vec<bool> = segments
            .iter()
            .map(|s| s.frames() > 0 && s.frames() <= POOL_MAX_ROWS)
            .collect();
        if pooled.iter().filter(|&&p| p).count() < 2 {
            return None;
        }
        let mut segs = Vec::new();
        let mut starts = vec![0u32];
        let mut hashes = Vec::new();
        for (s, seg) in segments.iter().enumerate().filter(|(s, _)| pooled[*s]) {
            let l = &seg.layout;
            hashes.extend_from_slice(&seg.bytes()[l.hashes..l.hashes + 32 * l.n]);
            segs.push(s);
            starts.push(starts[starts.len() - 1] + l.n as u32);
        }
        let n = hashes.len() / 32;
        let dir_bits = dir_bits_for(n);
        let width = (1usize << dir_bits) + 1;
        let shift = 32 - dir_bits;
        let subs: Vec<[u32; TABLES]> = (0..n)
            .map(|row| {
                let h = hash_of(&hashes, row as u32);
                std::array::from_fn(|t| substring(&h, t))
            })
            .collect();
        let mut dirs = vec![0u32; TABLES * width];
        let mut entries = vec![0u64; TABLES * n];
        // Each table on its own: a counting sort by prefix (counts, where each bucket starts,
        // then the rows in order).
        dirs.par_chunks_mut(width)
            .zip(entries.par_chunks_mut(n.max(1)))
            .enumerate()
            .for_each(|(t, (dir, entries))| {
                for sub in &subs {
                    dir[(sub[t] >> shift) as usize + 1] += 1;
                }
                for p in 1..width {
                    dir[p] += dir[p - 1];
                }
                let mut next: Vec<u32> = dir[..width - 1].to_vec();
                for (row, sub) in subs.iter().enumerate() {
                    let k = sub[t];
                    let at = &mut next[(k >> shift) as usize];
                    entries[*at as usize] = (u64::from(k) << 32) | row as u64;
                    *at += 1;
                }
            });
        Some(Pool {
            pooled,
            segs,
            starts,
            hashes,
            dir_bits,
            dirs,
            entries,
        })
    }

    /// Whether the snapshot's segment `s` is searched through the pool.
    pub(crate) fn holds(&self, s: usize) -> bool {
        self.pooled.get(s).copied().unwrap_or(false)
    }

    /// Pooled rows.
    pub(crate) fn len(&self) -> usize {
        self.hashes.len() / 32
    }

    /// The snapshot's segment and the row in it of pool row `row`.
    fn locate(&self, row: u32) -> (usize, u32) {
        let k = self.starts.partition_point(|&s| s <= row) - 1;
        (self.segs[k], row - self.starts[k])
    }

    /// `emit(segment, row, distance)` for every pooled row within `r` of `q` that the
    /// thresholds `t` cover (see [`mih`]: some substring within its `t_i`), each once; by
    /// probing unless `always_probe` is false and reading every pooled hash costs less.
    pub(crate) fn search(
        &self,
        q: &Hash256,
        r: u32,
        t: &[i32; TABLES],
        always_probe: bool,
        emit: &mut impl FnMut(usize, u32, u32),
    ) {
        let n = self.len();
        if !always_probe && mih::probe_cost(t, n, self.dir_bits) >= n as f64 {
            mih::scan_hashes(&self.hashes, q, r, &mut |row, d| {
                let (s, id) = self.locate(row);
                emit(s, id, d);
            });
            return;
        }
        let qsub: [u32; TABLES] = std::array::from_fn(|i| substring(q, i));
        let d = self.dir_bits;
        let width = (1usize << d) + 1;
        // Each table's buckets are random reads: their directory entries are all asked for
        // first, then each bucket's first line, then the buckets are read.
        let mut buckets: Vec<(u32, u8)> = Vec::new();
        let mut spans: Vec<(u32, u32, u8)> = Vec::new();
        for (i, &ti) in t.iter().enumerate() {
            if ti < 0 {
                continue;
            }
            let dir = &self.dirs[i * width..(i + 1) * width];
            let entries = &self.entries[i * n..(i + 1) * n];
            let qp = qsub[i] >> (32 - d);
            buckets.clear();
            for k in 0..=(ti as u32).min(d) {
                let allow = (ti - k as i32).min(i32::from(u8::MAX)) as u8;
                mih::each_mask(d, k, |mask| {
                    let p = qp ^ mask;
                    mih::prefetch(dir, p as usize);
                    buckets.push((p, allow));
                });
            }
            spans.clear();
            for &(p, allow) in &buckets {
                let (lo, hi) = (dir[p as usize], dir[p as usize + 1]);
                if lo < hi {
                    mih::prefetch(entries, lo as usize);
                    spans.push((lo, hi, allow));
                }
            }
            // Within a bucket the key's top `d` bits differ from the query's in exactly the
            // probe's flips, so only the low bits are left to test, against the allowance.
            let low = if d >= 32 { 0 } else { u32::MAX >> d };
            for &(lo, hi, allow) in &spans {
                for &e in &entries[lo as usize..hi as usize] {
                    let x = ((e >> 32) as u32 ^ qsub[i]) & low;
                    let close = match allow {
                        0 => x == 0,
                        1 => x & x.wrapping_sub(1) == 0,
                        a => x.count_ones() <= u32::from(a),
                    };
                    if !close {
                        continue;
                    }
                    let row = e as u32;
                    let h = hash_of(&self.hashes, row);
                    let dist = h.distance(q);
                    if dist > r {
                        continue;
                    }
                    // Reported by an earlier table already?
                    let earlier = (0..i).any(|e| {
                        t[e] >= 0 && (substring(&h, e) ^ qsub[e]).count_ones() as i32 <= t[e]
                    });
                    if !earlier {
                        let (s, id) = self.locate(row);
                        emit(s, id, dist);
                    }
                }
            }
        }
    }
}

/// Pool row `row`'s hash.
#[inline]
fn hash_of(hashes: &[u8], row: u32) -> Hash256 {
    super::format::hash_at(hashes, 32 * row as usize)
}
