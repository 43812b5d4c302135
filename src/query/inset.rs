//! Finding picture-in-picture insets in an upload, so that each inset can be hashed as one
//! more query variant (see [`super`]).
//!
//! An inset's borders are straight edges that stay at the
//! same place in every frame while the pictures on both sides of them move. Over a window
//! of frames the detector counts, per pixel, how often a vertical (horizontal) luma step is
//! a local maximum there (within one pixel: a border between pixels is blended over two).
//! Lines are ranked by their longest run of such persistent edges; of the rectangles
//! built from the best lines (each side 20–80% of the frame; up to two sides that do not
//! face each other may be the frame's own edge, for an inset in a corner or against one
//! edge), it keeps those whose sides on lines are persistent (in at least half the frames,
//! in each quarter of their length), stand out by 0.3 from the parallel line 3 px away on
//! one side (static texture, a still shot of grass, keeps its edges everywhere; a border
//! is a line), and whose inside moves (a static logo is not an inset) up to each side: the
//! two lines just inside every side move too, along at least half its length. Over a still
//! background an edge of the background persists in every frame, more than the inset's
//! own sides (whose contrast with the background comes and goes); the eval's `pip-still`
//! copy of `synth-2` (an inset over `smptehdbars`, sampled at 4 fps) took the bars' row
//! 6 px below the inset for its bottom, and the crop 76 bits median from the work instead
//! of 14; the lines inside that false side move 0.2 levels a frame, inside the true one
//! 9–17. Without the contrast rule the 5 s Big Buck Bunny clips gave a false inset in all
//! three fixtures; with it (`examples/inset_probe.rs`), none of the fixtures, their
//! letterboxed, pillarboxed, windowboxed or logoed copies, nor ffmpeg's `testsrc2`,
//! `mandelbrot`, `life` and `cellauto` sources give one, while insets over moving footage
//! at a quarter, a third, 40% and half of the frame in each corner and 60% centred are
//! found to the pixel. Over a still picture with strong straight structure of its own (a
//! frame of `testsrc2`) no inset is found and the copy is missed.
//!
//! Up to two insets are kept ([`InsetDetector::detect_all`]), apart from each other: two
//! works side by side, a work and a facecam, the same work twice. Rectangles with four
//! drawn sides are taken first: over moving footage an inset 16 px from a corner is also
//! a rectangle reaching the corner with the margin inside it, whose sides on lines are the
//! inset's own; ranked after the inset and overlapping it, it is never taken. A side flush
//! with the frame's edge has no line to test, so an inset in a corner rests on its two
//! drawn sides and on its picture moving up to all four.
//!
//! The crop to each inset, scaled back to the frame's width, is hashed as one more variant
//! of each frame. PDQ is steep here (measured on the 720p fixture composited like the
//! eval's `pip-half`, `scripts/inset_crop_tolerance.py`): the exact crop is 12/18 bits
//! (median/max) from the banked frame when upscaled to 256 px, 24/28 at its native 128
//! px, and 28/38 when cropped 1 px inside, so the sides are placed on the edge pixels.

use std::sync::mpsc;

use crate::decode::{Crop, Frame, resample_bilinear};
use crate::error::Result;

/// Finds a picture-in-picture inset: a rectangle whose sides are edges that persist over a
/// window of frames while its inside moves. See the module docs for the method.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InsetDetector {
    /// Smallest side of an inset as a share of the frame's side (default 0.2).
    pub min_size: f64,
    /// Largest side of an inset as a share of the frame's side (default 0.8).
    pub max_size: f64,
    /// Smallest luma step between neighbouring pixels that counts as an edge (default 10).
    pub edge_step: u8,
    /// Each side of an inset must carry a persistent edge along at least this share of its
    /// length, averaged over the frames (default 0.5).
    pub min_side_score: f64,
    /// Each side's persistence must exceed that of the parallel line 3 px away on one
    /// side of it by at least this much (default 0.3): a border is a line, with moving
    /// pictures beside it, while static texture keeps its edges everywhere.
    pub min_side_contrast: f64,
    /// Mean absolute change of luma between consecutive frames inside the inset, and its
    /// median along the two lines just inside each of its sides, must reach this (default
    /// 2.0): a static logo or a still picture is not an inset, and a side laid on an edge
    /// of a still background next to the inset (a colour-bar card's row of bars) leaves a
    /// static strip inside it.
    pub min_motion: f64,
    /// Fewest usable frames to decide on (default 3).
    pub min_frames: usize,
    /// Most insets searched in one upload (default 2: two works side by side, or a work
    /// and a facecam, in any corners).
    pub max_insets: usize,
}

impl Default for InsetDetector {
    fn default() -> Self {
        InsetDetector {
            min_size: 0.2,
            max_size: 0.8,
            edge_step: 10,
            min_side_contrast: 0.3,
            min_side_score: 0.5,
            min_motion: 2.0,
            min_frames: 3,
            max_insets: 2,
        }
    }
}

/// Sides of an inset that may lie on the frame's own edge (never two facing ones).
const MAX_EDGE_SIDES: usize = 2;

/// Lines two insets may share and still count as apart.
const SHARED_LINES: usize = 2;

/// Candidate edge positions kept per axis.
const CANDIDATES: usize = 16;

/// Lines just inside each side of an inset (after the first) that must move as its inside
/// does.
const EDGE_STRIP: usize = 2;

/// Per-pixel edge counts over a window of frames.
struct EdgeCounts {
    w: usize,
    h: usize,
    frames: u32,
    /// `v[y * w + x]`: frames with a vertical edge between columns `x` and `x + 1` at row `y`
    /// (the last column stays 0).
    v: Vec<u32>,
    /// `hz[y * w + x]`: frames with a horizontal edge between rows `y` and `y + 1` at column
    /// `x`.
    hz: Vec<u32>,
    /// Sum over consecutive frame pairs of the absolute luma change, per pixel.
    motion: Vec<u32>,
    motion_pairs: u32,
}

impl EdgeCounts {
    fn new(w: usize, h: usize) -> Self {
        EdgeCounts {
            w,
            h,
            frames: 0,
            v: vec![0; w * h],
            hz: vec![0; w * h],
            motion: vec![0; w * h],
            motion_pairs: 0,
        }
    }

    /// Counts the edges of `luma` (steps of at least `step` that are a local maximum across
    /// the edge) and its change since `previous`.
    fn add(&mut self, luma: &[u8], previous: Option<&[u8]>, step: u8) {
        let (w, h) = (self.w, self.h);
        let d = |a: u8, b: u8| a.abs_diff(b);
        for y in 0..h {
            let row = &luma[y * w..(y + 1) * w];
            for x in 0..w.saturating_sub(1) {
                let s = d(row[x + 1], row[x]);
                if s < step {
                    continue;
                }
                let before = if x > 0 { d(row[x], row[x - 1]) } else { 0 };
                let after = if x + 2 < w {
                    d(row[x + 2], row[x + 1])
                } else {
                    0
                };
                let i = y * w + x;
                if s >= before && s >= after {
                    self.v[i] += 1;
                }
            }
        }
        for y in 0..h.saturating_sub(1) {
            for x in 0..w {
                let at = |y: usize| luma[y * w + x];
                let s = d(at(y + 1), at(y));
                if s < step {
                    continue;
                }
                let before = if y > 0 { d(at(y), at(y - 1)) } else { 0 };
                let after = if y + 2 < h {
                    d(at(y + 2), at(y + 1))
                } else {
                    0
                };
                let i = y * w + x;
                if s >= before && s >= after {
                    self.hz[i] += 1;
                }
            }
        }
        if let Some(prev) = previous {
            for ((m, &a), &b) in self.motion.iter_mut().zip(luma).zip(prev) {
                *m += u32::from(d(a, b));
            }
            self.motion_pairs += 1;
        }
        self.frames += 1;
    }
}

/// Row-wise prefix sums of a `w × h` grid of values: `sum(y, x0, x1)` over columns
/// `x0..x1` of row `y`, and column-wise ones for `sum` along a column.
struct Prefix {
    w: usize,
    h: usize,
    /// `along_x[y * (w + 1) + x]`: sum of row `y` over columns `0..x`.
    along_x: Vec<f64>,
    /// `along_y[x * (h + 1) + y]`: sum of column `x` over rows `0..y`.
    along_y: Vec<f64>,
}

impl Prefix {
    fn new(w: usize, h: usize, value: impl Fn(usize, usize) -> f64) -> Self {
        let mut along_x = vec![0.0; (w + 1) * h];
        let mut along_y = vec![0.0; (h + 1) * w];
        for y in 0..h {
            for x in 0..w {
                let v = value(x, y);
                along_x[y * (w + 1) + x + 1] = along_x[y * (w + 1) + x] + v;
                along_y[x * (h + 1) + y + 1] = along_y[x * (h + 1) + y] + v;
            }
        }
        Prefix {
            w,
            h,
            along_x,
            along_y,
        }
    }

    /// Mean of row `y` over columns `x0..x1`.
    fn row_mean(&self, y: usize, x0: usize, x1: usize) -> f64 {
        let r = y * (self.w + 1);
        (self.along_x[r + x1] - self.along_x[r + x0]) / (x1 - x0).max(1) as f64
    }

    /// Mean of column `x` over rows `y0..y1`.
    fn col_mean(&self, x: usize, y0: usize, y1: usize) -> f64 {
        let c = x * (self.h + 1);
        (self.along_y[c + y1] - self.along_y[c + y0]) / (y1 - y0).max(1) as f64
    }
}

impl InsetDetector {
    /// The inset common to `frames` (those of the first frame's size; others and flat
    /// frames are ignored), as the crop that keeps exactly it, or `None` when there is none:
    /// the first of [`InsetDetector::detect_all`].
    pub fn detect(&self, frames: &[Frame]) -> Option<Crop> {
        self.detect_all(frames).into_iter().next()
    }

    /// Every inset common to `frames`, at most [`InsetDetector::max_insets`] that do not
    /// overlap, each as the crop that keeps exactly it: those with four drawn sides first
    /// (the strongest evidence), then those against one edge, then those in a corner, each
    /// kind by the contrast of its weakest side. An inset 16 px from a corner over moving
    /// footage is also a rectangle that reaches the corner, margin included; ranked after
    /// the inset itself, and overlapping it, that one is never taken.
    pub fn detect_all(&self, frames: &[Frame]) -> Vec<Crop> {
        let Some(counts) = self.count_edges(frames) else {
            return Vec::new();
        };
        let persistence = counts.persistence();
        let mut found = self.rectangles(&persistence, counts.w, counts.h);
        found.sort_by(|(sa, a), (sb, b)| {
            a.edge_sides()
                .cmp(&b.edge_sides())
                .then(sb.total_cmp(sa))
                .then(b.area().cmp(&a.area()))
                .then((a.x0, a.y0, a.x1, a.y1).cmp(&(b.x0, b.y0, b.x1, b.y1)))
        });
        let mut chosen: Vec<Rect> = Vec::new();
        for (_, rect) in found {
            if chosen.len() >= self.max_insets {
                break;
            }
            if chosen.iter().all(|c| c.apart_from(&rect)) {
                chosen.push(rect);
            }
        }
        chosen
            .into_iter()
            .filter_map(|rect| counts.place_sides(rect))
            .collect()
    }

    /// The edges and motion of the frames of the first frame's size, skipping flat ones;
    /// `None` when too few frames say anything.
    fn count_edges(&self, frames: &[Frame]) -> Option<EdgeCounts> {
        let first = frames.first()?;
        let (w, h) = (first.width as usize, first.height as usize);
        if w < 16 || h < 16 {
            return None;
        }
        let mut counts = EdgeCounts::new(w, h);
        let mut previous: Option<&[u8]> = None;
        for f in frames {
            if (f.width as usize, f.height as usize) != (w, h) || f.luma.len() != w * h {
                continue;
            }
            let (lo, hi) = f
                .luma
                .iter()
                .fold((255u8, 0u8), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            if hi.saturating_sub(lo) < self.edge_step.saturating_mul(2) {
                continue; // flat (black, fade): says nothing
            }
            counts.add(&f.luma, previous, self.edge_step);
            previous = Some(&f.luma);
        }
        if (counts.frames as usize) < self.min_frames.max(2) || counts.motion_pairs == 0 {
            return None;
        }
        Some(counts)
    }
}

/// How persistent edges are along each line, and how much each pixel moves (prefix sums).
struct Persistence {
    vnear: Prefix,
    hnear: Prefix,
    motion: Prefix,
}

impl EdgeCounts {
    /// Prefix sums of how persistent an edge is at each position (as a share of the
    /// frames, within one pixel), and of the motion at each pixel.
    fn persistence(&self) -> Persistence {
        let (w, h) = (self.w, self.h);
        let counts = self;
        let n = f64::from(counts.frames);
        // Share of frames with an edge within one pixel of each position: a boundary that
        // falls between pixels is blended over two, and the local maximum may take either.
        let near = |c: &[u32], i: usize, prev: Option<usize>, next: Option<usize>| {
            let s = c[i] + prev.map_or(0, |p| c[p]) + next.map_or(0, |q| c[q]);
            (f64::from(s) / n).min(1.0)
        };
        let vnear = Prefix::new(w, h, |x, y| {
            let i = y * w + x;
            near(
                &counts.v,
                i,
                (x > 0).then(|| i - 1),
                (x + 1 < w).then_some(i + 1),
            )
        });
        let hnear = Prefix::new(w, h, |x, y| {
            let i = y * w + x;
            near(
                &counts.hz,
                i,
                (y > 0).then(|| i - w),
                (y + 1 < h).then_some(i + w),
            )
        });
        let motion = Prefix::new(w, h, |x, y| {
            f64::from(counts.motion[y * w + x]) / f64::from(counts.motion_pairs)
        });
        Persistence {
            vnear,
            hnear,
            motion,
        }
    }

    /// Each side on a line placed on the boundary among the three near ones with the most
    /// edges (a side on the frame's edge stays there); the crop that keeps the inset.
    fn place_sides(&self, rect: Rect) -> Option<Crop> {
        let (w, h) = (self.w, self.h);
        let counts = self;
        let Rect { x0, x1, y0, y1, .. } = rect;
        let col_count = |x: usize| (y0..y1).map(|y| counts.v[y * w + x]).sum::<u32>();
        let row_count = |y: usize| (x0..x1).map(|x| counts.hz[y * w + x]).sum::<u32>();
        // The inset starts after boundary `b` (left, top) or ends with it (right, bottom).
        let start = |on_line: bool, p: usize, n: usize, count: &dyn Fn(usize) -> u32| {
            if on_line {
                refine(p - 1, n, count) + 1
            } else {
                p
            }
        };
        let x0 = start(rect.sides[0], x0, w, &col_count);
        let x1 = start(rect.sides[1], x1, w, &col_count);
        let y0 = start(rect.sides[2], y0, h, &row_count);
        let y1 = start(rect.sides[3], y1, h, &row_count);
        if x1 <= x0 + 2 || y1 <= y0 + 2 {
            return None;
        }
        Some(Crop {
            left: x0 as u32,
            top: y0 as u32,
            right: (w - x1) as u32,
            bottom: (h - y1) as u32,
        })
    }
}

/// A candidate inset: columns `x0..x1`, rows `y0..y1`; `sides` (left, right, top, bottom)
/// tells which lie on a line of the picture (the others on the frame's own edge).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rect {
    x0: usize,
    x1: usize,
    y0: usize,
    y1: usize,
    sides: [bool; 4],
}

impl Rect {
    /// How many of its sides lie on the frame's own edge.
    fn edge_sides(&self) -> usize {
        self.sides.iter().filter(|&&on_line| !on_line).count()
    }

    fn area(&self) -> usize {
        (self.x1 - self.x0) * (self.y1 - self.y0)
    }

    /// Whether the two overlap by at most [`SHARED_LINES`] lines across (two insets side
    /// by side may share their blended border).
    fn apart_from(&self, other: &Rect) -> bool {
        let across =
            |a0: usize, a1: usize, b0: usize, b1: usize| a1.min(b1).saturating_sub(a0.max(b0));
        across(self.x0, self.x1, other.x0, other.x1) <= SHARED_LINES
            || across(self.y0, self.y1, other.y0, other.y1) <= SHARED_LINES
    }
}

impl InsetDetector {
    /// Every rectangle whose sides are persistent edges that stand out from their
    /// surroundings (or, for at most two sides, never two facing ones, the frame's own
    /// edge: an inset in a corner or against one edge), and whose inside moves up to each
    /// side, with its score: the least contrast of its sides on lines.
    fn rectangles(&self, p: &Persistence, w: usize, h: usize) -> Vec<(f64, Rect)> {
        let (vnear, hnear, motion) = (&p.vnear, &p.hnear, &p.motion);
        let min_len = |n: usize| ((n as f64 * self.min_size).ceil() as usize).max(4);
        // A side is one straight run of persistent edge: rank lines by their longest run.
        let cols = candidates(w, |x| {
            longest_run((0..h).map(|y| vnear.col_mean(x, y, y + 1) >= self.min_side_score))
        });
        let rows = candidates(h, |y| {
            longest_run((0..w).map(|x| hnear.row_mean(y, x, x + 1) >= self.min_side_score))
        });
        let (min_w, max_w) = (min_len(w), (w as f64 * self.max_size) as usize);
        let (min_h, max_h) = (min_len(h), (h as f64 * self.max_size) as usize);
        // Where an inset may start and end on each axis: after a candidate boundary b
        // (between b and b + 1) the inset starts, or ends, at b + 1; `None` is the frame's
        // own edge (0 or n).
        let ends = |c: &[usize]| -> Vec<Option<usize>> {
            c.iter().map(|&b| Some(b + 1)).chain([None]).collect()
        };
        let (xs, ys) = (ends(&cols), ends(&rows));
        let mut found = Vec::new();
        for &l in &xs {
            for &r in &xs {
                let (x0, x1) = (l.unwrap_or(0), r.unwrap_or(w));
                let width = x1.saturating_sub(x0);
                if (l.is_none() && r.is_none()) || width < min_w || width > max_w {
                    continue;
                }
                for &t in &ys {
                    for &b in &ys {
                        let (y0, y1) = (t.unwrap_or(0), b.unwrap_or(h));
                        let height = y1.saturating_sub(y0);
                        if (t.is_none() && b.is_none()) || height < min_h || height > max_h {
                            continue;
                        }
                        let on_line = [l.is_some(), r.is_some(), t.is_some(), b.is_some()];
                        if on_line.iter().filter(|&&x| !x).count() > MAX_EDGE_SIDES {
                            continue;
                        }
                        let m = self.min_side_score;
                        let col = |x: usize, a: usize, z: usize| vnear.col_mean(x, a, z);
                        let row = |y: usize, a: usize, z: usize| hnear.row_mean(y, a, z);
                        let sides = [
                            l.map(|x| side_near(col, x - 1, w, y0..y1, m)),
                            r.map(|x| side_near(col, x - 1, w, y0..y1, m)),
                            t.map(|y| side_near(row, y - 1, h, x0..x1, m)),
                            b.map(|y| side_near(row, y - 1, h, x0..x1, m)),
                        ];
                        if sides
                            .iter()
                            .flatten()
                            .any(|&(s, _, _)| s < self.min_side_score)
                        {
                            continue;
                        }
                        let score = sides
                            .iter()
                            .flatten()
                            .map(|&(_, c, _)| c)
                            .fold(f64::INFINITY, f64::min);
                        if score < self.min_side_contrast {
                            continue;
                        }
                        // The sides where they stand out (the inset starts, or ends, after
                        // the boundary), so that near copies of one rectangle agree.
                        let at = |side: Option<(f64, f64, usize)>, edge: usize| {
                            side.map_or(edge, |(_, _, b)| b + 1)
                        };
                        let (x0, x1) = (at(sides[0], 0), at(sides[1], w));
                        let (y0, y1) = (at(sides[2], 0), at(sides[3], h));
                        if x1 < x0 + 4 * EDGE_STRIP || y1 < y0 + 4 * EDGE_STRIP {
                            continue;
                        }
                        let inside: f64 = (y0..y1).map(|y| motion.row_mean(y, x0, x1)).sum::<f64>()
                            / (y1 - y0) as f64;
                        if inside < self.min_motion {
                            continue;
                        }
                        // The inset's picture reaches each of its sides: the lines just
                        // inside every side move, along at least half its length (the
                        // median). A side laid on an edge of a still background beside the
                        // inset, or on a static card's, leaves a static strip inside; a mean
                        // would let a few moving pixels at its end (a card with footage
                        // below it) carry a strip that is static along 43 of its 46 pixels,
                        // and a rule on every quarter refuses real insets whose picture is
                        // still along part of a side (a sky in Big Buck Bunny). The strip
                        // starts one line in: a side may be a pixel off until it is placed,
                        // and the edge pixels blend both sides.
                        let strip = |lines: std::ops::Range<usize>, along_x: bool| {
                            let n = lines.len().max(1) as f64;
                            let span = if along_x { x0..x1 } else { y0..y1 };
                            let mut moved: Vec<f64> = span
                                .map(|at| {
                                    lines
                                        .clone()
                                        .map(|i| {
                                            if along_x {
                                                motion.row_mean(i, at, at + 1)
                                            } else {
                                                motion.col_mean(i, at, at + 1)
                                            }
                                        })
                                        .sum::<f64>()
                                        / n
                                })
                                .collect();
                            median(&mut moved)
                        };
                        let k = EDGE_STRIP;
                        let edges_move = [
                            strip(x0 + 1..x0 + 1 + k, false),
                            strip(x1 - 1 - k..x1 - 1, false),
                            strip(y0 + 1..y0 + 1 + k, true),
                            strip(y1 - 1 - k..y1 - 1, true),
                        ]
                        .iter()
                        .all(|&m| m >= self.min_motion);
                        if !edges_move {
                            continue;
                        }
                        let rect = Rect {
                            x0,
                            x1,
                            y0,
                            y1,
                            sides: on_line,
                        };
                        found.push((score, rect));
                    }
                }
            }
        }
        found
    }
}

/// The strongest positions by `strength`, at most [`CANDIDATES`], at least 3 apart, each
/// with a nonzero strength.
fn candidates(n: usize, strength: impl Fn(usize) -> usize) -> Vec<usize> {
    let mut s: Vec<(usize, usize)> = (0..n.saturating_sub(1))
        .map(|i| (strength(i), i))
        .filter(|&(v, _)| v > 0)
        .collect();
    s.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out: Vec<usize> = Vec::new();
    for (_, i) in s {
        if out.iter().all(|&o| o.abs_diff(i) >= 3) {
            out.push(i);
            if out.len() == CANDIDATES {
                break;
            }
        }
    }
    out
}

/// The longest run of `true`, bridging single `false` gaps.
fn longest_run(marks: impl Iterator<Item = bool>) -> usize {
    let (mut best, mut run, mut gap) = (0, 0, 0);
    for m in marks {
        if m {
            run += 1 + gap;
            gap = 0;
        } else if run > 0 && gap == 0 {
            gap = 1;
        } else {
            run = 0;
            gap = 0;
        }
        best = best.max(run);
    }
    best
}

/// The persistence of a side on boundary `b` (of `0..n - 1`) over `span` — the least of its
/// four quarters' means `mean(b, from, to)`, so a side must be a border along all its
/// length — and its contrast: how much that exceeds the less persistent of the parallel
/// lines 3 px away (those that exist) over the whole span.
fn side(
    mean: impl Fn(usize, usize, usize) -> f64,
    b: usize,
    n: usize,
    span: std::ops::Range<usize>,
) -> (f64, f64) {
    let len = span.len().max(4);
    let s = (0..4)
        .map(|q| {
            let from = span.start + q * len / 4;
            let to = (span.start + (q + 1) * len / 4).max(from + 1);
            mean(b, from, to)
        })
        .fold(f64::INFINITY, f64::min);
    let whole = |line: usize| mean(line, span.start, span.end);
    let before = b.checked_sub(3).map(whole);
    let after = (b + 3 < n.saturating_sub(1)).then(|| whole(b + 3));
    let lowest = match (before, after) {
        (Some(x), Some(y)) => x.min(y),
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => 0.0,
    };
    (s, s - lowest)
}

/// The median of `values` (the upper one of an even count; 0 when empty).
fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mid = values.len() / 2;
    *values.select_nth_unstable_by(mid, f64::total_cmp).1
}

/// [`side`] on the boundary `b` or on one next to it, whichever stands out most among those
/// persistent in at least `min_score` (`b` itself when none is), with that boundary. Lines are kept 3 px apart
/// as candidates, so the strongest one near an inset's side may lie a pixel off the edge:
/// an inset's top 6.4 px below the frame's over a static scene (`vtest.avi`) was a
/// candidate one line inside the edge, where the line 3 px further in still met the edge's
/// blend, and stood out by 0.25 only.
fn side_near(
    mean: impl Fn(usize, usize, usize) -> f64,
    b: usize,
    n: usize,
    span: std::ops::Range<usize>,
    min_score: f64,
) -> (f64, f64, usize) {
    let at = |i: usize| {
        let (s, c) = side(&mean, i, n, span.clone());
        (s, c, i)
    };
    let own = at(b);
    (b.saturating_sub(1)..=(b + 1).min(n.saturating_sub(2)))
        .map(at)
        .filter(|&(s, _, _)| s >= min_score)
        .max_by(|p, q| {
            p.1.total_cmp(&q.1)
                .then(q.2.abs_diff(b).cmp(&p.2.abs_diff(b)))
        })
        .unwrap_or(own)
}

/// Of boundaries `b - 1`, `b`, `b + 1` (within `0..n - 1`), the one with the largest count.
fn refine(b: usize, n: usize, count: impl Fn(usize) -> u32) -> usize {
    let lo = b.saturating_sub(1);
    let hi = (b + 1).min(n.saturating_sub(2));
    (lo..=hi)
        .max_by_key(|&i| (count(i), usize::MAX - i.abs_diff(b)))
        .unwrap_or(b)
}

/// Frames the inset is looked for in (the first of the upload, border-cropped).
const INSET_WINDOW: usize = 30;

/// The inset variants' worker: finds the insets in the first [`INSET_WINDOW`] decoded
/// frames, then passes every frame of their size cropped to each inset and scaled back to
/// the frame's width to `each`, with the inset's place in
/// [`InsetDetector::detect_all`]'s list. Without an inset it only drains its queue; it
/// returns how many insets it found.
///
/// The frames are searched as decoded, not after the border tracker has cropped their
/// bars: over a dark background (a night scene behind the inset) the tracker's crop
/// changes from frame to frame (an inset in the corner of `Megamind.avi` scaled to
/// 640×360: the first frame cropped to 128×72, the next ones to 256×139–144), which moves
/// the inset within the cropped frames and left too few frames of one size to find it.
/// A picture between bars (letterbox, pillarbox) has two facing sides on the frame's own
/// edges and is never an inset; a windowboxed one small enough (each side at most 80% of
/// the frame) is one, and its crop, what the plain variant hashes once the bars are
/// cropped, is hashed twice: a cost, not a wrong answer.
pub(crate) fn inset_frames(
    rx: mpsc::Receiver<Frame>,
    detector: &InsetDetector,
    mut each: impl FnMut(usize, Frame),
) -> Result<usize> {
    let mut frames = rx.into_iter();
    let window: Vec<Frame> = frames
        .by_ref()
        .take(INSET_WINDOW.max(detector.min_frames))
        .collect();
    let Some(first) = window.first() else {
        return Ok(0);
    };
    let (w, h) = (first.width, first.height);
    let crops = detector.detect_all(&window);
    if crops.is_empty() {
        frames.for_each(drop);
        return Ok(0);
    }
    let sizes: Vec<(u32, u32)> = crops
        .iter()
        .map(|crop| {
            let (cw, ch) = crop.size_of(w, h);
            let out_h = ((u64::from(ch) * u64::from(w)) / u64::from(cw.max(1))).max(1);
            (w, out_h as u32)
        })
        .collect();
    for f in window.into_iter().chain(frames) {
        if (f.width, f.height) != (w, h) {
            continue;
        }
        for (i, (crop, &(ow, oh))) in crops.iter().zip(&sizes).enumerate() {
            each(i, resample_bilinear(&f.cropped(crop), ow, oh));
        }
    }
    Ok(crops.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::SynthVideo;

    fn synth(seed: u64, w: u32, h: u32, n: usize) -> Vec<Frame> {
        let v = SynthVideo::new(seed)
            .size(w, h)
            .fps(1)
            .duration_ms(n as u64 * 1000)
            .video();
        v.frames().take(n).collect()
    }

    /// `fg` scaled to `iw × ih` (area average) pasted over `bg` at (`x`, `y`).
    fn paste(bg: &Frame, fg: &Frame, x: u32, y: u32, iw: u32, ih: u32) -> Frame {
        let small = crate::decode::resample_bilinear(fg, iw, ih);
        let mut out = bg.clone();
        for yy in 0..ih {
            for xx in 0..iw {
                out.luma[((y + yy) * bg.width + x + xx) as usize] =
                    small.luma[(yy * iw + xx) as usize];
            }
        }
        out
    }

    #[test]
    fn finds_an_inset_over_other_footage() {
        let bg = synth(5, 256, 144, 12);
        let fg = synth(6, 256, 144, 12);
        for (x, y, iw, ih) in [
            (122u32, 7u32, 127u32, 71u32),
            (20, 60, 90, 60),
            (60, 30, 150, 100),
        ] {
            let frames: Vec<Frame> = bg
                .iter()
                .zip(&fg)
                .map(|(b, f)| paste(b, f, x, y, iw, ih))
                .collect();
            let c = InsetDetector::default()
                .detect(&frames)
                .unwrap_or_else(|| panic!("no inset found at {x},{y} {iw}x{ih}"));
            assert!(
                keeps(&c, (x, y, iw, ih)),
                "{c:?} for inset at {x},{y} {iw}x{ih}"
            );
        }
    }

    #[test]
    fn an_inset_over_a_still_picture_is_found() {
        let still = synth(5, 256, 144, 1).remove(0);
        let fg = synth(6, 256, 144, 12);
        let frames: Vec<Frame> = fg
            .iter()
            .map(|f| paste(&still, f, 122, 7, 127, 71))
            .collect();
        let c = InsetDetector::default()
            .detect(&frames)
            .expect("an inset over a still picture");
        assert!(keeps(&c, (122, 7, 127, 71)), "{c:?}");
    }

    #[test]
    fn an_inset_over_a_colour_bar_card_keeps_its_own_bottom() {
        // A still card like ffmpeg's `smptehdbars`: flat bars down to row 84 (mid-grey
        // under and beside the inset), another row of bars below; the inset's bottom (row
        // 78) lies 6 px above the card's own horizontal edge, which persists in every
        // frame while the inset's edge against mid-grey comes and goes. Without the rule
        // that the lines inside each side move, that edge was taken for the bottom.
        let card = Frame {
            pts_ms: 0,
            width: 256,
            height: 144,
            luma: (0..256 * 144u32)
                .map(|i| {
                    let (x, y) = (i % 256, i / 256);
                    match (y < 84, x / 32) {
                        (true, c @ 0..=2) => [200u8, 170, 140][c as usize],
                        (true, _) => 128,
                        (false, _) => [30u8, 230, 60, 15][(x / 64) as usize],
                    }
                })
                .collect(),
            scale: 1.0,
        };
        let fg = synth(2, 256, 144, 8);
        let frames: Vec<Frame> = fg
            .iter()
            .map(|f| paste(&card, f, 122, 7, 127, 71))
            .collect();
        let c = InsetDetector::default()
            .detect(&frames)
            .expect("an inset over a colour-bar card");
        assert!(keeps(&c, (122, 7, 127, 71)), "{c:?}");
    }

    #[test]
    fn finds_an_inset_against_an_edge_or_in_a_corner() {
        let bg = synth(5, 256, 144, 12);
        let fg = synth(6, 256, 144, 12);
        // Each corner at half, 40% and a third of the frame; against the bottom, left
        // and top edges; over moving footage, then over a still picture.
        let places = [
            (128u32, 0u32, 128u32, 72u32),
            (0, 86, 102, 58),
            (0, 0, 86, 48),
            (171, 96, 85, 48),
            (64, 72, 128, 72),
            (0, 30, 110, 80),
            (80, 0, 115, 65),
        ];
        for over_still in [false, true] {
            for inset in places {
                let (x, y, iw, ih) = inset;
                let frames: Vec<Frame> = (0..12)
                    .map(|i| {
                        let under = if over_still { &bg[0] } else { &bg[i] };
                        paste(under, &fg[i], x, y, iw, ih)
                    })
                    .collect();
                let found = InsetDetector::default().detect_all(&frames);
                assert!(
                    found.len() == 1 && keeps(&found[0], inset),
                    "{found:?} for inset {inset:?}, over a still picture: {over_still}"
                );
            }
        }
    }

    /// Whether `c` keeps the inset at (`x`, `y`), `iw × ih`, in a 256×144 frame, within 2 px.
    fn keeps(c: &Crop, (x, y, iw, ih): (u32, u32, u32, u32)) -> bool {
        let near = |a: u32, b: u32| a.abs_diff(b) <= 2;
        near(c.left, x)
            && near(c.top, y)
            && near(256 - c.right, x + iw)
            && near(144 - c.bottom, y + ih)
    }

    #[test]
    fn finds_two_insets_side_by_side_or_in_two_corners() {
        let bg = synth(5, 256, 144, 12);
        let still = bg[0].clone();
        let a = synth(6, 256, 144, 12);
        let b = synth(7, 256, 144, 12);
        let layouts = [
            // Side by side, sharing a border, over a still picture.
            (
                (0u32, 36u32, 128u32, 72u32),
                (128u32, 36u32, 128u32, 72u32),
                true,
            ),
            // Two corners (one flush, one 6 px in), over moving footage.
            ((6, 6, 102, 58), (154, 86, 102, 58), false),
            // A work at half size and a small facecam, both 6 px in, over a still picture.
            ((122, 6, 128, 72), (6, 96, 80, 42), true),
        ];
        for (first, second, over_still) in layouts {
            let frames: Vec<Frame> = (0..12)
                .map(|i| {
                    let under = if over_still { &still } else { &bg[i] };
                    let one = paste(under, &a[i], first.0, first.1, first.2, first.3);
                    paste(&one, &b[i], second.0, second.1, second.2, second.3)
                })
                .collect();
            let found = InsetDetector::default().detect_all(&frames);
            assert_eq!(found.len(), 2, "{found:?} for {first:?} and {second:?}");
            for want in [first, second] {
                assert!(
                    found.iter().any(|c| keeps(c, want)),
                    "{want:?} not in {found:?}"
                );
            }
            let one = InsetDetector {
                max_insets: 1,
                ..InsetDetector::default()
            };
            assert_eq!(one.detect_all(&frames).len(), 1);
        }
    }

    #[test]
    fn an_inset_near_a_corner_is_not_stretched_to_the_corner() {
        // Over moving footage the inset 6 px from the corner, margin included, is also a
        // rectangle with moving insides reaching the corner; the inset's own four sides
        // win and the stretched one, overlapping it, is not a second inset.
        let bg = synth(5, 256, 144, 12);
        let fg = synth(6, 256, 144, 12);
        let frames: Vec<Frame> = bg
            .iter()
            .zip(&fg)
            .map(|(b, f)| paste(b, f, 122, 6, 128, 72))
            .collect();
        let found = InsetDetector::default().detect_all(&frames);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(keeps(&found[0], (122, 6, 128, 72)), "{found:?}");
    }

    #[test]
    fn a_static_card_in_a_corner_is_not_an_inset() {
        // A still card flush with the top right corner of moving footage: two drawn sides,
        // nothing moving inside.
        let card = Frame {
            pts_ms: 0,
            width: 90,
            height: 50,
            luma: (0..90 * 50)
                .map(|i| {
                    if i % 90 < 3 {
                        250
                    } else {
                        40 + (i % 11 * 15) as u8
                    }
                })
                .collect(),
            scale: 1.0,
        };
        let frames: Vec<Frame> = synth(9, 256, 144, 12)
            .iter()
            .map(|f| paste(f, &card, 166, 0, 90, 50))
            .collect();
        assert_eq!(InsetDetector::default().detect_all(&frames), Vec::new());
    }

    #[test]
    fn no_inset_in_plain_letterboxed_or_logoed_frames() {
        let d = InsetDetector::default();
        let plain = synth(7, 256, 144, 12);
        assert_eq!(d.detect(&plain), None, "plain frames");
        let letterboxed: Vec<Frame> = synth(8, 256, 108, 12)
            .iter()
            .map(|f| {
                let mut luma = vec![0u8; 256 * 18];
                luma.extend_from_slice(&f.luma);
                luma.extend(std::iter::repeat_n(0u8, 256 * 18));
                Frame {
                    height: 144,
                    luma,
                    ..f.clone()
                }
            })
            .collect();
        assert_eq!(d.detect(&letterboxed), None, "letterboxed frames");
        // A static card covering 30% of each side, with a frame drawn around it.
        let logo = Frame {
            pts_ms: 0,
            width: 77,
            height: 43,
            luma: (0..77 * 43)
                .map(|i| {
                    if i % 77 < 2 || i / 77 < 2 {
                        250
                    } else {
                        (i % 7 * 30) as u8
                    }
                })
                .collect(),
            scale: 1.0,
        };
        let logoed: Vec<Frame> = synth(9, 256, 144, 12)
            .iter()
            .map(|f| paste(f, &logo, 170, 10, 77, 43))
            .collect();
        assert_eq!(d.detect(&logoed), None, "static logo");
        assert_eq!(d.detect(&plain[..2]), None, "too few frames");
        assert_eq!(d.detect(&[]), None);
    }

    /// A static textured scene (fixed random texture, encoder-like noise) with a bright
    /// square moving across it: its edges persist everywhere, as in a still shot of grass.
    fn static_texture(n: usize) -> Vec<Frame> {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut rand = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let texture: Vec<u8> = (0..256 * 144).map(|_| 40 + (rand() % 160) as u8).collect();
        (0..n)
            .map(|i| {
                let mut luma: Vec<u8> = texture
                    .iter()
                    .map(|&v| v.saturating_add((rand() % 5) as u8))
                    .collect();
                for y in 40..80 {
                    for x in (10 + 20 * i)..(50 + 20 * i) {
                        luma[y * 256 + x.min(255)] = 250;
                    }
                }
                Frame {
                    pts_ms: i as u64 * 1000,
                    width: 256,
                    height: 144,
                    luma,
                    scale: 1.0,
                }
            })
            .collect()
    }

    #[test]
    fn no_inset_in_static_texture() {
        let frames = static_texture(10);
        assert_eq!(InsetDetector::default().detect(&frames), None);
    }
}
