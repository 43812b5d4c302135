//! The merge policy: which segments a commit merges, so that a takedown list grown one ban
//! at a time stays about as small and as fast as one compacted segment.
//!
//! Every commit of new works writes a new segment. Left alone, a list banked one notice at
//! a time becomes thousands of small segments, each searched on its own: a segment of
//! [`MIN_INDEXED_HASHES`] hashes or more carries multi-index directories (2 MiB each in
//! format 4, about 4 bytes a hash since format 5) and costs every query hash of a seed search
//! `8 · (1 + b)` random probes (`b` its directory bits, 10 to 21), a smaller one is scanned
//! hash by hash. [`MergePolicy`] bounds both costs the way
//! log-structured stores do (tantivy's and Lucene's log merge policies, the size-tiered
//! compaction of LevelDB's descendants):
//!
//! - **Tiers by size.** A segment's tier is set by its live hashes (removed works' hashes do
//!   not count): tier 0 holds the segments below `floor_rows` (by default the scanned ones),
//!   tier `k ≥ 1` those of `floor_rows · f^(k-1)` up to `floor_rows · f^k` hashes, where `f`
//!   is the merge factor.
//! - **A merge factor.** When a tier holds `merge_factor` segments, the commit merges them
//!   into one, which lands in a higher tier; a cascade (the merged segment fills the next
//!   tier) is merged in the same commit, and every hash is written once per commit however
//!   deep the cascade goes. So an index of `n` hashes holds at most `merge_factor - 1`
//!   segments per tier, about `log_f(n / floor_rows)` tiers, and each hash is rewritten
//!   about once per tier it climbs: the write amplification is bounded by the number of
//!   tiers, plus one.
//! - **A cap on one merge.** No merge writes a segment of more than `max_segment_rows`
//!   hashes, and segments of at least half of it are never merged again: a commit rewrites
//!   at most that much, and the largest segments are written once (their directories are
//!   then a small share of their bytes).
//! - **Removed works are dropped.** A merge keeps only live works; a segment whose removed
//!   hashes exceed `max_removed_share` of its hashes is rewritten even when its tier is not
//!   full, so unbanned works do not stay on disk for long.
//!
//! Merges happen inside [`IndexWriter::commit`](super::IndexWriter::commit), before its
//! manifest is replaced: the commit that adds a work and the merges it triggers become
//! visible together (a crash leaves the old state or the new one). Every input segment is
//! verified against its checksum and its table invariants before a byte of it is merged.
//! Readers are never blocked: a snapshot holds its segments (read into memory or mapped;
//! an unlinked mapped file stays readable), and the inputs are removed only after the
//! manifest that no longer names them is committed.
//!
//! `staydown index compact` stays: it merges every segment into as few as a segment holds.

use crate::error::{Error, Result};

use super::format::{MAX_SEGMENT_FRAMES, MIN_INDEXED_HASHES};
use super::snapshot::Snapshot;

/// Which segments a commit merges (see [the module](self) for the rules and their reasons).
///
/// The defaults (`merge_factor` 4, `floor_rows` = [`MIN_INDEXED_HASHES`],
/// `max_segment_rows` 2^23, `max_removed_share` 0.25) keep an index grown one ban at a time
/// within a percent of a compacted one in bytes per hash and resident memory (README, *The
/// index on disk*), but its `check` costs about twice the compacted one's: 1.7–2.4× at
/// 3,000 works and 1.9–2.0× at 10,000 (`examples/merge_growth.rs`, README), above the 1.5×
/// aimed for. Every indexed segment is probed on its own, about `8 · (1 + b)` probes a query
/// hash for `b` directory bits, and even a segment small enough to stay in cache costs about
/// 3 µs a query hash; the scanned ones cost about 0.9 ns a row. No tiering modelled on these
/// costs reached 1.5× (README: the nearest, 1.7–2.4×, rewrote each hash 8–11 times), so
/// what is left is the per-segment cost of a seed search, or a structure shared across
/// segments. A merge
/// factor of 4 rather than 8 keeps fewer indexed segments for more rewrites: measured at
/// 3,000 works (1,972,816 hashes), 3 indexed segments instead of 9, write amplification 4.47
/// instead of 3.15; at 10,000 works 7 indexed segments (5 of them below 21,000 hashes) and
/// 5.29. Set
/// the policy of an index with [`Index::set_merge_policy`](super::Index::set_merge_policy)
/// or of one writer with
/// [`IndexWriter::set_merge_policy`](super::IndexWriter::set_merge_policy).
///
/// ```
/// use staydown::index::MergePolicy;
///
/// let p = MergePolicy::default();
/// assert_eq!(p.tier(100), 0);
/// assert_eq!(p.tier(p.floor_rows), 1);
/// assert_eq!(p.tier(p.floor_rows * p.merge_factor as u64), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MergePolicy {
    /// Segments a tier holds before they are merged into one (at least 2). Larger: fewer
    /// rewrites, more segments to search.
    pub merge_factor: usize,
    /// Live hashes below which a segment is in tier 0.
    pub floor_rows: u64,
    /// Most hashes one merge writes (at most a segment's capacity); segments of at least
    /// half of it are not merged again.
    pub max_segment_rows: u64,
    /// Share of a segment's hashes that may belong to removed works before the segment is
    /// rewritten without them (0 to 1; above 1: never for that reason).
    pub max_removed_share: f64,
    /// Whether commits merge at all (`false`: only `compact` merges).
    pub enabled: bool,
}

impl Default for MergePolicy {
    fn default() -> Self {
        MergePolicy {
            merge_factor: 4,
            floor_rows: MIN_INDEXED_HASHES as u64,
            max_segment_rows: 1 << 23,
            max_removed_share: 0.25,
            enabled: true,
        }
    }
}

/// The segments of one tier, as [`MergePolicy::tiers`] counts them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TierCount {
    /// The tier (0: below `floor_rows` live hashes).
    pub tier: u32,
    /// Live hashes of the smallest segment the tier admits.
    pub min_rows: u64,
    /// Segments in the tier.
    pub segments: usize,
    /// Live hashes in them.
    pub live_rows: u64,
    /// Hashes of removed works still stored in them.
    pub removed_rows: u64,
}

/// What the policy knows of a segment, or of new works not yet written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// Stored hashes.
    pub(crate) rows: u64,
    /// Hashes of live works.
    pub(crate) live: u64,
}

impl MergePolicy {
    /// A policy that never merges on commit (only `compact` does): every commit keeps its
    /// own segment.
    pub fn never() -> MergePolicy {
        MergePolicy {
            enabled: false,
            ..MergePolicy::default()
        }
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `merge_factor < 2`, `floor_rows` is 0,
    /// `max_segment_rows` is below `floor_rows` or above a segment's capacity, or
    /// `max_removed_share` is not a number above 0.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: String| Err(Error::InvalidArgument(format!("merge policy: {what}")));
        if self.merge_factor < 2 {
            return bad(format!("merge_factor {} is below 2", self.merge_factor));
        }
        if self.floor_rows == 0 {
            return bad("floor_rows must be at least 1".into());
        }
        if self.max_segment_rows < self.floor_rows
            || self.max_segment_rows > MAX_SEGMENT_FRAMES as u64
        {
            return bad(format!(
                "max_segment_rows {} is outside floor_rows {} ..= {MAX_SEGMENT_FRAMES}",
                self.max_segment_rows, self.floor_rows
            ));
        }
        if self.max_removed_share.is_nan() || self.max_removed_share <= 0.0 {
            return bad(format!(
                "max_removed_share {} must be above 0",
                self.max_removed_share
            ));
        }
        Ok(())
    }

    /// The tier of a segment of `live_rows` live hashes: 0 below `floor_rows`, then one
    /// more for every factor of `merge_factor`.
    pub fn tier(&self, live_rows: u64) -> u32 {
        let f = self.merge_factor.max(2) as u64;
        let mut bound = self.floor_rows.max(1);
        let mut t = 0;
        while live_rows >= bound {
            t += 1;
            bound = bound.saturating_mul(f);
            if bound == u64::MAX {
                break;
            }
        }
        t
    }

    fn lower_bound(&self, tier: u32) -> u64 {
        if tier == 0 {
            return 0;
        }
        let f = self.merge_factor.max(2) as u64;
        (1..tier).fold(self.floor_rows.max(1), |b, _| b.saturating_mul(f))
    }

    /// True when a segment of this many live hashes is never merged again (only rewritten
    /// to drop removed works).
    fn is_full(&self, live_rows: u64) -> bool {
        live_rows >= self.max_segment_rows / 2
    }

    /// Segments per tier of `snapshot`, lowest tier first (tiers without segments are left
    /// out).
    ///
    /// *Performance*: O(works).
    pub fn tiers(&self, snapshot: &Snapshot) -> Vec<TierCount> {
        let mut out: Vec<TierCount> = Vec::new();
        for c in candidates(snapshot, &[]) {
            let tier = self.tier(c.live);
            let i = match out.iter().position(|t| t.tier == tier) {
                Some(i) => i,
                None => {
                    out.push(TierCount {
                        tier,
                        min_rows: self.lower_bound(tier),
                        ..TierCount::default()
                    });
                    out.len() - 1
                }
            };
            out[i].segments += 1;
            out[i].live_rows += c.live;
            out[i].removed_rows += c.rows - c.live;
        }
        out.sort_by_key(|t| t.tier);
        out
    }

    /// Plans the merges of a commit over `segments` (the live segments in manifest order,
    /// then the new works' segments): each element of the result is one segment of the
    /// new manifest, in order, given as the indices of `segments` it is made of. An element
    /// that is a single index `i` keeps `segments[i]` as it is, unless `i` is in the
    /// returned rewrite set (a segment rewritten alone to drop removed works).
    pub(crate) fn plan(&self, segments: &[Candidate]) -> (Vec<Vec<usize>>, Vec<usize>) {
        let mut out: Vec<(Vec<usize>, u64)> = segments
            .iter()
            .enumerate()
            .map(|(i, c)| (vec![i], c.live))
            .collect();
        let mut rewrite = Vec::new();
        if !self.enabled || self.validate().is_err() {
            return (out.into_iter().map(|(s, _)| s).collect(), rewrite);
        }
        let cap = self.max_segment_rows;
        loop {
            // The lowest tier holding `merge_factor` segments that may still merge.
            let mut by_tier: Vec<(u32, Vec<usize>)> = Vec::new();
            for (k, (_, live)) in out.iter().enumerate() {
                if self.is_full(*live) {
                    continue;
                }
                let t = self.tier(*live);
                match by_tier.iter_mut().find(|(tier, _)| *tier == t) {
                    Some((_, v)) => v.push(k),
                    None => by_tier.push((t, vec![k])),
                }
            }
            by_tier.sort_by_key(|(t, _)| *t);
            let Some((_, members)) = by_tier
                .into_iter()
                .find(|(_, v)| v.len() >= self.merge_factor)
            else {
                break;
            };
            // Merge them in manifest order, as many as the cap allows (at least two: two
            // segments that are not full fit under the cap).
            let mut group = Vec::new();
            let mut rows = 0u64;
            for k in members {
                if rows + out[k].1 > cap && group.len() >= 2 {
                    break;
                }
                rows += out[k].1;
                group.push(k);
            }
            let first = group[0];
            let mut merged = Vec::new();
            for &k in &group {
                merged.extend(out[k].0.iter().copied());
            }
            // Works keep the order of the manifest they came from.
            merged.sort_unstable();
            out[first] = (merged, rows);
            for &k in group.iter().skip(1).rev() {
                out.remove(k);
            }
        }
        for (srcs, _) in &out {
            if let [i] = srcs[..] {
                let c = segments[i];
                let removed = c.rows - c.live;
                if removed > 0 && removed as f64 > self.max_removed_share * c.rows as f64 {
                    rewrite.push(i);
                }
            }
        }
        (out.into_iter().map(|(s, _)| s).collect(), rewrite)
    }
}

/// Stored and live hashes of each segment of `snapshot`, with the works ordinals in
/// `also_removed` counted as removed.
pub(crate) fn candidates(snapshot: &Snapshot, also_removed: &[u32]) -> Vec<Candidate> {
    let inner = &snapshot.inner;
    inner
        .segments
        .iter()
        .enumerate()
        .map(|(s, seg)| {
            let base = inner.bases[s];
            let mut live = 0u64;
            for w in 0..seg.works.len() {
                let ord = base + w as u32;
                if !inner.dead[ord as usize] && !also_removed.contains(&ord) {
                    live += u64::from(seg.work_start[w + 1] - seg.work_start[w]);
                }
            }
            Candidate {
                rows: seg.frames() as u64,
                live,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(live: u64) -> Candidate {
        Candidate { rows: live, live }
    }

    fn policy(f: usize) -> MergePolicy {
        MergePolicy {
            merge_factor: f,
            floor_rows: 100,
            max_segment_rows: 100_000,
            ..MergePolicy::default()
        }
    }

    #[test]
    fn tiers_grow_by_the_merge_factor() {
        let p = policy(10);
        assert_eq!(p.tier(0), 0);
        assert_eq!(p.tier(99), 0);
        assert_eq!(p.tier(100), 1);
        assert_eq!(p.tier(999), 1);
        assert_eq!(p.tier(1000), 2);
        assert_eq!(p.tier(u64::MAX), p.tier(u64::MAX));
        assert_eq!(p.lower_bound(3), 10_000);
    }

    #[test]
    fn a_full_tier_is_merged_and_cascades_in_one_commit() {
        let p = policy(3);
        // Two tier-0 segments and a new one: the three merge.
        let (plan, rw) = p.plan(&[c(500), c(10), c(20), c(30)]);
        assert_eq!(plan, vec![vec![0], vec![1, 2, 3]]);
        assert!(rw.is_empty());
        // Two tier-1 segments, two tier-0 ones and a new one: tier 0 merges into a tier-1
        // segment, which fills tier 1, which merges too.
        let (plan, _) = p.plan(&[c(150), c(150), c(40), c(40), c(40)]);
        assert_eq!(plan, vec![vec![0, 1, 2, 3, 4]]);
        // Below the factor nothing merges.
        let (plan, _) = p.plan(&[c(150), c(40), c(40)]);
        assert_eq!(plan, vec![vec![0], vec![1], vec![2]]);
    }

    #[test]
    fn merges_respect_the_cap_and_leave_full_segments_alone() {
        let p = MergePolicy {
            max_segment_rows: 1000,
            ..policy(2)
        };
        // 600 is full (>= 500): never merged. 400 + 400 fit, the third 400 would not.
        let (plan, _) = p.plan(&[c(600), c(400), c(400), c(400)]);
        assert_eq!(plan[0], vec![0]);
        assert!(plan.iter().all(|g| g.len() <= 2), "{plan:?}");
        let total: usize = plan.iter().map(Vec::len).sum();
        assert_eq!(total, 4);
    }

    #[test]
    fn removed_works_trigger_a_rewrite() {
        let p = policy(10);
        let (plan, rw) = p.plan(&[
            Candidate {
                rows: 1000,
                live: 700,
            },
            Candidate {
                rows: 1000,
                live: 800,
            },
        ]);
        assert_eq!(plan, vec![vec![0], vec![1]]);
        assert_eq!(rw, vec![0]);
    }

    #[test]
    fn the_never_policy_and_bad_parameters_merge_nothing() {
        let segs = [c(1), c(1), c(1), c(1)];
        let (plan, _) = MergePolicy::never().plan(&segs);
        assert_eq!(plan.len(), 4);
        let bad = MergePolicy {
            merge_factor: 1,
            ..MergePolicy::default()
        };
        assert!(bad.validate().is_err());
        assert_eq!(bad.plan(&segs).0.len(), 4);
        assert!(MergePolicy::default().validate().is_ok());
        for share in [0.0, f64::NAN, -1.0] {
            let p = MergePolicy {
                max_removed_share: share,
                ..MergePolicy::default()
            };
            assert!(p.validate().is_err(), "{share}");
        }
    }

    #[test]
    fn segments_stay_in_manifest_order_and_appear_once() {
        let p = policy(4);
        let sizes: Vec<Candidate> = (0..40).map(|k| c(10 + (k * 37) % 300)).collect();
        let (plan, _) = p.plan(&sizes);
        let mut seen: Vec<usize> = plan.iter().flatten().copied().collect();
        let firsts: Vec<usize> = plan.iter().map(|g| g[0]).collect();
        assert!(firsts.windows(2).all(|w| w[0] < w[1]), "{plan:?}");
        seen.sort_unstable();
        assert_eq!(seen, (0..40).collect::<Vec<_>>());
        for g in &plan {
            assert!(g.windows(2).all(|w| w[0] < w[1]), "{g:?}");
        }
    }
}
