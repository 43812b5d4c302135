//! Geometric query variants for copies that PDQ cannot see through: a work shown as a
//! picture-in-picture inset over other footage, and a work rotated by a few degrees.
//!
//! PDQ hashes the whole frame, so a copy whose content is shifted, shrunk or turned is
//! found only if the query is brought back into register with a banked frame. Both methods
//! here work on the upload side (no change to the index):
//!
//! - **Insets** ([`InsetDetector`]): an inset's borders are straight edges that stay at the
//!   same place in every frame while the pictures on both sides of them move. Over a window
//!   of frames the detector counts, per pixel, how often a vertical (horizontal) luma step is
//!   a local maximum there (within one pixel: a border between pixels is blended over two).
//!   Lines are ranked by their longest run of such persistent edges; of the rectangles
//!   built from the best lines (each side 20–80% of the frame), it keeps the one whose four
//!   sides are persistent (in at least half the frames, in each quarter of their length),
//!   stand out by 0.3 from the parallel line 3 px away on one side (static texture, a still
//!   shot of grass, keeps its edges everywhere; a border is a line), and whose inside moves
//!   (a static logo is not an inset). Without the contrast rule the 5 s Big Buck Bunny clips
//!   gave a false inset in all three fixtures; with it (`examples/inset_probe.rs`), none of
//!   the fixtures, their letterboxed, pillarboxed, windowboxed or logoed copies, nor
//!   ffmpeg's `testsrc2`, `mandelbrot`, `life` and `cellauto` sources give one, while insets
//!   over moving footage at a quarter, a third, 40% and half of the frame in each corner and
//!   60% centred are found to the pixel. Over a still picture with strong straight
//!   structure of its own (a frame of `testsrc2`) no inset is found and the copy is missed
//!   (before each quarter of a side had to hold, a wrong rectangle was taken there). The
//!   crop to the inset, scaled back to the frame's width, is hashed as one more variant of
//!   each frame. PDQ is steep here (measured on the 720p fixture composited like the eval's
//!   `pip-half`, `scripts/inset_crop_tolerance.py`): the exact crop is 12/18 bits (median/max) from the
//!   banked frame when upscaled to 256 px, 24/28 at its native 128 px, and 28/38 when
//!   cropped 1 px inside, so the sides are placed on the edge pixels.
//! - **Rotations** ([`ROTATION_GRID_DEG`]): each frame is also rotated back by a few angles
//!   about its centre and cropped to the largest banked centre crop that the rotation leaves
//!   free of black corners. Measured on the 720p Big Buck Bunny fixture with
//!   `scripts/rotation_tolerance.py` (11 frames, median/max PDQ bits against the banked 0.85
//!   crop): a residual angle of 0.5° costs 12/16 bits, 1° 24/30, 1.5° 34/40, 2° 44/50. The
//!   search radius is 40 bits and segments need a mean of at most 36, so one angle covers
//!   about ±1.5°, and a grid at 3° steps (±3°, ±6°) covers rotations up to about 7.5° either
//!   way; the plain frame covers the first ±1.5°. Checked end to end (`staydown check`,
//!   a 32 s 640×360 bbb loop banked as a work, copies made with ffmpeg's `rotate`): copies
//!   rotated by 0, 1.5, 2, 3, 4, 4.5, 5, 6, 7 and 7.5° are `match` (29–32 of 32 frames), 8°
//!   and 9° are `clean`; without the rotations only 0 and 1.5° match.
//!
//! **Cost** (`cargo bench --bench query_variants`, CPU time of all hashing threads for a
//! 60-frame 256×144 upload with an inset, on the shared 2-core build machine, load ~6):
//! plain frames and mirrors 26.8 ms, plus the inset 55.4 ms, plus the four rotations (the
//! default) 147.2 ms, i.e. 2.5 ms instead of 0.45 ms per sampled frame. Next to decoding this is
//! small: `staydown check` of a 32 s 1280×720 upload (bbb-720p looped) against a one-work
//! index took 2.75 s of CPU (user + sys, ffmpeg included; mean of 5) with
//! `--no-pip --no-rotations` and 2.79 s by default; wall 2.46 s and 2.68 s on the loaded
//! machine. The matcher searches 6 hashes per frame instead of 2 (7 with an inset), so the
//! search part of a check costs about 3× (3.5×); the index is unchanged (rotations reuse
//! the banked centre crops).

use crate::decode::{Crop, Frame};

/// Rotations of a copy (degrees, counter-clockwise on screen; ffmpeg's `rotate` filter turns
/// clockwise for positive angles) that the upload's frames are turned back from: each
/// frame is also hashed rotated by minus each angle. Spaced 3° apart, twice the measured
/// ±1.5° tolerance.
pub const ROTATION_GRID_DEG: [f64; 4] = [-6.0, -3.0, 3.0, 6.0];

/// The frame rotated by `degrees` (counter-clockwise on screen) about its centre
/// (bilinear), same size, with black where no source pixel falls.
pub fn rotate(frame: &Frame, degrees: f64) -> Frame {
    rotate_cropped(frame, degrees, &Crop::default())
}

/// The part `crop` of the frame rotated by `degrees` about its centre: the pixels of
/// `rotate(frame, degrees).cropped(crop)` (up to one level of rounding), computing only
/// those (bilinear, 16.16 fixed-point positions and 8-bit weights; black where no source
/// pixel falls). A crop that does not fit gives the frame unchanged.
pub fn rotate_cropped(frame: &Frame, degrees: f64, crop: &Crop) -> Frame {
    let (w, h) = (frame.width as usize, frame.height as usize);
    if w == 0
        || h == 0
        || frame.luma.len() != w * h
        || !degrees.is_finite()
        || !crop.fits(frame.width, frame.height)
    {
        return frame.clone();
    }
    let (ow, oh) = crop.size_of(frame.width, frame.height);
    let (ow, oh) = (ow as usize, oh as usize);
    const ONE: f64 = 65536.0;
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
    let (max_x, max_y) = (((w - 1) as i64) << 16, ((h - 1) as i64) << 16);
    let (step_x, step_y) = ((cos * ONE).round() as i64, (sin * ONE).round() as i64);
    let src = &frame.luma;
    let mut luma = vec![0u8; ow * oh];
    for (oy, row) in luma.chunks_exact_mut(ow).enumerate() {
        let dy = (oy + crop.top as usize) as f64 - cy;
        let dx = crop.left as f64 - cx;
        // Inverse mapping: the source point that lands on the row's first pixel, then one
        // step per pixel along the row.
        let mut sx = ((cos * dx - sin * dy + cx) * ONE).round() as i64;
        let mut sy = ((sin * dx + cos * dy + cy) * ONE).round() as i64;
        for out in row.iter_mut() {
            if (0..=max_x).contains(&sx) && (0..=max_y).contains(&sy) {
                let (x0, y0) = ((sx >> 16) as usize, (sy >> 16) as usize);
                let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
                let (fx, fy) = (((sx >> 8) & 0xff) as u32, ((sy >> 8) & 0xff) as u32);
                let p = |x: usize, y: usize| u32::from(src[y * w + x]);
                let top = p(x0, y0) * (256 - fx) + p(x1, y0) * fx;
                let bottom = p(x0, y1) * (256 - fx) + p(x1, y1) * fx;
                *out = ((top * (256 - fy) + bottom * fy + (1 << 15)) >> 16) as u8;
            }
            sx += step_x;
            sy += step_y;
        }
    }
    Frame {
        pts_ms: frame.pts_ms,
        width: ow as u32,
        height: oh as u32,
        luma,
    }
}

/// The largest share of width and height that a centred crop of a `width × height` frame
/// rotated by `degrees` can keep without reaching outside the original picture.
pub fn inscribed_keep(width: u32, height: u32, degrees: f64) -> f64 {
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let (sin, cos) = degrees.to_radians().abs().sin_cos();
    (w / (w * cos + h * sin))
        .min(h / (w * sin + h * cos))
        .min(1.0)
}

/// The centre crop to hash a frame rotated back by `degrees` with: the largest of `banked`
/// (the centre crops references are banked with) that fits inside the rotation's inscribed
/// rectangle, with 1% of slack (a sliver of black corner costs less than the next crop
/// down); the smallest banked crop when none fits; the inscribed rectangle itself when
/// nothing is banked.
pub fn rotation_keep(width: u32, height: u32, degrees: f64, banked: &[f64]) -> f64 {
    let inscribed = inscribed_keep(width, height, degrees);
    let fitting = banked
        .iter()
        .copied()
        .filter(|&k| k <= inscribed + 0.01)
        .fold(None, |best: Option<f64>, k| {
            Some(best.map_or(k, |b| b.max(k)))
        });
    fitting
        .or_else(|| banked.iter().copied().reduce(f64::min))
        .unwrap_or(inscribed)
}

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
    /// Mean absolute change of luma between consecutive frames inside the inset must reach
    /// this (default 2.0): a static logo or a still picture is not an inset.
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
        let (_, l, r, t, b) = best?;
        // Place each side on the boundary among the three near ones with the most edges.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Pdq;
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
                }
            })
            .collect()
    }

    #[test]
    fn no_inset_in_static_texture() {
        let frames = static_texture(10);
        assert_eq!(InsetDetector::default().detect(&frames), None);
    }

    #[test]
    fn rotating_back_restores_the_picture() {
        let f = synth(3, 256, 144, 1).remove(0);
        let keep = inscribed_keep(256, 144, 5.0);
        assert!((keep - 0.869).abs() < 0.01, "{keep}");
        assert!((inscribed_keep(320, 240, 6.0) - 0.882).abs() < 0.01);
        assert_eq!(rotation_keep(256, 144, 6.0, &[0.95, 0.9, 0.85]), 0.85);
        assert_eq!(rotation_keep(256, 144, 3.0, &[0.95, 0.9, 0.85]), 0.9);
        assert_eq!(
            rotation_keep(256, 144, 3.0, &[]),
            inscribed_keep(256, 144, 3.0)
        );
        let crop = crate::check::centre_crop(&f, 0.85);
        let mut pdq = Pdq::new();
        let mut hash = |f: &Frame| {
            pdq.hash_gray(&f.luma, f.width as usize, f.height as usize)
                .unwrap()
                .hash
        };
        let want = hash(&f.cropped(&crop));
        let turned = rotate(&f, 5.0);
        let back = rotate(&turned, -5.0);
        let crop_back = hash(&back.cropped(&crop));
        let crop_turned = hash(&turned.cropped(&crop));
        assert!(
            want.distance(&crop_back) <= 20,
            "{}",
            want.distance(&crop_back)
        );
        assert!(
            want.distance(&crop_turned) > 40,
            "{}",
            want.distance(&crop_turned)
        );
        assert_eq!(rotate(&f, 0.0), f);
        let part = rotate_cropped(&turned, -5.0, &crop);
        let whole = back.cropped(&crop);
        assert_eq!((part.width, part.height), (whole.width, whole.height));
        let worst = part
            .luma
            .iter()
            .zip(&whole.luma)
            .map(|(a, b)| a.abs_diff(*b))
            .max();
        // Same pixels up to the rounding of the 8.8 fixed-point weights.
        assert!(worst.is_some_and(|d| d <= 1), "{worst:?}");
    }
}
