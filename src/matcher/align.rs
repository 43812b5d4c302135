//! Time alignment: chaining frame hits into segments where `ref_t ≈ speed · query_t + offset`.
//!
//! # Method
//! Every hit of a query frame in a work is an *anchor* `(query_t, ref_t)` (a reference span
//! `ref_lo..=ref_hi` when the index collapsed near-identical neighbours). Anchors of one work
//! and one orientation (mirrored or not) are chained by dynamic programming, as seed chaining
//! in sequence aligners (minimap2) does: a chain is a run of anchors with strictly increasing
//! query time (so each query frame counts once) whose reference times advance at a speed
//! within `min_speed..=max_speed`, both from the previous anchor (local step, with `tol_ms`
//! of timing jitter) and from the first anchor of the chain (so slow drift cannot bend a chain
//! away from a straight line). Two anchors more than `max_gap_ms` of query time apart are
//! never linked: a long gap (a cut to other footage, a run of low-quality frames) ends a
//! segment, and a work buried twice in a compilation gives two segments.
//!
//! The score of a chain is the sum of its anchors' weights (a query frame's weight is lower
//! when its hash hits many works). Chains are taken from the best end downwards; a chain
//! stops where it would reuse an anchor already given to a better chain.
//!
//! *Performance*: O(n · w) for n anchors, w the anchors within `max_gap_ms` of query time
//! before each one; no allocation besides a few `Vec`s of length n.

/// One hit of a query frame in a work.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Anchor {
    /// The query hash that hit (for counting only frames that change).
    pub query_hash: crate::hash::Hash256,
    /// Query time, milliseconds.
    pub q_ms: u64,
    /// Start of the reference span, milliseconds.
    pub r_lo_ms: u64,
    /// End of the reference span (inclusive), milliseconds; equals `r_lo_ms` for one frame.
    pub r_hi_ms: u64,
    /// Hamming distance of the hit.
    pub distance: u32,
    /// Weight of the query frame (a chain's strength is the sum over its anchors; closer
    /// hits win ties through a small distance factor).
    pub weight: f64,
}

/// Constraints of a chain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ChainParams {
    /// Slowest accepted speed (reference time per query time).
    pub min_speed: f64,
    /// Fastest accepted speed.
    pub max_speed: f64,
    /// Timing jitter tolerated on the reference side, milliseconds.
    pub tol_ms: f64,
    /// Longest query-time gap between consecutive anchors of one chain, milliseconds.
    pub max_gap_ms: u64,
}

/// Whether the reference can advance from span `a` to span `b` while the query advances by
/// `dq` milliseconds, at a speed within the bounds (plus jitter).
#[inline]
fn consistent(a: &Anchor, b: &Anchor, dq: f64, p: &ChainParams) -> bool {
    let lo = p.min_speed * dq - p.tol_ms;
    let hi = p.max_speed * dq + p.tol_ms;
    // Possible reference advances: [b.lo - a.hi, b.hi - a.lo].
    let dr_min = b.r_lo_ms as f64 - a.r_hi_ms as f64;
    let dr_max = b.r_hi_ms as f64 - a.r_lo_ms as f64;
    dr_max >= lo && dr_min <= hi
}

/// Chains `anchors` (any order; they are sorted in place by query then reference time) and
/// returns the chains as lists of indices into the sorted slice, in time order, best first.
/// Chains with fewer than `min_anchors` anchors are dropped.
pub(crate) fn chain(
    anchors: &mut [Anchor],
    p: &ChainParams,
    min_anchors: usize,
) -> Vec<Vec<usize>> {
    anchors.sort_by_key(|a| (a.q_ms, a.r_lo_ms, a.distance));
    let n = anchors.len();
    let gain: Vec<f64> = anchors
        .iter()
        .map(|a| a.weight * (1.0 - a.distance as f64 / 512.0))
        .collect();
    let mut best = vec![0.0f64; n];
    let mut pred = vec![usize::MAX; n];
    let mut start = vec![0usize; n];
    for j in 0..n {
        let aj = anchors[j];
        let mut best_j = gain[j];
        let mut pred_j = usize::MAX;
        let mut start_j = j;
        for i in (0..j).rev() {
            let ai = &anchors[i];
            if ai.q_ms == aj.q_ms {
                continue;
            }
            let dq = aj.q_ms - ai.q_ms;
            if dq > p.max_gap_ms {
                break;
            }
            let cand = best[i] + gain[j];
            if cand <= best_j {
                continue;
            }
            if !consistent(ai, &aj, dq as f64, p) {
                continue;
            }
            let s = start[i];
            let a0 = &anchors[s];
            if s != i && !consistent(a0, &aj, (aj.q_ms - a0.q_ms) as f64, p) {
                continue;
            }
            best_j = cand;
            pred_j = i;
            start_j = s;
        }
        best[j] = best_j;
        pred[j] = pred_j;
        start[j] = start_j;
    }

    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| best[b].total_cmp(&best[a]).then(a.cmp(&b)));
    let mut used = vec![false; n];
    let mut chains = Vec::new();
    for end in order {
        if used[end] {
            continue;
        }
        let mut members = Vec::new();
        let mut k = end;
        loop {
            if used[k] {
                break;
            }
            used[k] = true;
            members.push(k);
            if pred[k] == usize::MAX {
                break;
            }
            k = pred[k];
        }
        if members.len() >= min_anchors {
            members.reverse();
            chains.push(members);
        }
    }
    // Best first by total weight of what each chain actually kept.
    chains.sort_by(|a, b| {
        let wa: f64 = a.iter().map(|&i| anchors[i].weight).sum();
        let wb: f64 = b.iter().map(|&i| anchors[i].weight).sum();
        wb.total_cmp(&wa)
    });
    chains
}

/// Least-squares slope of reference time on query time over the chain (1.0 for one anchor or
/// when all anchors share a query time).
pub(crate) fn fit_speed(anchors: &[Anchor], members: &[usize]) -> f64 {
    let n = members.len() as f64;
    if members.len() < 2 {
        return 1.0;
    }
    let mid = |a: &Anchor| (a.r_lo_ms as f64 + a.r_hi_ms as f64) / 2.0;
    let mq = members.iter().map(|&i| anchors[i].q_ms as f64).sum::<f64>() / n;
    let mr = members.iter().map(|&i| mid(&anchors[i])).sum::<f64>() / n;
    let (mut sqr, mut sqq) = (0.0, 0.0);
    for &i in members {
        let dq = anchors[i].q_ms as f64 - mq;
        sqr += dq * (mid(&anchors[i]) - mr);
        sqq += dq * dq;
    }
    if sqq <= 0.0 { 1.0 } else { sqr / sqq }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(q: u64, r: u64) -> Anchor {
        Anchor {
            query_hash: crate::hash::Hash256::ZERO,
            q_ms: q,
            r_lo_ms: r,
            r_hi_ms: r,
            distance: 4,
            weight: 1.0,
        }
    }

    fn params() -> ChainParams {
        ChainParams {
            min_speed: 0.8,
            max_speed: 1.25,
            tol_ms: 500.0,
            max_gap_ms: 10_000,
        }
    }

    #[test]
    fn straight_line_with_noise_is_one_chain() {
        let mut v: Vec<Anchor> = (0..20).map(|i| a(i * 1000, 50_000 + i * 1100)).collect();
        // Scattered coincidental hits.
        v.push(a(3000, 900_000));
        v.push(a(7000, 10));
        v.push(a(12_000, 400_000));
        let chains = chain(&mut v, &params(), 2);
        assert_eq!(chains.len(), 1);
        assert_eq!(chains[0].len(), 20);
        let s = fit_speed(&v, &chains[0]);
        assert!((s - 1.1).abs() < 1e-9, "{s}");
    }

    #[test]
    fn repeats_of_one_reference_frame_do_not_chain() {
        // Ten query frames all hitting the same reference frame: slope 0, below min_speed.
        let mut v: Vec<Anchor> = (0..10).map(|i| a(i * 1000, 5000)).collect();
        let chains = chain(&mut v, &params(), 2);
        assert!(chains.is_empty(), "{chains:?}");
    }

    #[test]
    fn too_fast_or_backwards_does_not_chain() {
        let mut v: Vec<Anchor> = (0..10).map(|i| a(i * 1000, 100_000 - i * 1000)).collect();
        assert!(chain(&mut v, &params(), 2).is_empty());
        let mut v: Vec<Anchor> = (0..10).map(|i| a(i * 1000, i * 2000)).collect();
        assert!(chain(&mut v, &params(), 2).is_empty());
    }

    #[test]
    fn gap_splits_and_drift_is_bounded() {
        let mut v: Vec<Anchor> = (0..5).map(|i| a(i * 1000, i * 1000)).collect();
        v.extend((0..5).map(|i| a(60_000 + i * 1000, 200_000 + i * 1000)));
        let chains = chain(&mut v, &params(), 2);
        assert_eq!(chains.len(), 2);
        // Each local step at speed 1.25 + jitter is fine, but the whole run at ~1.7 is not.
        let mut v: Vec<Anchor> = (0..20).map(|i| a(i * 1000, i * 1700)).collect();
        let chains = chain(&mut v, &params(), 2);
        assert!(chains.iter().all(|c| c.len() < 5), "{chains:?}");
    }

    #[test]
    fn spans_chain_through_static_shots() {
        // A static shot: the index collapsed 10 s of the work into one span.
        let mut v: Vec<Anchor> = (0..8)
            .map(|i| Anchor {
                r_lo_ms: 20_000,
                r_hi_ms: 30_000,
                ..a(i * 1000, 0)
            })
            .collect();
        let chains = chain(&mut v, &params(), 2);
        assert_eq!(chains.len(), 1);
        assert_eq!(chains[0].len(), 8);
    }
}
