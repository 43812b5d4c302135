//! The upload's crop search: which rectangles of each sampled frame are hashed, and how the
//! ones that find banked frames are kept for the rest of the upload.
//!
//! A cropped, zoomed or off-centre re-upload shows the banked regions of its work at some
//! unknown rectangle of its frames, the same rectangle in every frame. PDQ forgives about
//! 1% per edge (14–16 bits), so the upload side tries a grid of rectangles dense enough
//! that one lands within ~2% of each side of where a banked region now is:
//!
//! - **centre crops** keeping 98%, 96%, … 70% of width and height (zooms and centred crops;
//!   with their mirrors);
//! - **side cuts**: every combination of cutting 0, 4, 8, 12 or 16% from each of the four
//!   sides (624 rectangles: off-centre crops, uneven bars);
//! - **rotations** turned back by ±3° and ±6° and cropped to the banked centre crop
//!   ([`super::rotation_keep`]).
//!
//! Hashing all of them on every frame would cost ~650 hashes a frame. Instead they are
//! hashed on a **probe frame** every two seconds ([`CropGrid::probe_every_ms`]) and searched
//! (the index's cheap seed search); a rectangle that finds a banked frame gets a vote. The
//! few most-voted rectangles ([`CropGrid::voted`]) are then hashed on every sampled frame,
//! and on the frames of the last seconds when they first enter that set, so a copy's
//! segment is dense in time. Probe rectangles that found nothing are not kept: they
//! cannot make evidence, and the matcher does not search them again.
//!
//! Measured on eight real clips with the reference PDQ (`scripts/economy/FINDINGS.md`,
//! sections 2 and 5): with the central 70% banked, this grid finds zooms to 80% at 14/21
//! bits (median/p90), off-centre crops at 16–30/28–44, and the voted rectangle of an
//! off-centre copy is the grid cell nearest to the exact one.

use std::collections::{BTreeMap, VecDeque};

use rayon::prelude::*;

use crate::decode::{Crop, Frame, Region, centre_crop, rotate_cropped};
use crate::fingerprint::{Fingerprinter, FrameHash};
use crate::hash::{CropHasher, Hash256, Kernel, PdqOutput, Rect};

use super::{Variant, rotation_keep};

/// A rectangle of a frame given by what it cuts from each side, in thousandths of the
/// frame's width (left, right) and height (top, bottom).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cut {
    /// Thousandths of the width cut from the left.
    pub left: u16,
    /// Thousandths of the height cut from the top.
    pub top: u16,
    /// Thousandths of the width cut from the right.
    pub right: u16,
    /// Thousandths of the height cut from the bottom.
    pub bottom: u16,
}

impl Cut {
    /// The centred rectangle keeping `keep` of the width and of the height.
    pub fn centre(keep: f64) -> Cut {
        let side = (((1.0 - keep) * 1000.0 / 2.0).round() as u16).min(450);
        Cut {
            left: side,
            top: side,
            right: side,
            bottom: side,
        }
    }

    /// Whether it cuts the same from left and right (its mirror is the same rectangle).
    pub fn is_symmetric(&self) -> bool {
        self.left == self.right
    }

    /// Its pixels in a `width × height` frame.
    pub fn rect(&self, width: u32, height: u32) -> Rect {
        let px =
            |n: u32, per_mille: u16| (f64::from(n) * f64::from(per_mille) / 1000.0).round() as u32;
        let (l, r) = (px(width, self.left), px(width, self.right));
        let (t, b) = (px(height, self.top), px(height, self.bottom));
        Crop {
            left: l,
            top: t,
            right: r,
            bottom: b,
        }
        .rect(width, height)
    }
}

/// Which rectangles the upload side tries on probe frames, and how many of those that
/// found something are kept on every frame. See the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct CropGrid {
    /// Centre crops tried (shares of width and height kept), each with its mirror. Default
    /// 0.98, 0.96, … 0.70.
    pub centre_keeps: Vec<f64>,
    /// Cuts tried from each side independently (shares of the side's dimension), every
    /// combination over the four sides but cutting nothing. Default 0, 0.04, 0.08, 0.12, 0.16.
    pub side_cuts: Vec<f64>,
    /// A probe frame at most this often (ms). Default 2000: a copy of 10 s gets five probes,
    /// and from the first vote on its rectangle is hashed on every frame.
    pub probe_every_ms: u64,
    /// Rectangles kept on every frame: the most-voted that found something. Default 3.
    pub voted: usize,
    /// When a rectangle is first voted in, the frames of this many last milliseconds are
    /// hashed with it too. Default 8000.
    pub recent_ms: u64,
}

impl Default for CropGrid {
    fn default() -> Self {
        CropGrid {
            centre_keeps: (1..=15).map(|i| 1.0 - 0.02 * f64::from(i)).collect(),
            side_cuts: vec![0.0, 0.04, 0.08, 0.12, 0.16],
            probe_every_ms: 2000,
            voted: 3,
            recent_ms: 8000,
        }
    }
}

impl CropGrid {
    /// The rectangles tried on probe frames, each with whether its mirror is tried too.
    pub fn cuts(&self) -> Vec<(Cut, bool)> {
        let mut out: Vec<(Cut, bool)> = self
            .centre_keeps
            .iter()
            .map(|&k| (Cut::centre(k), true))
            .collect();
        let per_mille: Vec<u16> = self
            .side_cuts
            .iter()
            .map(|&c| (c * 1000.0).round() as u16)
            .collect();
        for &left in &per_mille {
            for &top in &per_mille {
                for &right in &per_mille {
                    for &bottom in &per_mille {
                        let cut = Cut {
                            left,
                            top,
                            right,
                            bottom,
                        };
                        if cut != Cut::default() && !out.iter().any(|(c, _)| *c == cut) {
                            out.push((cut, false));
                        }
                    }
                }
            }
        }
        out
    }
}

/// How one variant is made from a (border-cropped) frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Shape {
    /// A rectangle of the frame, hashed in place.
    Rect(Variant),
    /// The frame turned back by this many degrees and cropped to a centre crop of the banked
    /// `keeps`.
    Rotated(f64),
}

/// One variant hashed by the grid worker: how, and whether its mirror is hashed too.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Job {
    pub(crate) variant: Variant,
    pub(crate) mirror: bool,
}

/// What the grid worker needs to know about the index: whether a hash finds a banked
/// frame (the seed search at the matcher's radius), and how far the closest one is.
pub type Probe<'a> = &'a (dyn Fn(&Hash256) -> Option<u32> + Sync);

/// The state of the crop search over one upload.
pub(crate) struct GridSearch<'a> {
    /// Variants hashed on every frame (plain, banked bands and centre crops).
    core: Vec<Job>,
    /// Variants tried on probe frames.
    candidates: Vec<Job>,
    /// Votes and summed best distances per candidate.
    votes: Vec<(u32, u64)>,
    /// Indices of the candidates hashed on every frame now.
    chosen: Vec<usize>,
    grid: CropGrid,
    banked_keeps: Vec<f64>,
    min_quality: u8,
    probe: Probe<'a>,
    next_probe_ms: Option<u64>,
    recent: VecDeque<Frame>,
    /// Per variant (core first, then candidates), the hashes made so far.
    out: Vec<Vec<FrameHash>>,
    hasher: CropHasher,
    kernel: Kernel,
}

impl<'a> GridSearch<'a> {
    pub(crate) fn new(
        core: Vec<Job>,
        grid: Option<CropGrid>,
        rotations_deg: &[f64],
        banked: &[Region],
        mirror: bool,
        hashing: &Fingerprinter,
        probe: Probe<'a>,
    ) -> Self {
        let mut candidates: Vec<Job> = Vec::new();
        let grid_on = grid.is_some();
        let grid = grid.unwrap_or_default();
        if grid_on {
            candidates.extend(grid.cuts().into_iter().map(|(cut, m)| Job {
                variant: Variant::Cut(cut),
                mirror: m && mirror,
            }));
        }
        candidates.extend(rotations_deg.iter().map(|&d| Job {
            variant: Variant::Rotated(d),
            mirror: false,
        }));
        let banked_keeps = banked
            .iter()
            .filter_map(|r| match r {
                Region::Centre(k) => Some(*k),
                _ => None,
            })
            .collect();
        let n = core.len() + candidates.len();
        GridSearch {
            votes: vec![(0, 0); candidates.len()],
            core,
            candidates,
            chosen: Vec::new(),
            grid,
            banked_keeps,
            min_quality: hashing.min_quality,
            probe,
            next_probe_ms: None,
            recent: VecDeque::new(),
            out: vec![Vec::new(); n],
            hasher: CropHasher::new(),
            kernel: hashing.kernel,
        }
    }

    /// Hashes one sampled frame (already border-cropped).
    pub(crate) fn push(&mut self, frame: Frame) {
        let core: Vec<Job> = self.core.clone();
        for (i, job) in core.iter().enumerate() {
            let h = hash_job(
                &mut self.hasher,
                &frame,
                job,
                &self.banked_keeps,
                self.kernel,
            );
            self.out[i].push(h);
        }
        let probe_now = self.next_probe_ms.is_none_or(|next| frame.pts_ms >= next);
        if probe_now && !self.candidates.is_empty() {
            self.next_probe_ms = Some(frame.pts_ms + self.grid.probe_every_ms);
            self.probe_frame(&frame);
        } else {
            for c in self.chosen.clone() {
                self.hash_candidate(c, &frame);
            }
        }
        self.recent.push_back(frame);
        while self.recent.front().is_some_and(|f| {
            self.recent
                .back()
                .is_some_and(|b| b.pts_ms.saturating_sub(f.pts_ms) > self.grid.recent_ms)
        }) {
            self.recent.pop_front();
        }
    }

    /// Hashes and searches every candidate on `frame`, keeps those that found something,
    /// counts their votes and updates the chosen set.
    fn probe_frame(&mut self, frame: &Frame) {
        let keeps = &self.banked_keeps;
        let kernel = self.kernel;
        let min_quality = self.min_quality;
        let probe = self.probe;
        let results: Vec<Option<(FrameHash, u32)>> =
            probe_hashes(&self.candidates, frame, keeps, kernel)
                .into_par_iter()
                .map(|h| {
                    if h.quality < min_quality {
                        return None;
                    }
                    let best = [Some(h.hash), h.mirror]
                        .into_iter()
                        .flatten()
                        .filter_map(|x| probe(&x))
                        .min();
                    best.map(|d| (h, d))
                })
                .collect();
        let base = self.core.len();
        for (c, r) in results.into_iter().enumerate() {
            if let Some((h, d)) = r {
                self.out[base + c].push(h);
                self.votes[c].0 += 1;
                self.votes[c].1 += u64::from(d);
            }
        }
        let mut ranked: Vec<usize> = (0..self.candidates.len())
            .filter(|&c| self.votes[c].0 > 0)
            .collect();
        ranked.sort_by_key(|&c| {
            let (n, sum) = self.votes[c];
            (std::cmp::Reverse(n), sum / u64::from(n.max(1)), c)
        });
        ranked.truncate(self.grid.voted);
        for &c in &ranked {
            if !self.chosen.contains(&c) {
                // Newly chosen: catch up on the recent frames it was not hashed on.
                let recent: Vec<Frame> = self.recent.iter().cloned().collect();
                for f in &recent {
                    self.hash_candidate(c, f);
                }
            }
        }
        self.chosen = ranked;
    }

    /// Hashes candidate `c` on `frame` unless it already was.
    fn hash_candidate(&mut self, c: usize, frame: &Frame) {
        let slot = self.core.len() + c;
        if self.out[slot].iter().any(|h| h.pts_ms == frame.pts_ms) {
            return;
        }
        let h = hash_job(
            &mut self.hasher,
            frame,
            &self.candidates[c],
            &self.banked_keeps,
            self.kernel,
        );
        self.out[slot].push(h);
    }

    /// Every variant that has hashes, with its frames in time order.
    pub(crate) fn finish(self) -> Vec<(Variant, Vec<FrameHash>)> {
        self.core
            .iter()
            .chain(&self.candidates)
            .zip(self.out)
            .filter(|(_, frames)| !frames.is_empty())
            .map(|(job, mut frames)| {
                frames.sort_by_key(|f| f.pts_ms);
                (job.variant, frames)
            })
            .collect()
    }
}

thread_local! {
    /// The crop search's hasher on each of rayon's threads (see [`GridSearch::probe_frame`]).
    static GRID_HASHER: std::cell::RefCell<CropHasher> = std::cell::RefCell::new(CropHasher::new());
}

/// Every candidate's hash on `frame`, in order. The rectangles are hashed in groups that share
/// their columns and orientation ([`CropHasher::hash_column_group`]: the same bits as one at a
/// time, the horizontal pass done once a group), the groups and the rotations spread over
/// rayon's threads, each thread with its own hasher for the whole upload (so the weights of
/// the grid's rectangle sizes are computed once, not once per rayon split).
fn probe_hashes(
    candidates: &[Job],
    frame: &Frame,
    keeps: &[f64],
    kernel: Kernel,
) -> Vec<FrameHash> {
    let scale = kernel.scale(frame.scale, frame.width);
    // (x, width, mirrored) -> (candidate, y, height) of each rectangle with those columns.
    type Columns = (u32, u32, bool);
    let mut groups: BTreeMap<Columns, Vec<(usize, u32, u32)>> = BTreeMap::new();
    let mut turned = Vec::new();
    for (c, job) in candidates.iter().enumerate() {
        match shape(job.variant) {
            Shape::Rect(v) => {
                let r = variant_rect(v, frame);
                for mirrored in [false, true].into_iter().take(1 + usize::from(job.mirror)) {
                    groups
                        .entry((r.x, r.width, mirrored))
                        .or_default()
                        .push((c, r.y, r.height));
                }
            }
            Shape::Rotated(_) => turned.push(c),
        }
    }
    let groups: Vec<_> = groups.into_iter().collect();
    let hashed: Vec<Vec<(usize, bool, PdqOutput)>> = groups
        .par_iter()
        .map(|&((x, w, mirrored), ref members)| {
            let ys: Vec<(u32, u32)> = members.iter().map(|&(_, y, h)| (y, h)).collect();
            let out = GRID_HASHER.with_borrow_mut(|hasher| {
                hasher.hash_column_group(&frame.luma, frame.width, x, w, &ys, mirrored, scale)
            });
            members
                .iter()
                .zip(out)
                .map(|(&(c, _, _), o)| (c, mirrored, o))
                .collect()
        })
        .collect();
    let mut out: Vec<FrameHash> = vec![
        FrameHash {
            pts_ms: frame.pts_ms,
            hash: Hash256::ZERO,
            quality: 0,
            mirror: None,
        };
        candidates.len()
    ];
    for (c, mirrored, o) in hashed.into_iter().flatten() {
        if mirrored {
            out[c].mirror = Some(o.hash);
        } else {
            out[c].hash = o.hash;
            out[c].quality = o.quality;
        }
    }
    let rotated: Vec<(usize, FrameHash)> = turned
        .par_iter()
        .map(|&c| {
            let h = GRID_HASHER
                .with_borrow_mut(|hasher| hash_job(hasher, frame, &candidates[c], keeps, kernel));
            (c, h)
        })
        .collect();
    for (c, h) in rotated {
        out[c] = h;
    }
    out
}

/// The hash of `job` on `frame`, with the mirror's when the job asks for it.
fn hash_job(
    hasher: &mut CropHasher,
    frame: &Frame,
    job: &Job,
    banked_keeps: &[f64],
    kernel: Kernel,
) -> FrameHash {
    let scale = kernel.scale(frame.scale, frame.width);
    let one = |hasher: &mut CropHasher, mirrored: bool| -> PdqOutput {
        match shape(job.variant) {
            Shape::Rect(v) => {
                let rect = variant_rect(v, frame);
                hasher.hash_scaled(&frame.luma, frame.width, rect, mirrored, scale)
            }
            Shape::Rotated(deg) => {
                let keep = rotation_keep(frame.width, frame.height, deg, banked_keeps);
                let turned = rotate_cropped(frame, -deg, &centre_crop(frame, keep));
                let rect = Crop::default().rect(turned.width, turned.height);
                hasher.hash_scaled(&turned.luma, turned.width, rect, mirrored, scale)
            }
        }
    };
    let h = one(hasher, false);
    let mirror = job.mirror.then(|| one(hasher, true).hash);
    FrameHash {
        pts_ms: frame.pts_ms,
        hash: h.hash,
        quality: h.quality,
        mirror,
    }
}

fn shape(v: Variant) -> Shape {
    match v {
        Variant::Rotated(d) => Shape::Rotated(d),
        v => Shape::Rect(v),
    }
}

/// The rectangle of `frame` a rectangular variant hashes.
fn variant_rect(v: Variant, frame: &Frame) -> Rect {
    let (w, h) = (frame.width, frame.height);
    match v {
        Variant::Cut(cut) => cut.rect(w, h),
        Variant::Region(r) | Variant::InsetRegion(r) => r.crop(frame).rect(w, h),
        _ => Crop::default().rect(w, h),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_grid() {
        let cuts = CropGrid::default().cuts();
        let centres = cuts.iter().filter(|(_, m)| *m).count();
        assert_eq!(centres, 15, "0.98 … 0.70");
        assert_eq!(
            cuts.len(),
            15 + 624 - 3,
            "three of the side grid's centre crops are shared"
        );
        assert_eq!(Cut::centre(0.70).left, 150);
        let r = Cut {
            left: 0,
            top: 120,
            right: 120,
            bottom: 120,
        }
        .rect(256, 144);
        assert_eq!((r.x, r.y, r.width, r.height), (0, 17, 225, 110));
    }
}
