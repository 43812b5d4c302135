//! PDQ hashes of many rectangles of one frame, without copying or blurring the frame for each.
//!
//! The upload side hashes dozens to hundreds of crops of a sampled frame (a grid of centre
//! and side crops, bands, their mirrors). [`Pdq`](super::Pdq) would copy each crop and run
//! its blur over every pixel of it. But PDQ only uses the blurred image at the 64×64
//! decimation points, and its blur — two passes of a box filter along each axis, each
//! window clipped at the image's edges — is separable and linear: the value at one
//! decimation point is a weighted sum of at most `(2k − 1)²` pixels around it (`k` the box
//! window, 2 for a 256-pixel-wide plane). [`CropHasher`] computes exactly those weights for
//! the crop's size (the clipping included, and mirrored when asked), sums the few pixels
//! each of the 4,096 points needs, then runs PDQ's own quality, DCT and median stages.
//!
//! The result is the reference PDQ hash of the cropped pixels up to the rounding order of
//! the `f32` sums: `tests` pin it against [`Pdq::hash_gray`](super::Pdq::hash_gray) of the
//! copied crop (identical or within a few bits when a coefficient sits on the median).
//!
//! # The source kernel
//! A plane the decoder shrank by area averaging stands for a source `s` times larger. PDQ on
//! the plane blurs with windows sized for the plane (2 pixels at 256 wide), which is not what
//! the reference does to the source (10-pixel windows at 1280 wide, then sampling every 20th
//! pixel): the two hashes differ by 15–23 bits. [`CropHasher::hash_scaled`] computes the
//! reference's weights on the source's pixels instead, for an axis `s` times longer, and
//! folds each source pixel's weight onto the plane pixel(s) it was averaged into — exact for
//! a source constant within each plane pixel, and within about 2 bits of the reference on
//! real HD video (`examples/fastpath.rs`). It costs about 5 taps an axis instead of 3:
//! 32.9 µs against 28.0 µs for a 180×101 rectangle of a 256×144 plane (`cargo bench --bench
//! hash -- hash/crop`, CPU time); each rectangle size's weights are computed once and cached.
//!
//! # Rectangles that share columns
//! The blur runs columns first: each plane row's 64 column points, then each output row from
//! the rows it needs. So rectangles with the same columns and orientation but other rows share
//! the first pass ([`CropHasher::hash_column_group`]), with the same sums in the same order
//! as one rectangle alone: the upload's crop grid (625 side cuts over 25 column spans) hashes
//! a probe frame that way.

use super::dct::{self, N16, N64};
use super::jarosz::{decimation_indices, window_size};
use super::pdq::{MIN_HASHABLE_DIM, PdqOutput, bits_from_dct, quality_metric};
use crate::hash::Hash256;

/// A rectangle of a frame, in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rect {
    /// First column.
    pub x: u32,
    /// First row.
    pub y: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// The weights of one decimation point along one axis: `count` pixels from `start`, their
/// weights at `offset` in [`AxisWeights::weights`].
#[derive(Clone, Copy, Debug, Default)]
struct Tap {
    start: usize,
    count: usize,
    offset: usize,
}

/// Weights of the 64 decimation points along an axis of `len` pixels.
#[derive(Clone, Debug, Default)]
struct AxisWeights {
    taps: Vec<Tap>,
    weights: Vec<f32>,
}

impl AxisWeights {
    /// PDQ's two clipped box passes of window `ceil(len / 128)` followed by decimation,
    /// as weights on the pixels of an axis of `len` pixels; `mirrored` for the axis read
    /// backwards (pixel `x` of the mirrored axis is pixel `len − 1 − x` of the frame).
    /// The weights PDQ would put on an axis of `source` pixels, folded onto the `len` pixels
    /// that area averaging shrank it to: source pixel `X` covers `[X·len/source,
    /// (X+1)·len/source)` of the plane, and its weight goes to the plane pixels it overlaps
    /// in proportion. Exact when the source is constant within each plane pixel; with
    /// `source == len` these are PDQ's own weights on the plane.
    fn scaled(len: usize, source: usize, mirrored: bool) -> AxisWeights {
        let source = source.max(len);
        let k = window_size(source, N64).max(1);
        // The window of output p covers p − left ..= p + right (see `jarosz::Phases`).
        let half = (k + 2) / 2;
        let (left, right) = (k - half, half - 1);
        let window = |p: usize| (p.saturating_sub(left), (p + right).min(source - 1));
        let ratio = len as f64 / source as f64;
        let mut taps = Vec::with_capacity(N64);
        let mut weights = Vec::new();
        let mut acc = Vec::new();
        let mut fine = vec![0f64; 2 * k + 1];
        for d in decimation_indices(source) {
            let (p0, p1) = window(d);
            let lo = window(p0).0;
            let hi = window(p1).1;
            let fine = &mut fine[..hi - lo + 1];
            fine.fill(0.0);
            let outer = (p1 - p0 + 1) as f64;
            for p in p0..=p1 {
                let (a, b) = window(p);
                let inner = (b - a + 1) as f64;
                for x in a..=b {
                    fine[x - lo] += 1.0 / (inner * outer);
                }
            }
            // Fold the source pixels lo..=hi onto the plane.
            let first = ((lo as f64 * ratio) as usize).min(len - 1);
            let last =
                ((((hi + 1) as f64 * ratio).ceil() as usize).max(first + 1) - 1).min(len - 1);
            acc.clear();
            acc.resize(last - first + 1, 0f64);
            for (i, &w) in fine.iter().enumerate() {
                let (a, b) = ((lo + i) as f64 * ratio, (lo + i + 1) as f64 * ratio);
                let mut x = (a as usize).min(len - 1);
                while x <= last && (x as f64) < b {
                    let overlap = (b.min((x + 1) as f64) - a.max(x as f64)).max(0.0);
                    acc[x - first] += w * overlap / (b - a);
                    x += 1;
                }
            }
            let (lo, hi) = (first, last);
            if mirrored {
                // The point d of the mirrored axis weighs mirrored pixel x', that is
                // frame pixel len − 1 − x'.
                taps.push(Tap {
                    start: len - 1 - hi,
                    count: acc.len(),
                    offset: weights.len(),
                });
                weights.extend(acc.iter().rev().map(|&w| w as f32));
            } else {
                taps.push(Tap {
                    start: lo,
                    count: acc.len(),
                    offset: weights.len(),
                });
                weights.extend(acc.iter().map(|&w| w as f32));
            }
        }
        AxisWeights { taps, weights }
    }

    /// The (pixel offset, weights) of decimation point `i`.
    fn tap(&self, i: usize) -> (usize, &[f32]) {
        let t = self.taps[i];
        (t.start, &self.weights[t.offset..t.offset + t.count])
    }
}

/// Hashes rectangles of gray planes as PDQ would hash the copied rectangle (see the module
/// docs). Keeps the weights of the last sizes it saw and its scratch buffers, so hashing many
/// crops allocates little.
#[derive(Default)]
pub struct CropHasher {
    cols: Vec<((usize, usize, bool), AxisWeights)>,
    rows: Vec<((usize, usize), AxisWeights)>,
    /// The horizontal pass: 64 values a plane row.
    cols_out: Vec<f32>,
    b64: Vec<f32>,
    t16x64: Vec<f32>,
}

/// The length of the source axis a plane axis of `len` pixels stands for at `scale`.
fn source_len(len: usize, scale: f32) -> usize {
    ((len as f64 * f64::from(scale)).round() as usize).max(len)
}

/// Axis weights kept per hasher before the oldest is dropped.
const CACHED_SIZES: usize = 64;

impl CropHasher {
    /// A hasher with empty caches.
    pub fn new() -> CropHasher {
        CropHasher::default()
    }

    /// The PDQ hash and quality of `rect` of the `width`-wide gray `plane`, of its mirror
    /// image (left and right swapped) when `mirrored`. The rectangle is clamped to the plane.
    pub fn hash(&mut self, plane: &[u8], width: u32, rect: Rect, mirrored: bool) -> PdqOutput {
        self.hash_scaled(plane, width, rect, mirrored, 1.0)
    }

    /// As [`CropHasher::hash`], for a plane that area averaging shrank from a source `scale`
    /// times larger along each axis (source pixels per plane pixel; 1 or less for none): the
    /// hash PDQ would give the same rectangle of the source (see the module docs).
    pub fn hash_scaled(
        &mut self,
        plane: &[u8],
        width: u32,
        rect: Rect,
        mirrored: bool,
        scale: f32,
    ) -> PdqOutput {
        let stride = width as usize;
        let height = plane.len().checked_div(stride).unwrap_or(0);
        let x0 = (rect.x as usize).min(stride);
        let y0 = (rect.y as usize).min(height);
        let w = (rect.width as usize).min(stride - x0);
        let h = (rect.height as usize).min(height - y0);
        if w < MIN_HASHABLE_DIM || h < MIN_HASHABLE_DIM {
            return PdqOutput {
                hash: Hash256::ZERO,
                quality: 0,
            };
        }
        self.columns(plane, stride, x0, w, y0..y0 + h, mirrored, scale);
        self.rows_and_hash(0, h, scale)
    }

    /// The hashes of several rectangles of one plane that share their columns (`x`,
    /// `width`) and orientation but not their rows (`ys`: each one's `y` and `height`), as
    /// [`CropHasher::hash_scaled`] gives each (the same sums in the same order, so the same
    /// bits), with the horizontal pass of the blur done once for all of them.
    ///
    /// *Performance*: a grid of side cuts has 25 column spans for 625 rectangles, so the
    /// horizontal pass is amortised over 25 rectangles and each rectangle costs its
    /// vertical pass and PDQ's DCT.
    #[allow(clippy::too_many_arguments)]
    pub fn hash_column_group(
        &mut self,
        plane: &[u8],
        width: u32,
        x: u32,
        rect_width: u32,
        ys: &[(u32, u32)],
        mirrored: bool,
        scale: f32,
    ) -> Vec<PdqOutput> {
        let stride = width as usize;
        let height = plane.len().checked_div(stride).unwrap_or(0);
        let x0 = (x as usize).min(stride);
        let w = (rect_width as usize).min(stride - x0);
        let clamp = |&(y, h): &(u32, u32)| {
            let y0 = (y as usize).min(height);
            (y0, (h as usize).min(height - y0))
        };
        let top = ys.iter().map(|r| clamp(r).0).min().unwrap_or(0);
        let bottom = ys
            .iter()
            .map(&clamp)
            .map(|(y0, h)| y0 + h)
            .max()
            .unwrap_or(0);
        if w >= MIN_HASHABLE_DIM && bottom > top {
            self.columns(plane, stride, x0, w, top..bottom, mirrored, scale);
        }
        ys.iter()
            .map(|r| {
                let (y0, h) = clamp(r);
                if w < MIN_HASHABLE_DIM || h < MIN_HASHABLE_DIM {
                    PdqOutput {
                        hash: Hash256::ZERO,
                        quality: 0,
                    }
                } else {
                    self.rows_and_hash(y0 - top, h, scale)
                }
            })
            .collect()
    }

    /// The horizontal pass: for each plane row in `rows`, the 64 column decimation points of
    /// the columns `x0..x0 + w` (read backwards when `mirrored`), into `self.cols_out`.
    #[allow(clippy::too_many_arguments)]
    fn columns(
        &mut self,
        plane: &[u8],
        stride: usize,
        x0: usize,
        w: usize,
        rows: std::ops::Range<usize>,
        mirrored: bool,
        scale: f32,
    ) {
        let ci = self.col_weights(w, source_len(w, scale), mirrored);
        let cols = &self.cols[ci].1;
        self.cols_out.clear();
        self.cols_out.reserve(rows.len() * N64);
        for y in rows {
            let line = &plane[y * stride + x0..][..w];
            self.cols_out.extend((0..N64).map(|j| {
                let (cx, cw) = cols.tap(j);
                line[cx..cx + cw.len()]
                    .iter()
                    .zip(cw)
                    .map(|(&p, &b)| f32::from(p) * b)
                    .sum::<f32>()
            }));
        }
    }

    /// The vertical pass over `h` rows of `self.cols_out` from row `first`, then PDQ's
    /// quality, DCT and median stages.
    fn rows_and_hash(&mut self, first: usize, h: usize, scale: f32) -> PdqOutput {
        let ri = self.row_weights(h, source_len(h, scale));
        let rows = &self.rows[ri].1;
        self.b64.resize(N64 * N64, 0.0);
        for i in 0..N64 {
            let (ry, rw) = rows.tap(i);
            let out = &mut self.b64[i * N64..(i + 1) * N64];
            out.fill(0.0);
            for (dy, &wy) in rw.iter().enumerate() {
                let line = &self.cols_out[(first + ry + dy) * N64..][..N64];
                for (o, &c) in out.iter_mut().zip(line) {
                    *o += wy * c;
                }
            }
        }
        let quality = quality_metric(&self.b64);
        self.t16x64.resize(N16 * N64, 0.0);
        let mut b16 = [0f32; N16 * N16];
        dct::dct64_to_16(&self.b64, &mut self.t16x64, &mut b16);
        PdqOutput {
            hash: bits_from_dct(&b16),
            quality,
        }
    }

    fn col_weights(&mut self, len: usize, source: usize, mirrored: bool) -> usize {
        if let Some(i) = self
            .cols
            .iter()
            .position(|(k, _)| *k == (len, source, mirrored))
        {
            return i;
        }
        if self.cols.len() >= CACHED_SIZES {
            self.cols.remove(0);
        }
        self.cols.push((
            (len, source, mirrored),
            AxisWeights::scaled(len, source, mirrored),
        ));
        self.cols.len() - 1
    }

    fn row_weights(&mut self, len: usize, source: usize) -> usize {
        if let Some(i) = self.rows.iter().position(|(k, _)| *k == (len, source)) {
            return i;
        }
        if self.rows.len() >= CACHED_SIZES {
            self.rows.remove(0);
        }
        self.rows
            .push(((len, source), AxisWeights::scaled(len, source, false)));
        self.rows.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Pdq;
    use crate::synth::SynthVideo;

    fn copy(plane: &[u8], width: u32, r: Rect, mirrored: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for y in r.y..r.y + r.height {
            let row = &plane[(y * width + r.x) as usize..][..r.width as usize];
            if mirrored {
                out.extend(row.iter().rev());
            } else {
                out.extend_from_slice(row);
            }
        }
        out
    }

    #[test]
    fn crops_hash_as_the_copied_pixels_do() {
        let video = SynthVideo::new(9)
            .size(256, 144)
            .fps(1)
            .duration_ms(6000)
            .video();
        let mut pdq = Pdq::new();
        let mut hasher = CropHasher::new();
        let mut worst = 0;
        let mut total = 0;
        let mut n = 0;
        for f in video.frames() {
            for r in [
                Rect {
                    x: 0,
                    y: 0,
                    width: 256,
                    height: 144,
                },
                Rect {
                    x: 38,
                    y: 22,
                    width: 180,
                    height: 101,
                },
                Rect {
                    x: 0,
                    y: 36,
                    width: 256,
                    height: 108,
                },
                Rect {
                    x: 13,
                    y: 3,
                    width: 231,
                    height: 127,
                },
                Rect {
                    x: 100,
                    y: 50,
                    width: 64,
                    height: 64,
                },
                Rect {
                    x: 1,
                    y: 2,
                    width: 40,
                    height: 30,
                },
            ] {
                for mirrored in [false, true] {
                    let want = pdq
                        .hash_gray(
                            &copy(&f.luma, f.width, r, mirrored),
                            r.width as usize,
                            r.height as usize,
                        )
                        .unwrap();
                    let got = hasher.hash(&f.luma, f.width, r, mirrored);
                    let d = want.hash.distance(&got.hash);
                    assert!(want.quality.abs_diff(got.quality) <= 1, "{r:?}");
                    worst = worst.max(d);
                    total += d;
                    n += 1;
                }
            }
        }
        assert!(worst <= 6, "worst {worst} bits");
        assert!(total <= n, "mean {} bits", total as f64 / n as f64);
    }

    #[test]
    fn the_source_kernel_hashes_a_shrunk_plane_as_the_reference_hashes_the_source() {
        // 1280×720 frames, area-averaged to 256×144 as the decoder does: hashed with their
        // scale, the plane's hashes sit within a few bits of the reference's hashes of the
        // full frames; hashed as they are, far further (measured: 1.8 vs 20.0 bits mean).
        let video = SynthVideo::new(12)
            .size(1280, 720)
            .fps(1)
            .duration_ms(8000)
            .video();
        let mut pdq = Pdq::new();
        let mut hasher = CropHasher::new();
        let (mut scaled, mut plain, mut n) = (0, 0, 0);
        for f in video.frames() {
            let want = pdq.hash_gray(&f.luma, 1280, 720).unwrap().hash;
            let small = crate::decode::downscale(f, Some(256));
            assert_eq!((small.width, small.height, small.scale), (256, 144, 5.0));
            let whole = Rect {
                x: 0,
                y: 0,
                width: 256,
                height: 144,
            };
            let got = hasher.hash_scaled(&small.luma, 256, whole, false, small.scale);
            scaled += want.distance(&got.hash);
            plain += want.distance(&hasher.hash(&small.luma, 256, whole, false).hash);
            n += 1;
        }
        let (scaled, plain) = (scaled as f64 / n as f64, plain as f64 / n as f64);
        eprintln!("source kernel {scaled:.1} bits, plane {plain:.1} bits");
        assert!(scaled <= 4.0, "source kernel: mean {scaled} bits");
        assert!(plain > scaled + 6.0, "plane: mean {plain} bits");
    }

    /// A column group gives each rectangle the bits `hash_scaled` gives it alone, rows
    /// clamped at the plane's edge and too-small rectangles included.
    #[test]
    fn a_column_group_hashes_each_rectangle_as_alone() {
        let video = SynthVideo::new(17)
            .size(256, 144)
            .fps(1)
            .duration_ms(2000)
            .video();
        let f = video.frame(1);
        let mut alone = CropHasher::new();
        let mut group = CropHasher::new();
        let ys = [(0, 144), (6, 120), (20, 100), (30, 200), (140, 10), (12, 3)];
        for (x, w) in [(0, 256), (10, 200), (41, 180), (250, 20)] {
            for mirrored in [false, true] {
                for scale in [1.0, 5.0] {
                    let got = group.hash_column_group(&f.luma, 256, x, w, &ys, mirrored, scale);
                    for (&(y, h), g) in ys.iter().zip(&got) {
                        let r = Rect {
                            x,
                            y,
                            width: w,
                            height: h,
                        };
                        let want = alone.hash_scaled(&f.luma, 256, r, mirrored, scale);
                        assert_eq!(*g, want, "{r:?} mirrored {mirrored} scale {scale}");
                    }
                }
            }
        }
    }

    #[test]
    fn scale_one_is_the_plane_itself() {
        let video = SynthVideo::new(5)
            .size(200, 120)
            .fps(1)
            .duration_ms(2000)
            .video();
        let mut hasher = CropHasher::new();
        let f = video.frame(1);
        let r = Rect {
            x: 10,
            y: 5,
            width: 150,
            height: 100,
        };
        for mirrored in [false, true] {
            assert_eq!(
                hasher.hash_scaled(&f.luma, 200, r, mirrored, 1.0),
                hasher.hash(&f.luma, 200, r, mirrored)
            );
        }
    }

    #[test]
    fn tiny_and_clamped_rectangles() {
        let plane = vec![7u8; 32 * 20];
        let mut h = CropHasher::new();
        let out = h.hash(
            &plane,
            32,
            Rect {
                x: 30,
                y: 0,
                width: 10,
                height: 10,
            },
            false,
        );
        assert_eq!(out.quality, 0, "2 columns left after clamping");
        let out = h.hash(
            &plane,
            32,
            Rect {
                x: 0,
                y: 0,
                width: 99,
                height: 99,
            },
            false,
        );
        assert_eq!(out.hash, Pdq::new().hash_gray(&plane, 32, 20).unwrap().hash);
    }
}
