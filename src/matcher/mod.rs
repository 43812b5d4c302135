//! Turning index hits into temporally consistent matched segments, scoring them, and applying
//! a [`Policy`].
//!
//! Frame hashes alone do not decide: unrelated videos share black frames, title cards and stock
//! shots. The matcher finds the hits of every good query frame (and its mirror) in the index,
//! then keeps only hits that line up in time, `ref_t ≈ speed · query_t + offset` with `speed` in
//! `min_speed..=max_speed` (see `align.rs` for the chaining). Each such run is a [`Match`] with
//! its time ranges on both sides and the matched frame pairs as evidence; the [`Policy`] turns
//! the runs into a [`Verdict`].
//!
//! # Seed and extend
//! Searching every query hash at the full radius (40 bits) is the expensive part: in the
//! on-disk index a radius-40 search probes about 24,000 directory buckets. Instead, as
//! sequence aligners do (BLAST, minimap2), each query hash is first *seeded*
//! ([`Search::seed`]): the index probes only keys within 1 bit of each 32-bit substring of
//! the hash (136 buckets), which finds every frame within [`MatchOptions::seed_bits`] (15)
//! and, by chance, many farther ones (checked against the full radius). Then, for every work
//! and orientation a seed found, each hit is *extended*: the query frames within
//! `max_gap_ms` of it are compared with the work's own frames ([`Search::work_frames`]) whose
//! time is reachable at an accepted speed, and every new hit within the full radius is
//! extended in turn. A segment is therefore found exactly as an exhaustive search would find
//! it as soon as one of its frames seeds, and a segment of a few seconds has several chances
//! (the references are banked densely and with crops, so each query frame has several close
//! reference frames). `seed_bits >= radius_bits` searches every hash exhaustively.
//!
//! Measured (`cargo bench --bench matcher`, one core, a 10-minute upload with mirrors
//! against 10^6 indexed frames): 33 ms seeded against 2.2 s exhaustive, the same verdict
//! (the bench asserts it); `tests/matcher_index.rs` checks the equality on a compilation
//! where most copied frames lie 30–38 bits from the work and only one in ten seeds.
//!
//! ```
//! use staydown::{Fingerprint, FrameHash, Hash256, MemoryIndex, WorkMeta};
//! use staydown::matcher::{Decision, Matcher};
//!
//! // A work of 30 one-per-second frames with distinct hashes.
//! let h = |i: u64| Hash256([i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i ^ 0xA5A5_A5A5_A5A5_A5A5, !i, i.rotate_left(17) ^ 0x0123_4567_89AB_CDEF]);
//! let mut index = MemoryIndex::new();
//! index.add(WorkMeta { id: "w1".into(), ..Default::default() }, (0..30).map(|i| (i * 1000, h(i))));
//! // An upload: seconds 10..25 of the work, starting 3 s in.
//! let frames = (10..25)
//!     .map(|i| FrameHash { pts_ms: 3000 + (i - 10) * 1000, hash: h(i), quality: 100, mirror: None })
//!     .collect();
//! let upload = Fingerprint { frames, ..Default::default() };
//! let verdict = Matcher::new(&index).match_fingerprint(&upload);
//! assert_eq!(verdict.verdict, Decision::Match);
//! assert_eq!(verdict.matches[0].ref_start_ms, 10_000);
//! assert_eq!(verdict.matches[0].query_start_ms, 3_000);
//! ```

pub(crate) mod align;
mod policy;

use std::collections::HashMap;

use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::fingerprint::Fingerprint;
use crate::hash::Hash256;
use crate::index::{Hit, RefFrame, Search, WorkMeta};

pub use policy::{Decision, Policy};

use align::{Anchor, ChainParams};

/// How the matcher searches and aligns (the decision thresholds are in [`Policy`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchOptions {
    /// Search radius per frame hash, bits (inclusive). Default 40, above PDQ's per-image
    /// threshold of 31: alignment in time, not the radius, keeps coincidences out, and 40
    /// is what burned-in captions and logos need (see `src/eval.rs`).
    pub radius_bits: u32,
    /// Seeding radius, bits: every query frame within this distance of an indexed frame
    /// seeds a search of that work, and the frames around a seed in time are then compared
    /// with the work's frames up to `radius_bits` (see the module docs). Default 15; at or
    /// above `radius_bits` every frame is searched at the full radius (exhaustive, slower).
    #[serde(default = "default_seed_bits")]
    pub seed_bits: u32,
    /// Query frames with a PDQ quality below this are never searched nor counted (inclusive
    /// lower bound; vPDQ uses 50).
    pub min_quality: u8,
    /// Also search each frame's mirror hash (when the fingerprint carries one).
    pub mirrored: bool,
    /// Slowest accepted speed of the copy relative to the work.
    pub min_speed: f64,
    /// Fastest accepted speed of the copy relative to the work.
    pub max_speed: f64,
    /// Timing jitter tolerated between consecutive matched frames, milliseconds.
    pub jitter_ms: u64,
    /// Longest run of unmatched query time inside one segment, milliseconds.
    pub max_gap_ms: u64,
    /// At most this many hits (the closest) of one query hash in one work are kept.
    pub max_hits_per_work: usize,
    /// A matched query frame adds to a segment's weighted frame count only when its hash
    /// differs from the last counted frame's by more than this many bits, so a still image
    /// held for a minute is one frame of evidence, not sixty.
    pub min_change_bits: u32,
}

fn default_seed_bits() -> u32 {
    15
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            radius_bits: 40,
            seed_bits: default_seed_bits(),
            min_quality: 50,
            mirrored: true,
            min_speed: 0.8,
            max_speed: 1.25,
            jitter_ms: 500,
            max_gap_ms: 10_000,
            max_hits_per_work: 64,
            min_change_bits: 10,
        }
    }
}

/// One matched query frame and the reference frame it was aligned with.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    /// Query time, milliseconds.
    pub query_ms: u64,
    /// Reference time, milliseconds.
    pub ref_ms: u64,
    /// Hamming distance of the two frame hashes, bits.
    pub distance: u32,
}

/// A temporally consistent segment shared by the upload and one banked work.
///
/// Serialises to the object of DESIGN.md (`work` is the work's id; times in seconds), plus
/// `mean_distance`, `weighted_frames`, `level` (this segment's own decision) and `evidence`
/// (the matched pairs, times in seconds).
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    /// Ordinal of the work in the index that answered.
    pub work: u32,
    /// The work's takedown metadata.
    pub meta: WorkMeta,
    /// First matched query time, milliseconds.
    pub query_start_ms: u64,
    /// Last matched query time, milliseconds.
    pub query_end_ms: u64,
    /// First matched reference time, milliseconds.
    pub ref_start_ms: u64,
    /// Last matched reference time, milliseconds.
    pub ref_end_ms: u64,
    /// Distinct query frames in the segment.
    pub matched_frames: u32,
    /// Distinct query frames, each weighted by `1 / works its hashes hit` (works banked with
    /// the same content under several ids count as one: see [`crate::Search::content_key`]),
    /// counting only frames that changed from the last counted one (see
    /// [`MatchOptions::min_change_bits`]).
    pub weighted_frames: f64,
    /// Mean Hamming distance of the matched pairs, bits.
    pub mean_distance: f64,
    /// Reference time per query time (least-squares slope; 1.0 is normal speed).
    pub speed: f64,
    /// The upload shows the work mirrored left-right.
    pub mirrored: bool,
    /// Strength of the segment in 0..=1: `density · (1 − mean_distance/128) · (1 − e^(−weighted_frames/8))`,
    /// where density is the share of the seconds between `query_start` and `query_end`
    /// holding a good upload frame that hold a matched one (per second, not per frame, so
    /// that sampling the upload more densely than the work was banked does not dilute it).
    pub score: f64,
    /// The policy's decision for this segment alone.
    pub decision: Decision,
    /// The matched frame pairs, in time order.
    pub pairs: Vec<Pair>,
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

impl Serialize for Match {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct P {
            query: f64,
            #[serde(rename = "ref")]
            reference: f64,
            distance: u32,
        }
        let mut st = s.serialize_struct("Match", 17)?;
        st.serialize_field("work", &self.meta.id)?;
        st.serialize_field("title", &self.meta.title)?;
        st.serialize_field("rightsholder", &self.meta.rightsholder)?;
        st.serialize_field("notice", &self.meta.notice)?;
        st.serialize_field("score", &round3(self.score))?;
        st.serialize_field("query_start", &secs(self.query_start_ms))?;
        st.serialize_field("query_end", &secs(self.query_end_ms))?;
        st.serialize_field("ref_start", &secs(self.ref_start_ms))?;
        st.serialize_field("ref_end", &secs(self.ref_end_ms))?;
        st.serialize_field("matched_frames", &self.matched_frames)?;
        st.serialize_field("speed", &round3(self.speed))?;
        st.serialize_field("mirrored", &self.mirrored)?;
        st.serialize_field("mean_distance", &round3(self.mean_distance))?;
        st.serialize_field("weighted_frames", &round3(self.weighted_frames))?;
        st.serialize_field("level", &self.decision)?;
        let ev: Vec<P> = self
            .pairs
            .iter()
            .map(|p| P {
                query: secs(p.query_ms),
                reference: secs(p.ref_ms),
                distance: p.distance,
            })
            .collect();
        st.serialize_field("evidence", &ev)?;
        st.end()
    }
}

/// The decision on one upload and the segments behind it (those at `review` level or above,
/// strongest first).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// The strongest decision of any segment (`clean` when there is none).
    pub verdict: Decision,
    /// Segments that reached `review` or `match`, `match` first, then by score.
    pub matches: Vec<Match>,
}

/// Matches fingerprints against a [`Search`] and decides with a [`Policy`].
///
/// *Performance*: one seeding search per good query frame and orientation (see the module
/// docs), then per candidate work a read of its frames and O(h · g · s) comparisons (h hits,
/// g query frames within `max_gap_ms`, s reference frames in a speed window, each pair once),
/// then O(n · w) chaining (n hits, w hits within `max_gap_ms`); memory O(hits).
pub struct Matcher<'a, S: Search + ?Sized> {
    index: &'a S,
    options: MatchOptions,
    policy: Policy,
}

impl<S: Search + ?Sized> Clone for Matcher<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: Search + ?Sized> Copy for Matcher<'_, S> {}

impl<S: Search + ?Sized> std::fmt::Debug for Matcher<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("options", &self.options)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// The hits of one query frame, gathered from all its hashes.
struct FrameHits {
    pts_ms: u64,
    /// (work, mirrored, hit, query hash that hit)
    hits: Vec<(u32, bool, Hit, Hash256)>,
}

impl<'a, S: Search + ?Sized> Matcher<'a, S> {
    /// A matcher over `index` with the default options and policy.
    pub fn new(index: &'a S) -> Self {
        Matcher {
            index,
            options: MatchOptions::default(),
            policy: Policy::default(),
        }
    }

    /// Replaces the search and alignment options.
    pub fn with_options(mut self, options: MatchOptions) -> Self {
        self.options = options;
        self
    }

    /// Replaces the decision policy.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// The options in use.
    pub fn options(&self) -> &MatchOptions {
        &self.options
    }

    /// The policy in use.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Matches one upload.
    pub fn match_fingerprint(&self, upload: &Fingerprint) -> Verdict {
        self.match_variants(&[upload])
    }

    /// Matches one upload given as several fingerprints of the same frames hashed differently
    /// (for instance the full frame and a few centre crops, to survive crops and zooms):
    /// frames with the same `pts_ms` are one query frame whose hits are pooled.
    pub fn match_variants(&self, variants: &[&Fingerprint]) -> Verdict {
        let segments = self.segments(variants);
        self.decide(segments)
    }

    /// As [`Matcher::match_variants`], with more frames of the same upload in `dense` (a
    /// second look at part of it, sampled more densely) that do not seed: they are only
    /// compared, during extension, with the frames of works the seeds found, near the times
    /// those seeds reach. So they cost comparisons, not index searches (unless the search is
    /// exhaustive, where every hash is searched).
    pub fn match_with_dense(&self, variants: &[&Fingerprint], dense: &[&Fingerprint]) -> Verdict {
        self.decide(self.segments_with_dense(variants, dense))
    }

    /// [`Matcher::segments`] with extension-only frames (see [`Matcher::match_with_dense`]).
    pub fn segments_with_dense(
        &self,
        variants: &[&Fingerprint],
        dense: &[&Fingerprint],
    ) -> Vec<Match> {
        let frames = self.search_frames(variants, dense);
        self.align(&frames)
    }

    /// Applies the policy to segments from [`Matcher::segments`]: keeps those at `review` or
    /// above, strongest first.
    pub fn decide(&self, mut segments: Vec<Match>) -> Verdict {
        segments.retain(|m| m.decision >= Decision::Review);
        segments.sort_by(|a, b| {
            b.decision
                .cmp(&a.decision)
                .then(b.score.total_cmp(&a.score))
                .then(a.query_start_ms.cmp(&b.query_start_ms))
        });
        let verdict = segments.first().map_or(Decision::Clean, |m| m.decision);
        Verdict {
            verdict,
            matches: segments,
        }
    }

    /// Every temporally consistent segment of at least two frames, each with its own
    /// decision, before the policy filters them (for evaluation and debugging).
    pub fn segments(&self, variants: &[&Fingerprint]) -> Vec<Match> {
        self.segments_with_dense(variants, &[])
    }

    /// Good query frame times and, per frame, the deduplicated hits of all its hashes
    /// (`dense`: frames that do not seed, see [`Matcher::match_with_dense`]).
    fn search_frames(
        &self,
        variants: &[&Fingerprint],
        dense: &[&Fingerprint],
    ) -> (Vec<u64>, Vec<FrameHits>) {
        let o = &self.options;
        let exhaustive = o.seed_bits >= o.radius_bits;
        let mut queries: Vec<QueryHash> = Vec::new();
        let sets = variants.iter().map(|fp| (fp, true));
        for (fp, seeds) in sets.chain(dense.iter().map(|fp| (fp, exhaustive))) {
            for f in fp.frames.iter().filter(|f| f.quality >= o.min_quality) {
                queries.push((f.pts_ms, f.hash, false, seeds));
                if o.mirrored
                    && let Some(m) = f.mirror
                {
                    queries.push((f.pts_ms, m, true, seeds));
                }
            }
        }
        queries.sort_by_key(|q| q.0);
        let frames = QueryFrames::new(&queries);

        // Seeds: every query hash that seeds, searched (cheaply unless exhaustive).
        let mut hits: Vec<Vec<(u32, bool, Hit, Hash256)>> = vec![Vec::new(); frames.len()];
        let mut buf = Vec::new();
        for (j, hashes) in frames.hashes.iter().enumerate() {
            for &(hash, mirrored, seeds) in hashes {
                if !seeds {
                    continue;
                }
                buf.clear();
                if exhaustive {
                    self.index.search(&hash, o.radius_bits, &mut buf);
                } else {
                    self.index.seed(&hash, o.radius_bits, o.seed_bits, &mut buf);
                }
                hits[j].extend(buf.iter().map(|h| (h.work, mirrored, *h, hash)));
            }
        }
        if !exhaustive {
            self.extend_seeds(&frames, &mut hits);
        }

        let mut out: Vec<FrameHits> = Vec::with_capacity(frames.len());
        for (j, mut fh) in hits.into_iter().enumerate() {
            // Keep the closest hit per (work, orientation, reference time), then at most
            // `max_hits_per_work` per (work, orientation).
            fh.sort_by_key(|(w, m, h, _)| (*w, *m, h.ref_pts_ms, h.distance));
            fh.dedup_by_key(|(w, m, h, _)| (*w, *m, h.ref_pts_ms));
            if o.max_hits_per_work > 0 {
                fh.sort_by_key(|(w, m, h, _)| (*w, *m, h.distance, h.ref_pts_ms));
                let mut kept = 0usize;
                let mut last = None;
                fh.retain(|(w, m, _, _)| {
                    if last != Some((*w, *m)) {
                        last = Some((*w, *m));
                        kept = 0;
                    }
                    kept += 1;
                    kept <= o.max_hits_per_work
                });
            }
            if !fh.is_empty() {
                out.push(FrameHits {
                    pts_ms: frames.pts[j],
                    hits: fh,
                });
            }
        }
        (frames.pts, out)
    }

    /// Extends the seeds of every (work, orientation) they found: from each hit, the query
    /// frames within `max_gap_ms` are compared with the work's frames whose time is reachable
    /// at an accepted speed, and every new hit within `radius_bits` becomes a seed in turn.
    /// So every hit that a chain could link to a seed, step by step, is found exactly as an
    /// exhaustive search would find it.
    fn extend_seeds(&self, frames: &QueryFrames, hits: &mut [Vec<(u32, bool, Hit, Hash256)>]) {
        let o = &self.options;
        let mut seeds: Vec<(u32, bool, usize, u64, u64)> = Vec::new();
        for (j, fh) in hits.iter().enumerate() {
            for (w, m, h, _) in fh {
                seeds.push((*w, *m, j, h.ref_pts_ms, h.ref_end_ms.max(h.ref_pts_ms)));
            }
        }
        seeds.sort_unstable_by_key(|s| (s.0, s.1));
        let mut refs: Vec<RefFrame> = Vec::new();
        let mut refs_of: Option<u32> = None;
        let mut supported = true;
        let mut i = 0;
        while i < seeds.len() {
            let (work, mirrored) = (seeds[i].0, seeds[i].1);
            let group_end = i + seeds[i..]
                .iter()
                .take_while(|s| (s.0, s.1) == (work, mirrored))
                .count();
            if refs_of != Some(work) {
                refs.clear();
                supported = self.index.work_frames(work, &mut refs);
                refs.sort_unstable_by_key(|r| r.pts_ms);
                refs_of = Some(work);
            }
            if supported && !refs.is_empty() {
                let stack: Vec<(usize, u64, u64)> = seeds[i..group_end]
                    .iter()
                    .map(|s| (s.2, s.3, s.4))
                    .collect();
                let found = extend(frames, mirrored, &refs, stack, o);
                for (j, k, hash, distance) in found {
                    let r = &refs[k];
                    hits[j].push((
                        work,
                        mirrored,
                        Hit {
                            work,
                            ref_pts_ms: r.pts_ms,
                            ref_end_ms: r.end_ms,
                            distance,
                            region: r.region,
                        },
                        hash,
                    ));
                }
            }
            i = group_end;
        }
    }

    fn align(&self, (good_pts, frames): &(Vec<u64>, Vec<FrameHits>)) -> Vec<Match> {
        let o = &self.options;
        let params = ChainParams {
            min_speed: o.min_speed,
            max_speed: o.max_speed,
            tol_ms: o.jitter_ms as f64,
            max_gap_ms: o.max_gap_ms,
        };
        let mut groups: HashMap<(u32, bool), Vec<Anchor>> = HashMap::new();
        // A frame that hits several works is down-weighted as common content (a logo, an
        // ident), except that works banked with the same content under several ids (two
        // notices for one film) count once: they are one content, not common footage.
        let mut content: HashMap<u32, (u32, Option<u64>)> = HashMap::new();
        let mut works: Vec<(u32, Option<u64>)> = Vec::new();
        for f in frames {
            works.clear();
            works.extend(f.hits.iter().map(|(w, _, _, _)| (*w, None)));
            works.sort_unstable();
            works.dedup();
            if works.len() > 1 {
                // Only frames that hit several works need their content keys (computed once
                // per work by the index, on first use).
                for wk in works.iter_mut() {
                    *wk = *content.entry(wk.0).or_insert_with(|| {
                        match self.index.content_key(wk.0) {
                            Some(k) => (u32::MAX, Some(k)),
                            None => (wk.0, None),
                        }
                    });
                }
                works.sort_unstable();
                works.dedup();
            }
            let weight = 1.0 / works.len() as f64;
            for (w, m, h, qh) in &f.hits {
                groups.entry((*w, *m)).or_default().push(Anchor {
                    query_hash: *qh,
                    q_ms: f.pts_ms,
                    r_lo_ms: h.ref_pts_ms,
                    r_hi_ms: h.ref_end_ms.max(h.ref_pts_ms),
                    distance: h.distance,
                    weight,
                });
            }
        }
        let mut keys: Vec<(u32, bool)> = groups.keys().copied().collect();
        keys.sort_unstable();
        let mut out = Vec::new();
        for key in keys {
            let Some(meta) = self.index.work(key.0) else {
                continue;
            };
            let anchors = groups.get_mut(&key).expect("key from map");
            let chains = align::chain(anchors, &params, 2);
            for members in chains {
                out.push(self.segment(key, meta, anchors, &members, good_pts));
            }
        }
        dedupe_overlapping(out)
    }

    fn segment(
        &self,
        (work, mirrored): (u32, bool),
        meta: &WorkMeta,
        anchors: &[Anchor],
        members: &[usize],
        good_pts: &[u64],
    ) -> Match {
        let speed = align::fit_speed(anchors, members);
        let n = members.len() as f64;
        let mq = members.iter().map(|&i| anchors[i].q_ms as f64).sum::<f64>() / n;
        let mr = members
            .iter()
            .map(|&i| (anchors[i].r_lo_ms + anchors[i].r_hi_ms) as f64 / 2.0)
            .sum::<f64>()
            / n;
        let pairs: Vec<Pair> = members
            .iter()
            .map(|&i| {
                let a = &anchors[i];
                let predicted = mr + speed * (a.q_ms as f64 - mq);
                let r = predicted.clamp(a.r_lo_ms as f64, a.r_hi_ms as f64).round() as u64;
                Pair {
                    query_ms: a.q_ms,
                    ref_ms: r,
                    distance: a.distance,
                }
            })
            .collect();
        let first = &anchors[members[0]];
        let last = &anchors[*members.last().expect("chains are non-empty")];
        let mut weighted_frames = 0.0;
        let mut last_counted: Option<Hash256> = None;
        for &i in members {
            let a = &anchors[i];
            if last_counted.is_none_or(|h| h.distance(&a.query_hash) > self.options.min_change_bits)
            {
                weighted_frames += a.weight;
                last_counted = Some(a.query_hash);
            }
        }
        let mean_distance = members
            .iter()
            .map(|&i| anchors[i].distance as f64)
            .sum::<f64>()
            / n;
        let lo = good_pts.partition_point(|&t| t < first.q_ms);
        let hi = good_pts.partition_point(|&t| t <= last.q_ms);
        let second = |t: u64| (t - first.q_ms) / 1000;
        let mut with_good: Vec<u64> = good_pts[lo..hi].iter().map(|&t| second(t)).collect();
        with_good.dedup();
        let mut with_match: Vec<u64> = members.iter().map(|&i| second(anchors[i].q_ms)).collect();
        with_match.dedup();
        let density = with_match.len() as f64 / with_good.len().max(with_match.len()) as f64;
        let score = density
            * (1.0 - mean_distance / 128.0).max(0.0)
            * (1.0 - (-weighted_frames / 8.0).exp());
        let query_ms = last.q_ms - first.q_ms;
        // Each step is within the speed bounds up to jitter; the fitted line must be too.
        let slack = 0.05;
        let decision =
            if speed < self.options.min_speed - slack || speed > self.options.max_speed + slack {
                Decision::Clean
            } else {
                self.policy
                    .decide(weighted_frames, query_ms, mean_distance, score)
            };
        Match {
            work,
            meta: meta.clone(),
            query_start_ms: first.q_ms,
            query_end_ms: last.q_ms,
            ref_start_ms: pairs[0].ref_ms,
            ref_end_ms: pairs[pairs.len() - 1].ref_ms,
            matched_frames: members.len() as u32,
            weighted_frames,
            mean_distance,
            speed,
            mirrored,
            score,
            decision,
            pairs,
        }
    }
}

/// A query hash: (time, hash, is a mirror, seeds a search).
type QueryHash = (u64, Hash256, bool, bool);

/// The good query frames in time order, each with its distinct hashes, whether each is a
/// mirror and whether it seeds.
struct QueryFrames {
    pts: Vec<u64>,
    hashes: Vec<Vec<(Hash256, bool, bool)>>,
}

impl QueryFrames {
    fn new(sorted: &[QueryHash]) -> Self {
        let mut pts: Vec<u64> = Vec::new();
        let mut hashes: Vec<Vec<(Hash256, bool, bool)>> = Vec::new();
        for &(t, h, m, seeds) in sorted {
            if pts.last() != Some(&t) {
                pts.push(t);
                hashes.push(Vec::new());
            }
            let v = hashes.last_mut().expect("pushed above");
            match v.iter_mut().find(|(x, _, _)| *x == h) {
                Some(known) => known.2 |= seeds,
                None => v.push((h, m, seeds)),
            }
        }
        QueryFrames { pts, hashes }
    }

    fn len(&self) -> usize {
        self.pts.len()
    }
}

/// Seed extension within one work and orientation (see [`Matcher::extend_seeds`]): `refs`
/// sorted by time, `stack` the seeds as (query frame, reference span). Returns the hits
/// found, as (query frame, reference index, query hash, distance); they may repeat seeds.
///
/// Each query frame remembers the range of reference frames it was compared with, so a
/// pair is compared at most once while the ranges stay contiguous; the cost is bounded by
/// comparing every query frame with every reference frame.
fn extend(
    frames: &QueryFrames,
    mirrored: bool,
    refs: &[RefFrame],
    mut stack: Vec<(usize, u64, u64)>,
    o: &MatchOptions,
) -> Vec<(usize, usize, Hash256, u32)> {
    let max_span = refs.iter().map(|r| r.end_ms - r.pts_ms).max().unwrap_or(0);
    let tol = o.jitter_ms as f64;
    let mut covered: Vec<Option<(usize, usize)>> = vec![None; frames.len()];
    let mut found = Vec::new();
    let compare = |j: usize, a: usize, b: usize, found: &mut Vec<_>, stack: &mut Vec<_>| {
        for (k, r) in refs.iter().enumerate().take(b).skip(a) {
            for &(h, m, _) in &frames.hashes[j] {
                if m != mirrored {
                    continue;
                }
                let d = h.distance(&r.hash);
                if d <= o.radius_bits {
                    found.push((j, k, h, d));
                    stack.push((j, r.pts_ms, r.end_ms));
                }
            }
        }
    };
    while let Some((j, r_lo, r_hi)) = stack.pop() {
        let q = frames.pts[j];
        let first = frames.pts.partition_point(|&t| t + o.max_gap_ms < q);
        let last = frames
            .pts
            .partition_point(|&t| t <= q.saturating_add(o.max_gap_ms));
        for (j2, &q2) in frames.pts.iter().enumerate().take(last).skip(first) {
            let dq = q2 as f64 - q as f64;
            let (slow, fast) = (o.min_speed * dq, o.max_speed * dq);
            let lo = r_lo as f64 + slow.min(fast) - tol;
            let hi = r_hi as f64 + slow.max(fast) + tol;
            if hi < 0.0 {
                continue;
            }
            let lo_pts = (lo.max(0.0) as u64).saturating_sub(max_span);
            let a = refs.partition_point(|r| r.pts_ms < lo_pts);
            let b = refs.partition_point(|r| (r.pts_ms as f64) <= hi);
            if a >= b {
                continue;
            }
            match covered[j2] {
                None => {
                    compare(j2, a, b, &mut found, &mut stack);
                    covered[j2] = Some((a, b));
                }
                Some((ca, cb)) => {
                    // Extend to the hull: what lies outside the covered range (a gap
                    // between the two included) is compared, once.
                    if a < ca {
                        compare(j2, a, ca, &mut found, &mut stack);
                    }
                    if b > cb {
                        compare(j2, cb, b, &mut found, &mut stack);
                    }
                    covered[j2] = Some((a.min(ca), b.max(cb)));
                }
            }
        }
    }
    found
}

/// Drops a segment when a stronger segment of the same work covers most of its query time
/// (the same frames found mirrored and not, or a repeated scene of the work).
fn dedupe_overlapping(mut segs: Vec<Match>) -> Vec<Match> {
    segs.sort_by(|a, b| {
        b.weighted_frames
            .total_cmp(&a.weighted_frames)
            .then(a.mean_distance.total_cmp(&b.mean_distance))
    });
    let mut kept: Vec<Match> = Vec::with_capacity(segs.len());
    for s in segs {
        let dup = kept.iter().any(|k| {
            if k.work != s.work {
                return false;
            }
            let lo = k.query_start_ms.max(s.query_start_ms);
            let hi = k.query_end_ms.min(s.query_end_ms);
            let overlap = hi.saturating_sub(lo) as f64;
            let shorter = (s.query_end_ms - s.query_start_ms)
                .min(k.query_end_ms - k.query_start_ms)
                .max(1) as f64;
            hi >= lo && overlap >= 0.5 * shorter
        });
        if !dup {
            kept.push(s);
        }
    }
    kept
}
