//! The PDQ hasher: luminance, Jarosz downsampling to 64×64, quality, partial DCT, median bits.
//!
//! Follows Meta's reference hashing core (ThreatExchange `pdq/cpp/hashing/pdqhashing.cpp`,
//! as vendored by the `pdqhash` 0.2.8 Python package) stage by stage:
//!
//! 1. luminance as `f32`: gray samples as they are; RGB as `0.299 R + 0.587 G + 0.114 B`
//!    evaluated in `f64` left to right and rounded to `f32` (what the `pdqhash` wrapper does;
//!    the reference's C++ photo tool evaluates the same sum in `f32`, which can differ in the
//!    last bit of a sample);
//! 2. images with a side below 5 pixels hash to all zeros with quality 0;
//! 3. a 64×64 input is used as is; anything else gets two passes of a box filter along rows
//!    (window `ceil(cols/128)`) then columns (window `ceil(rows/128)`), then decimation to
//!    the 64×64 cell centres ([`super::jarosz`]);
//! 4. quality: the sum over horizontal and vertical neighbours of the 64×64 of
//!    `|trunc((u − v) · 100 / 255)|`, divided by 90, capped at 100;
//! 5. the 16×16 DCT coefficients `(1..=16)²` ([`super::dct`]);
//! 6. bit `16·i + j` is set when coefficient `(i, j)` is strictly greater than the median
//!    found by Torben's algorithm (which returns an element or the midpoint of two).
//!
//! Dihedral variants come from the same 16×16 block: a mirror about the vertical axis
//! negates the coefficients of odd horizontal frequency (the cosine basis of frequency
//! `j + 1` is odd under `x → 63 − x` exactly when `j` is even), a transpose swaps the block's
//! axes, and the other six are compositions of these two.

use crate::error::{Error, Result};
use crate::hash::Hash256;

use super::dct::{self, N16, N64};
use super::jarosz;

/// Below this many pixels on either side the reference returns an all-zero hash.
pub(crate) const MIN_HASHABLE_DIM: usize = 5;

/// A PDQ hash with its quality score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PdqOutput {
    /// The 256-bit hash.
    pub hash: Hash256,
    /// The reference's quality score, 0..=100; frames below about 50 (flat, dark, blurred)
    /// give unreliable hashes.
    pub quality: u8,
}

/// A PDQ hasher. It owns its scratch buffers: after the first frame of a given size, hashing
/// frames of that size or smaller allocates nothing.
///
/// ```
/// use staydown::hash::Pdq;
/// let (w, h) = (96, 80);
/// let gray: Vec<u8> = (0..w * h).map(|i| ((i % w) * 255 / w) as u8 ^ ((i / w) as u8 & 32)).collect();
/// let out = Pdq::new().hash_gray(&gray, w, h)?;
/// assert!(out.quality > 0);
/// # Ok::<(), staydown::Error>(())
/// ```
#[derive(Default)]
pub struct Pdq {
    /// The streaming blur-and-decimate with its row buffers.
    downsampler: jarosz::Downsampler,
    /// The 64×64 downsample.
    b64: Vec<f32>,
    /// D · A, 16×64.
    t16x64: Vec<f32>,
    /// The 16×16 coefficients.
    b16: Coeffs,
}

/// The 16×16 DCT block (a named type so that [`Pdq`] can derive `Default`).
#[derive(Clone, Copy)]
struct Coeffs([f32; N16 * N16]);

impl Default for Coeffs {
    fn default() -> Self {
        Coeffs([0.0; N16 * N16])
    }
}

/// The eight symmetries of the square, in the reference's order; see
/// [`Pdq::hash_dihedral_gray`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dihedral {
    Original,
    Rotate90,
    Rotate180,
    Rotate270,
    FlipX,
    FlipY,
    Transpose,
    Transverse,
}

impl Dihedral {
    pub(crate) const ALL: [Dihedral; 8] = [
        Dihedral::Original,
        Dihedral::Rotate90,
        Dihedral::Rotate180,
        Dihedral::Rotate270,
        Dihedral::FlipX,
        Dihedral::FlipY,
        Dihedral::Transpose,
        Dihedral::Transverse,
    ];
}

/// The 16×16 coefficients of the transformed image, from those of the original: output cell
/// `(r, c)` takes input cell `(r, c)` or, for the transposing variants, `(c, r)`, negated when
/// the parity rule of the variant says so.
pub(crate) fn dihedral_dct(a: &[f32; 256], v: Dihedral) -> [f32; 256] {
    let mut b = [0f32; 256];
    for i in 0..N16 {
        for j in 0..N16 {
            let x = a[i * N16 + j];
            let (odd_i, odd_j) = (i & 1 == 1, j & 1 == 1);
            // (transpose?, keep sign?) for input cell (i, j) — i vertical, j horizontal.
            let (xpose, keep) = match v {
                Dihedral::Original => (false, true),
                Dihedral::Rotate90 => (true, odd_j),
                Dihedral::Rotate180 => (false, !(odd_i ^ odd_j)),
                Dihedral::Rotate270 => (true, odd_i),
                Dihedral::FlipX => (false, odd_i),
                Dihedral::FlipY => (false, odd_j),
                Dihedral::Transpose => (true, true),
                Dihedral::Transverse => (true, !(odd_i ^ odd_j)),
            };
            let y = if keep { x } else { -x };
            if xpose {
                b[j * N16 + i] = y;
            } else {
                b[i * N16 + j] = y;
            }
        }
    }
    b
}

/// Torben Mogensen's median, as the reference computes it: bisection on values without
/// reordering them, returning an element or the midpoint of a bracket. Kept as the
/// specification that [`lower_median`] is tested against. `m` must be non-empty.
#[cfg(test)]
pub(crate) fn torben_median(m: &[f32]) -> f32 {
    let n = m.len();
    let half = n.div_ceil(2);
    let (mut min, mut max) = (m[0], m[0]);
    for &x in &m[1..] {
        if x < min {
            min = x;
        }
        if x > max {
            max = x;
        }
    }
    loop {
        let guess = (min + max) / 2.0;
        let (mut less, mut greater, mut equal) = (0, 0, 0);
        let (mut max_lt, mut min_gt) = (min, max);
        for &x in m {
            if x < guess {
                less += 1;
                if x > max_lt {
                    max_lt = x;
                }
            } else if x > guess {
                greater += 1;
                if x < min_gt {
                    min_gt = x;
                }
            } else {
                equal += 1;
            }
        }
        if less <= half && greater <= half {
            return if less >= half {
                max_lt
            } else if less + equal >= half {
                guess
            } else {
                min_gt
            };
        } else if less > greater {
            max = max_lt;
        } else {
            min = min_gt;
        }
    }
}

/// The lower median `sorted[(n − 1) / 2]` of finite values, by selection on a copy.
///
/// Torben's loop ends with `less ≤ ⌈n/2⌉` and `greater ≤ ⌈n/2⌉`, and what it returns is then
/// always a value equal to that order statistic (the largest element below the guess when
/// exactly `⌈n/2⌉` lie below it, else the guess itself, which equal elements match), so the
/// hash bits are the same; selection is several times faster than Torben's repeated passes.
pub(crate) fn lower_median(m: &[f32; 256]) -> f32 {
    let mut v = *m;
    *v.select_nth_unstable_by(127, f32::total_cmp).1
}

/// Bit `k = 16·i + j` set when coefficient `(i, j)` is strictly above the median.
pub(crate) fn bits_from_dct(b16: &[f32; 256]) -> Hash256 {
    let median = lower_median(b16);
    let mut h = Hash256::ZERO;
    for (k, &x) in b16.iter().enumerate() {
        if x > median {
            h.set_bit(k);
        }
    }
    h
}

/// The reference's quality score of a 64×64 downsample (0..=100).
pub(crate) fn quality_metric(b64: &[f32]) -> u8 {
    let b64 = &b64[..N64 * N64];
    // In the reference `d = (u - v) * 100 / 255` in f32, truncated toward zero to int, and
    // `|d|` summed. Here in f32 throughout, with the same result: `|trunc(x)| = trunc(|x|)`;
    // for `0 <= y < 2^22`, `(y + 2^23) - 2^23` is `y` rounded to the nearest whole number (the
    // sum's unit in the last place is 1), less one when that rounded up, which is `trunc(y)`;
    // and each step is a whole number of at most 100 (|d| <= 100 for pixels in 0..=255),
    // 8,064 of them, so every partial sum is a whole number below 2^24, exact in any order.
    // In eight lanes the compiler vectorises it on any x86-64 (`as i32` per step, or `trunc`,
    // a library call without SSE4.1, kept it scalar: 5% of a check's processor time, perf).
    let mut lanes = [0f32; 8];
    let mut steps = [0f32; N64];
    let mut add = |a: &[f32], b: &[f32]| {
        let n = a.len().min(b.len()).min(N64);
        for ((o, &u), &v) in steps[..n].iter_mut().zip(a).zip(b) {
            *o = quality_step(u, v);
        }
        steps[n..].fill(0.0);
        for chunk in steps.chunks_exact(8) {
            for (l, &x) in lanes.iter_mut().zip(chunk) {
                *l += x;
            }
        }
    };
    for (upper, lower) in b64.chunks_exact(N64).zip(b64.chunks_exact(N64).skip(1)) {
        add(upper, lower);
    }
    for row in b64.chunks_exact(N64) {
        add(&row[..N64 - 1], &row[1..]);
    }
    // Whole numbers below 2^24: the conversion is exact.
    let sum = lanes.iter().map(|&l| l as i32).sum::<i32>();
    (sum / 90).min(100) as u8
}

/// One step of [`quality_metric`]: `trunc(|(u - v) * 100 / 255|)` in f32, as a whole f32.
#[inline(always)]
fn quality_step(u: f32, v: f32) -> f32 {
    const ROUND: f32 = 8_388_608.0;
    let y = (((u - v) * 100.0) / 255.0).abs();
    let r = (y + ROUND) - ROUND;
    r - if r > y { 1.0 } else { 0.0 }
}

/// Luma of interleaved RGB8 as the `pdqhash` wrapper computes it: `f64` products summed
/// left to right, rounded to `f32`.
pub(crate) fn luma_from_rgb(rgb: &[u8], out: &mut [f32]) {
    for (o, px) in out.iter_mut().zip(rgb.chunks_exact(3)) {
        *o = (px[0] as f64 * 0.299 + px[1] as f64 * 0.587 + px[2] as f64 * 0.114) as f32;
    }
}

/// Luma of an 8-bit gray plane: the samples themselves.
pub(crate) fn luma_from_gray(gray: &[u8], out: &mut [f32]) {
    for (o, &g) in out.iter_mut().zip(gray) {
        *o = g as f32;
    }
}

/// Input pixels of a checked size.
#[derive(Clone, Copy)]
enum Pixels<'a> {
    Gray(&'a [u8]),
    Rgb(&'a [u8]),
}

impl Pixels<'_> {
    /// Luma of rows `r0..r0 + n` of an image `width` wide into `out` (`n × width`).
    fn luma_rows(self, r0: usize, n: usize, width: usize, out: &mut [f32]) {
        let out = &mut out[..n * width];
        match self {
            Pixels::Gray(g) => luma_from_gray(&g[r0 * width..(r0 + n) * width], out),
            Pixels::Rgb(c) => luma_from_rgb(&c[3 * r0 * width..3 * (r0 + n) * width], out),
        }
    }
}

/// Checks dimensions against the slice length; returns the pixel count.
pub(crate) fn check_dims(
    len: usize,
    width: usize,
    height: usize,
    channels: usize,
) -> Result<usize> {
    if width == 0 || height == 0 {
        return Err(Error::InvalidArgument(format!(
            "image dimensions {width}x{height} must be positive"
        )));
    }
    let pixels = width
        .checked_mul(height)
        .filter(|p| p.checked_mul(channels).is_some())
        .ok_or_else(|| Error::InvalidArgument(format!("image {width}x{height} is too large")))?;
    if pixels * channels != len {
        return Err(Error::InvalidArgument(format!(
            "pixel buffer has {len} bytes, a {width}x{height} image with {channels} channel(s) needs {}",
            pixels * channels
        )));
    }
    Ok(pixels)
}

fn grow(v: &mut Vec<f32>, len: usize) {
    if v.len() < len {
        v.resize(len, 0.0);
    }
}

impl Pdq {
    /// A hasher with empty scratch buffers (they grow on first use).
    pub fn new() -> Pdq {
        Pdq::default()
    }

    /// Hashes an 8-bit gray plane, row-major, `width * height` bytes. Identical to the
    /// reference on an RGB image with R = G = B = gray.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if a dimension is 0 or `gray.len() != width * height`.
    pub fn hash_gray(&mut self, gray: &[u8], width: usize, height: usize) -> Result<PdqOutput> {
        check_dims(gray.len(), width, height, 1)?;
        Ok(self.hash_pixels(Pixels::Gray(gray), width, height))
    }

    /// Hashes interleaved RGB8 (`width * height * 3` bytes), converting to luminance as the
    /// reference wrapper does.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if a dimension is 0 or `rgb.len() != width * height * 3`.
    pub fn hash_rgb(&mut self, rgb: &[u8], width: usize, height: usize) -> Result<PdqOutput> {
        check_dims(rgb.len(), width, height, 3)?;
        Ok(self.hash_pixels(Pixels::Rgb(rgb), width, height))
    }

    /// Like [`Pdq::hash_gray`], plus the hash of the horizontally mirrored frame (left and
    /// right swapped), derived from the same DCT coefficients without hashing again. The
    /// mirror hash equals the reference's `FlipY` dihedral hash.
    ///
    /// # Errors
    /// As [`Pdq::hash_gray`].
    pub fn hash_gray_with_mirror(
        &mut self,
        gray: &[u8],
        width: usize,
        height: usize,
    ) -> Result<(PdqOutput, Hash256)> {
        let out = self.hash_gray(gray, width, height)?;
        if width < MIN_HASHABLE_DIM || height < MIN_HASHABLE_DIM {
            return Ok((out, Hash256::ZERO));
        }
        let mirror = bits_from_dct(&dihedral_dct(&self.b16.0, Dihedral::FlipY));
        Ok((out, mirror))
    }

    /// The hashes of the eight dihedral variants of a gray plane, all from one DCT, in the
    /// reference's order:
    ///
    /// | index | variant | pixels of the variant |
    /// |---|---|---|
    /// | 0 | original | as given |
    /// | 1 | rot90 | rotated 90° counter-clockwise |
    /// | 2 | rot180 | rotated 180° |
    /// | 3 | rot270 | rotated 270° counter-clockwise (90° clockwise) |
    /// | 4 | flipX | mirrored top to bottom (about the horizontal axis) |
    /// | 5 | flipY | mirrored left to right (about the vertical axis) |
    /// | 6 | transpose | mirrored about the main diagonal |
    /// | 7 | transverse | mirrored about the anti-diagonal |
    ///
    /// All eight share the original's quality and equal the reference's
    /// `pdqDihedralHash256esFromFloatLuma` bit for bit. Hashing the actually transformed
    /// pixels gives the same bits only where the reference's downsampling is mirror-symmetric
    /// (64×64 input, odd windows with symmetric decimation points); otherwise its even box
    /// windows and `floor((i + 0.5)·n/64)` decimation shift the sampling grid by about a pixel,
    /// which moved up to 36 bits on hard-edged synthetic shapes and up to 28 on video frames
    /// in `tests/hash_dihedral.rs` (transpose is always exact).
    ///
    /// # Errors
    /// As [`Pdq::hash_gray`].
    pub fn hash_dihedral_gray(
        &mut self,
        gray: &[u8],
        width: usize,
        height: usize,
    ) -> Result<[PdqOutput; 8]> {
        let out = self.hash_gray(gray, width, height)?;
        let mut all = [out; 8];
        if width < MIN_HASHABLE_DIM || height < MIN_HASHABLE_DIM {
            return Ok(all);
        }
        for (o, v) in all.iter_mut().zip(Dihedral::ALL).skip(1) {
            o.hash = bits_from_dct(&dihedral_dct(&self.b16.0, v));
        }
        Ok(all)
    }

    /// Hashes pixels whose dimensions were checked.
    fn hash_pixels(&mut self, px: Pixels<'_>, width: usize, height: usize) -> PdqOutput {
        if width < MIN_HASHABLE_DIM || height < MIN_HASHABLE_DIM {
            self.b16 = Coeffs::default();
            return PdqOutput {
                hash: Hash256::ZERO,
                quality: 0,
            };
        }
        grow(&mut self.b64, N64 * N64);
        if width == N64 && height == N64 {
            // The reference skips the filter when the input is already 64×64.
            px.luma_rows(0, N64, width, &mut self.b64);
        } else {
            let fill = |r0, n, buf: &mut [f32]| px.luma_rows(r0, n, width, buf);
            self.downsampler.run(height, width, fill, &mut self.b64);
        }
        let quality = quality_metric(&self.b64);
        grow(&mut self.t16x64, N16 * N64);
        dct::dct64_to_16(&self.b64, &mut self.t16x64, &mut self.b16.0);
        PdqOutput {
            hash: bits_from_dct(&self.b16.0),
            quality,
        }
    }

    /// The 64×64 downsample of the last hashed image (row-major), for tests and tools.
    #[cfg(test)]
    pub(crate) fn downsample64(&self) -> &[f32] {
        &self.b64[..N64 * N64]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectorisable step is the reference's `(int)((u - v) * 100 / 255)`, made absolute,
    /// on a fine grid of blurred values (every quarter level and the thirds around each whole
    /// one, both orders) and wherever `(u - v) * 100 / 255` lands on a whole number.
    #[test]
    fn the_quality_step_truncates_as_the_reference() {
        let reference = |u: f32, v: f32| ((((u - v) * 100.0) / 255.0) as i32).abs();
        let mut values: Vec<f32> = (0..=1020).map(|i| i as f32 / 4.0).collect();
        values.extend((0..=255).flat_map(|i| [i as f32 - 1.0 / 3.0, i as f32 + 1.0 / 3.0]));
        values.extend((0..=100).map(|n| n as f32 * 2.55));
        let mut checked = 0;
        for &u in &values {
            for &v in values.iter().step_by(7).chain([0.0, 255.0].iter()) {
                assert_eq!(quality_step(u, v) as i32, reference(u, v), "{u} {v}");
                assert_eq!(quality_step(v, u) as i32, reference(v, u), "{v} {u}");
                checked += 1;
            }
        }
        assert!(checked > 100_000);
    }

    #[test]
    fn torben_matches_reference_examples() {
        assert_eq!(torben_median(&[10.0, 20.0]), 10.0);
        assert_eq!(torben_median(&[10.0, 20.0, 30.0]), 20.0);
        assert_eq!(torben_median(&[10.0, 20.0, 30.0, 40.0]), 20.0);
        assert_eq!(torben_median(&[1.0, 5.0, 2.0, 4.0, 3.0, 1.0]), 2.0);
        assert_eq!(torben_median(&[7.0]), 7.0);
        assert_eq!(torben_median(&[3.0, 3.0, 3.0, 3.0]), 3.0);
    }

    #[test]
    fn torben_is_the_lower_median() {
        let mut x = 12345u32;
        for n in [1usize, 2, 3, 16, 255, 256] {
            let v: Vec<f32> = (0..n)
                .map(|_| {
                    x = x.wrapping_mul(1103515245).wrapping_add(12345);
                    ((x >> 8) % 1000) as f32 - 500.0
                })
                .collect();
            let mut s = v.clone();
            s.sort_by(f32::total_cmp);
            assert_eq!(torben_median(&v), s[(n - 1) / 2], "n={n}");
        }
    }

    #[test]
    fn lower_median_equals_torben() {
        let mut x = 987654321u64;
        for round in 0..400 {
            let v: [f32; 256] = std::array::from_fn(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Some rounds draw from few values, so ties at the median are common.
                let levels = if round % 2 == 0 { 1 << 20 } else { 7 };
                ((x >> 20) % levels) as f32 * 0.37 - 100.0
            });
            assert_eq!(lower_median(&v), torben_median(&v), "round {round}");
        }
        assert_eq!(lower_median(&[0.5; 256]), 0.5);
    }

    #[test]
    fn bits_are_strictly_above_median() {
        let mut b = [0f32; 256];
        for (k, x) in b.iter_mut().enumerate() {
            *x = k as f32;
        }
        let h = bits_from_dct(&b);
        // Median is 127 (lower median), so bits 128..256 are set.
        assert_eq!(h.count_ones(), 128);
        assert!(!h.bit(127) && h.bit(128) && h.bit(255) && !h.bit(0));
        assert_eq!(
            h.to_string(),
            "ffffffffffffffffffffffffffffffff00000000000000000000000000000000"
        );
        assert_eq!(bits_from_dct(&[1.0; 256]), Hash256::ZERO);
    }

    #[test]
    fn quality_of_flat_and_striped() {
        assert_eq!(quality_metric(&[77.0; 4096]), 0);
        let stripes: Vec<f32> = (0..4096)
            .map(|p| if (p % 64) % 2 == 0 { 0.0 } else { 255.0 })
            .collect();
        assert_eq!(quality_metric(&stripes), 100);
        // One vertical edge of 51 levels: 64 steps of trunc(20.0) = 20 -> 1280 / 90 = 14.
        let edge: Vec<f32> = (0..4096)
            .map(|p| if p % 64 < 32 { 100.0 } else { 151.0 })
            .collect();
        assert_eq!(quality_metric(&edge), 14);
    }

    #[test]
    fn luma_rounding_follows_wrapper() {
        let mut out = [0f32; 3];
        luma_from_rgb(&[255, 255, 255, 10, 20, 30, 0, 0, 1], &mut out);
        assert_eq!(out[0], 255.0);
        assert_eq!(
            out[1],
            (10.0 * 0.299 + 20.0 * 0.587 + 30.0 * 0.114f64) as f32
        );
        assert_eq!(out[2], 0.114);
        // Gray through RGB is exactly the gray value.
        for g in 0..=255u8 {
            luma_from_rgb(&[g, g, g], &mut out);
            assert_eq!(out[0], g as f32);
        }
    }

    #[test]
    fn bad_dimensions_are_errors() {
        let mut p = Pdq::new();
        assert!(matches!(
            p.hash_gray(&[], 0, 0),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            p.hash_gray(&[0; 10], 5, 3),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            p.hash_rgb(&[0; 25], 5, 5),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            p.hash_gray(&[0; 4], usize::MAX, 2),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            p.hash_dihedral_gray(&[0; 4], 4, 0),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn tiny_images_hash_to_zero() {
        let mut p = Pdq::new();
        let out = p.hash_gray(&[200; 4 * 9], 4, 9).unwrap();
        assert_eq!(
            out,
            PdqOutput {
                hash: Hash256::ZERO,
                quality: 0
            }
        );
        let (_, m) = p.hash_gray_with_mirror(&[9; 3], 1, 3).unwrap();
        assert_eq!(m, Hash256::ZERO);
    }

    #[test]
    fn dihedral_of_original_is_identity_and_group_laws_hold() {
        let a: [f32; 256] = std::array::from_fn(|k| (k as f32 * 0.37).sin());
        assert_eq!(dihedral_dct(&a, Dihedral::Original), a);
        let r90 = dihedral_dct(&a, Dihedral::Rotate90);
        let r180 = dihedral_dct(&r90, Dihedral::Rotate90);
        assert_eq!(r180, dihedral_dct(&a, Dihedral::Rotate180));
        let r270 = dihedral_dct(&r180, Dihedral::Rotate90);
        assert_eq!(r270, dihedral_dct(&a, Dihedral::Rotate270));
        assert_eq!(dihedral_dct(&r270, Dihedral::Rotate90), a);
        for v in Dihedral::ALL[4..].iter() {
            let twice = dihedral_dct(&dihedral_dct(&a, *v), *v);
            assert_eq!(twice, a, "{v:?} is an involution");
        }
    }

    #[test]
    fn sixty_four_square_skips_the_filter() {
        let gray: Vec<u8> = (0..4096).map(|p| (p * 37 % 251) as u8).collect();
        let mut p = Pdq::new();
        p.hash_gray(&gray, 64, 64).unwrap();
        assert!(
            p.downsample64()
                .iter()
                .zip(&gray)
                .all(|(a, &b)| *a == b as f32)
        );
    }

    #[test]
    fn hashing_reuses_scratch() {
        let gray: Vec<u8> = (0..200 * 150).map(|p| (p * 31 % 253) as u8).collect();
        let mut p = Pdq::new();
        let a = p.hash_gray(&gray, 200, 150).unwrap();
        let ptr = p.b64.as_ptr();
        let b = p.hash_gray(&gray, 200, 150).unwrap();
        let c = p.hash_gray(&gray[..100 * 150], 100, 150).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.hash, c.hash);
        assert_eq!(ptr, p.b64.as_ptr());
    }
}
