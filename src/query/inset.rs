//! Finding a picture-in-picture inset in an upload, so that the inset can be hashed as one
//! more query variant (see [`super`]).
//!
//! An inset's borders are straight edges that stay at the
//! same place in every frame while the pictures on both sides of them move. Over a window
//! of frames the detector counts, per pixel, how often a vertical (horizontal) luma step is
//! a local maximum there (within one pixel: a border between pixels is blended over two).
//! Lines are ranked by their longest run of such persistent edges; of the rectangles
//! built from the best lines (each side 20–80% of the frame), it keeps the one whose four
//! sides are persistent (in at least half the frames, in each quarter of their length),
//! stand out by 0.3 from the parallel line 3 px away on one side (static texture, a still
//! shot of grass, keeps its edges everywhere; a border is a line), and whose inside moves
//! (a static logo is not an inset) up to each side: the two lines just inside every side
//! move too. Over a still background an edge of the background persists in every frame,
//! more than the inset's own sides (whose contrast with the background comes and goes);
//! the eval's `pip-still` copy of `synth-2` (an inset over `smptehdbars`, sampled at 4 fps)
//! took the bars' row 6 px below the inset for its bottom, and the crop 76 bits median
//! from the work instead of 14; the lines inside that false side move 0.2 levels a frame,
//! inside the true one 9–17. Without the contrast rule the 5 s Big Buck Bunny clips
//! gave a false inset in all three fixtures; with it (`examples/inset_probe.rs`), none of
//! the fixtures, their letterboxed, pillarboxed, windowboxed or logoed copies, nor
//! ffmpeg's `testsrc2`, `mandelbrot`, `life` and `cellauto` sources give one, while insets
//! over moving footage at a quarter, a third, 40% and half of the frame in each corner and
//! 60% centred are found to the pixel. Over a still picture with strong straight
//! structure of its own (a frame of `testsrc2`) no inset is found and the copy is missed
//! (before each quarter of a side had to hold, a wrong rectangle was taken there). The
//! crop to the inset, scaled back to the frame's width, is hashed as one more variant of
//! each frame. PDQ is steep here (measured on the 720p fixture composited like the eval's
//! `pip-half`, `scripts/inset_crop_tolerance.py`): the exact crop is 12/18 bits (median/max) from the
//! banked frame when upscaled to 256 px, 24/28 at its native 128 px, and 28/38 when
//! cropped 1 px inside, so the sides are placed on the edge pixels.

use std::cell::Cell;
use std::sync::mpsc;

use crate::decode::{BorderTracker, Crop, Frame, resample_bilinear};
use crate::error::Result;
use crate::fingerprint::Fingerprinter;

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
    /// Mean absolute change of luma between consecutive frames inside the inset, and in
    /// the two lines just inside each of its sides, must reach this (default 2.0): a static
    /// logo or a still picture is not an inset, and a side laid on an edge of a still
    /// background next to the inset (a colour-bar card's row of bars) leaves a static strip
    /// inside it.
    pub min_motion: f64,
    /// Fewest usable frames to decide on (default 3).
    pub min_frames: usize,
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
        }
    }
}

/// Candidate edge positions kept per axis.
const CANDIDATES: usize = 16;

/// Lines just inside each side of an inset that must move as its inside does.
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
    /// frames are ignored), as the crop that keeps exactly it, or `None` when there is none.
    pub fn detect(&self, frames: &[Frame]) -> Option<Crop> {
        let counts = self.count_edges(frames)?;
        let persistence = counts.persistence();
        let (l, r, t, b) = self.best_rectangle(&persistence, counts.w, counts.h)?;
        counts.place_sides(l, r, t, b)
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

    /// Each side placed on the boundary among the three near ones with the most edges; the
    /// crop that keeps the inset.
    fn place_sides(&self, l: usize, r: usize, t: usize, b: usize) -> Option<Crop> {
        let (w, h) = (self.w, self.h);
        let counts = self;
        let (y0, y1, x0, x1) = (t + 1, b + 1, l + 1, r + 1);
        let col_count = |x: usize| (y0..y1).map(|y| counts.v[y * w + x]).sum::<u32>();
        let row_count = |y: usize| (x0..x1).map(|x| counts.hz[y * w + x]).sum::<u32>();
        let l = refine(l, w, col_count);
        let r = refine(r, w, col_count);
        let t = refine(t, h, row_count);
        let b = refine(b, h, row_count);
        if r <= l + 1 || b <= t + 1 {
            return None;
        }
        Some(Crop {
            left: (l + 1) as u32,
            top: (t + 1) as u32,
            right: (w - (r + 1)) as u32,
            bottom: (h - (b + 1)) as u32,
        })
    }
}

impl InsetDetector {
    /// The best rectangle `(l, r, t, b)` (boundaries between pixels) whose four sides are
    /// persistent edges that stand out from their surroundings and whose inside moves.
    fn best_rectangle(
        &self,
        p: &Persistence,
        w: usize,
        h: usize,
    ) -> Option<(usize, usize, usize, usize)> {
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
        // Boundary b (between b and b + 1) on the left: the inset starts at b + 1; on the
        // right: it ends at b inclusive.
        let mut best: Option<(f64, usize, usize, usize, usize)> = None;
        for &l in &cols {
            for &r in &cols {
                let width = r.saturating_sub(l);
                if r <= l || width < min_w || width > max_w {
                    continue;
                }
                for &t in &rows {
                    for &b in &rows {
                        let height = b.saturating_sub(t);
                        if b <= t || height < min_h || height > max_h {
                            continue;
                        }
                        let (x0, x1, y0, y1) = (l + 1, r + 1, t + 1, b + 1);
                        let col = |x: usize, a: usize, z: usize| vnear.col_mean(x, a, z);
                        let row = |y: usize, a: usize, z: usize| hnear.row_mean(y, a, z);
                        let sides = [
                            side(col, l, w, y0..y1),
                            side(col, r, w, y0..y1),
                            side(row, t, h, x0..x1),
                            side(row, b, h, x0..x1),
                        ];
                        if sides.iter().any(|&(s, _)| s < self.min_side_score) {
                            continue;
                        }
                        let score = sides.iter().map(|&(_, c)| c).fold(f64::INFINITY, f64::min);
                        if score < self.min_side_contrast {
                            continue;
                        }
                        let inside: f64 = (y0..y1).map(|y| motion.row_mean(y, x0, x1)).sum::<f64>()
                            / (y1 - y0) as f64;
                        if inside < self.min_motion {
                            continue;
                        }
                        // The inset's picture reaches each of its sides: the lines just
                        // inside every side move too. A side laid on an edge of a still
                        // background beside the inset leaves a static strip inside.
                        let strip = |lines: std::ops::Range<usize>, along_x: bool| {
                            let n = lines.len().max(1) as f64;
                            lines
                                .map(|i| {
                                    if along_x {
                                        motion.row_mean(i, x0, x1)
                                    } else {
                                        motion.col_mean(i, y0, y1)
                                    }
                                })
                                .sum::<f64>()
                                / n
                        };
                        let k = EDGE_STRIP;
                        let edges_move = [
                            strip(x0..x0 + k, false),
                            strip(x1 - k..x1, false),
                            strip(y0..y0 + k, true),
                            strip(y1 - k..y1, true),
                        ]
                        .iter()
                        .all(|&m| m >= self.min_motion);
                        if !edges_move {
                            continue;
                        }
                        let better = best.is_none_or(|(s, bl, br, bt, bb)| {
                            score > s + 1e-9
                                || ((score - s).abs() <= 1e-9
                                    && width * height > (br - bl) * (bb - bt))
                        });
                        if better {
                            best = Some((score, l, r, t, b));
                        }
                    }
                }
            }
        }
        best.map(|(_, l, r, t, b)| (l, r, t, b))
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

/// The inset variant's worker: finds the inset in the first [`INSET_WINDOW`] frames after
/// their bars are removed (the border tracker of `fingerprinter`, so a windowboxed picture
/// is not taken for an inset), then passes every frame of that border-cropped size cropped
/// to the inset and scaled back to the width of the decoded frames to `each`. Without an
/// inset it only drains its queue and returns false.
pub(crate) fn inset_frames(
    rx: mpsc::Receiver<Frame>,
    fingerprinter: &Fingerprinter,
    detector: &InsetDetector,
    mut each: impl FnMut(Frame),
) -> Result<bool> {
    let full_width = Cell::new(0u32);
    let decoded = rx.into_iter().inspect(|f| {
        full_width.set(full_width.get().max(f.width));
    });
    let mut frames: Box<dyn Iterator<Item = Frame> + '_> = if fingerprinter.crop_borders {
        Box::new(BorderTracker::new(fingerprinter.border).crop_all(decoded))
    } else {
        Box::new(decoded)
    };
    let window: Vec<Frame> = frames
        .by_ref()
        .take(INSET_WINDOW.max(detector.min_frames))
        .collect();
    let Some(first) = window.first() else {
        return Ok(false);
    };
    let (w, h) = (first.width, first.height);
    let Some(crop) = detector.detect(&window) else {
        frames.for_each(drop);
        return Ok(false);
    };
    let out_w = full_width.get().max(w);
    let (cw, ch) = crop.size_of(w, h);
    let out_h = ((u64::from(ch) * u64::from(out_w)) / u64::from(cw.max(1))).max(1) as u32;
    window
        .into_iter()
        .chain(frames)
        .filter(|f| (f.width, f.height) == (w, h))
        .for_each(|f| each(resample_bilinear(&f.cropped(&crop), out_w, out_h)));
    Ok(true)
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
            let near = |a: u32, b: u32| a.abs_diff(b) <= 2;
            assert!(
                near(c.left, x)
                    && near(c.top, y)
                    && near(256 - c.right, x + iw)
                    && near(144 - c.bottom, y + ih),
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
        let near = |a: u32, b: u32| a.abs_diff(b) <= 2;
        assert!(
            near(c.left, 122) && near(c.top, 7) && near(c.right, 7) && near(c.bottom, 66),
            "{c:?}"
        );
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
        let near = |a: u32, b: u32| a.abs_diff(b) <= 2;
        assert!(
            near(c.left, 122) && near(c.top, 7) && near(c.right, 7) && near(c.bottom, 66),
            "{c:?}"
        );
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
