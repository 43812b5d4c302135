//! PDQ's partial 2-D DCT: from the 64×64 downsample to the 16×16 block of coefficients
//! `(1..=16) × (1..=16)` (row and column 0, the DC terms, are skipped, as are all frequencies
//! above 16).
//!
//! # Matrix product, not an FFT
//! The reference computes `B = D · A · Dᵀ` with `D` the 16×64 DCT-II matrix (rows 1..=16 of
//! the orthonormal 64-point basis, entries rounded to `f32`), accumulating each dot product
//! in `f32` strictly from `k = 0` to `k = 63`. A hash bit compares a coefficient with the
//! median coefficient, so any other summation order (an FFT, pairwise sums, FMA) moves
//! coefficients by an ulp or two and occasionally flips a bit that sits on the median: only
//! the same sequential order is bit-exact. We keep that order per output and vectorise
//! *across* outputs instead (eight or sixteen independent accumulators in lock step), which
//! gives the compiler SIMD lanes without changing any single sum.
//!
//! An FFT route ([`FftDct`], `rustfft`: one 64-point complex FFT per row and per kept column
//! via Makhoul's even/odd reordering, then twiddles) is kept for the benchmark and a
//! closeness test. Measured (`cargo bench --bench hash -- hash/dct`, thread CPU time on the
//! shared 2-core build machine, 2026-11-28, two runs): matrix product 6.9 and 5.2 µs, rustfft
//! 6.7 and 5.8 µs per 64×64 block, i.e. equal within noise (before tiling the matrix product
//! took 8.9 µs against 6.3 µs). The FFT does four times the work it keeps (all 64
//! frequencies per transform, only 16 used), which cancels its O(n log n) advantage at n = 64. Speed being equal, exactness decides: with the
//! FFT coefficients, 8 of the 32 hashable golden images hash differently, by up to 128 bits
//! (relative coefficient error only 2·10⁻⁴, but gradients, stripes and flat images have many
//! coefficients tied at the median up to rounding), while every natural frame agreed. So the
//! matrix product it is.

use std::f64::consts::PI;
#[cfg(feature = "testing")]
use std::sync::Arc;
use std::sync::OnceLock;

#[cfg(feature = "testing")]
use rustfft::num_complex::Complex32;
#[cfg(feature = "testing")]
use rustfft::{Fft, FftPlanner};

/// Number of coefficients kept per dimension.
pub(crate) const N16: usize = 16;
/// Size of the downsampled image per dimension.
pub(crate) const N64: usize = 64;

/// The 16×64 DCT matrix `D` (row-major, `D[i][j]` at `i * 64 + j`) and its transpose
/// (`Dt[j][i]` at `j * 16 + i`).
pub(crate) struct DctMatrix {
    pub(crate) d: [f32; N16 * N64],
    pub(crate) dt: [f32; N64 * N16],
}

/// The DCT matrix, built once. Entry `(i, j)` is
/// `f32(sqrt(2/64)) · cos(π/2/64 · (i+1) · (2j+1))`, computed in `f64` and rounded to `f32`,
/// as the reference does.
pub(crate) fn dct_matrix() -> &'static DctMatrix {
    static MATRIX: OnceLock<DctMatrix> = OnceLock::new();
    MATRIX.get_or_init(|| {
        let scale = (2.0f64 / N64 as f64).sqrt() as f32;
        let mut d = [0f32; N16 * N64];
        let mut dt = [0f32; N64 * N16];
        for i in 0..N16 {
            for j in 0..N64 {
                let arg = (PI / 2.0 / N64 as f64) * (i + 1) as f64 * (2 * j + 1) as f64;
                let v = (scale as f64 * arg.cos()) as f32;
                d[i * N64 + j] = v;
                dt[j * N16 + i] = v;
            }
        }
        DctMatrix { d, dt }
    })
}

/// `out16x16 = D · a64x64 · Dᵀ`, with `t16x64 = D · a64x64` as scratch; bit-exact with the
/// reference (every sum runs in `f32` from `k = 0` upwards).
pub(crate) fn dct64_to_16(a: &[f32], t: &mut [f32], out: &mut [f32]) {
    let m = dct_matrix();
    let a = &a[..N64 * N64];
    let t = &mut t[..N16 * N64];
    let out = &mut out[..N16 * N16];

    // T[i][j] = sum_k D[i][k] * A[k][j], k ascending. Two rows of D by sixteen columns of A
    // at a time: 32 independent accumulators that fit the vector registers.
    const TILE: usize = 16;
    for i in (0..N16).step_by(2) {
        let (d0, d1) = (
            &m.d[i * N64..(i + 1) * N64],
            &m.d[(i + 1) * N64..(i + 2) * N64],
        );
        for jb in (0..N64).step_by(TILE) {
            let mut acc0 = [0f32; TILE];
            let mut acc1 = [0f32; TILE];
            for k in 0..N64 {
                let at: &[f32; TILE] = a[k * N64 + jb..k * N64 + jb + TILE].try_into().expect("16");
                let (x0, x1) = (d0[k], d1[k]);
                for j in 0..TILE {
                    acc0[j] += x0 * at[j];
                    acc1[j] += x1 * at[j];
                }
            }
            t[i * N64 + jb..i * N64 + jb + TILE].copy_from_slice(&acc0);
            t[(i + 1) * N64 + jb..(i + 1) * N64 + jb + TILE].copy_from_slice(&acc1);
        }
    }

    // B[i][j] = sum_k T[i][k] * D[j][k], k ascending; 16 accumulators (one row of B) in step.
    for i in 0..N16 {
        let mut acc = [0f32; N16];
        let trow = &t[i * N64..(i + 1) * N64];
        for (k, &tk) in trow.iter().enumerate() {
            let dcol: &[f32; N16] = m.dt[k * N16..(k + 1) * N16].try_into().expect("16");
            for j in 0..N16 {
                acc[j] += tk * dcol[j];
            }
        }
        out[i * N16..(i + 1) * N16].copy_from_slice(&acc);
    }
}

/// The same 16×16 coefficients through `rustfft` (Makhoul: a length-N DCT-II is one
/// length-N complex FFT of the even/odd-reordered input, times twiddles). Not bit-exact with
/// the reference; kept for the benchmark and for a closeness test.
#[cfg(feature = "testing")]
pub(crate) struct FftDct {
    fft: Arc<dyn Fft<f32>>,
    /// `exp(-iπk/128) · sqrt(2/64)` for k = 1..=16.
    twiddle: [Complex32; N16],
    buf: Vec<Complex32>,
    scratch: Vec<Complex32>,
    /// 64 rows × 16 coefficients after the row transforms.
    rows: Vec<f32>,
}

#[cfg(feature = "testing")]
impl FftDct {
    /// Plans the 64-point FFT.
    pub(crate) fn new() -> Self {
        let fft = FftPlanner::<f32>::new().plan_fft_forward(N64);
        let scratch = vec![Complex32::default(); fft.get_inplace_scratch_len()];
        let scale = (2.0f64 / N64 as f64).sqrt();
        let mut twiddle = [Complex32::default(); N16];
        for (i, w) in twiddle.iter_mut().enumerate() {
            let k = (i + 1) as f64;
            let ang = -PI * k / (2.0 * N64 as f64);
            *w = Complex32::new((scale * ang.cos()) as f32, (scale * ang.sin()) as f32);
        }
        FftDct {
            fft,
            twiddle,
            buf: vec![Complex32::default(); N64 * N64],
            scratch,
            rows: vec![0.0; N64 * N16],
        }
    }

    /// DCT-II (frequencies 1..=16) of `count` vectors of length 64 read with
    /// `get(vector, index)`, written with `put(vector, freq, value)`.
    fn transform(
        &mut self,
        count: usize,
        get: impl Fn(usize, usize) -> f32,
        mut put: impl FnMut(usize, usize, f32),
    ) {
        for v in 0..count {
            let b = &mut self.buf[v * N64..(v + 1) * N64];
            for n in 0..N64 / 2 {
                b[n] = Complex32::new(get(v, 2 * n), 0.0);
                b[N64 - 1 - n] = Complex32::new(get(v, 2 * n + 1), 0.0);
            }
        }
        self.fft
            .process_with_scratch(&mut self.buf[..count * N64], &mut self.scratch);
        for v in 0..count {
            let b = &self.buf[v * N64..(v + 1) * N64];
            for (i, w) in self.twiddle.iter().enumerate() {
                put(v, i, (b[i + 1] * w).re);
            }
        }
    }

    /// `out16x16` from `a64x64` (row-major), like [`dct64_to_16`] up to rounding.
    pub(crate) fn dct64_to_16(&mut self, a: &[f32], out: &mut [f32]) {
        let a = &a[..N64 * N64];
        // Along each row of A: rows[r][j] = DCT_j(A[r][..]).
        let mut rows = std::mem::take(&mut self.rows);
        self.transform(N64, |r, n| a[r * N64 + n], |r, j, x| rows[r * N16 + j] = x);
        // Along each of the 16 columns of that: out[i][j] = DCT_i(rows[..][j]).
        let out = &mut out[..N16 * N16];
        self.transform(
            N16,
            |j, n| rows[n * N16 + j],
            |j, i, x| out[i * N16 + j] = x,
        );
        self.rows = rows;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook definition in f64, for checking both routes.
    fn dct_f64(a: &[f32]) -> Vec<f64> {
        let c = |i: usize, j: usize| {
            (2.0f64 / 64.0).sqrt() * ((PI / 128.0) * (i + 1) as f64 * (2 * j + 1) as f64).cos()
        };
        let mut out = vec![0.0; 256];
        for u in 0..16 {
            for v in 0..16 {
                let mut s = 0.0;
                for y in 0..64 {
                    for x in 0..64 {
                        s += c(u, y) * c(v, x) * a[y * 64 + x] as f64;
                    }
                }
                out[u * 16 + v] = s;
            }
        }
        out
    }

    fn test_image() -> Vec<f32> {
        (0..4096)
            .map(|p| {
                let (y, x) = ((p / 64) as f32, (p % 64) as f32);
                128.0 + 60.0 * (x * 0.3).sin() * (y * 0.17).cos() + ((p * 7919) % 31) as f32
            })
            .collect()
    }

    #[test]
    fn matrix_entries_follow_the_definition() {
        let m = dct_matrix();
        assert_eq!(
            m.d[0],
            ((0.03125f64.sqrt() as f32) as f64 * (PI / 128.0).cos()) as f32
        );
        for i in 0..16 {
            for j in 0..64 {
                assert_eq!(m.d[i * 64 + j], m.dt[j * 16 + i]);
            }
        }
    }

    #[test]
    fn matrix_product_matches_f64_definition() {
        let a = test_image();
        let (mut t, mut b) = (vec![0.0; 1024], vec![0.0; 256]);
        dct64_to_16(&a, &mut t, &mut b);
        for (x, y) in b.iter().zip(dct_f64(&a)) {
            assert!((*x as f64 - y).abs() < 1e-2, "{x} vs {y}");
        }
    }

    #[test]
    fn matrix_product_sums_sequentially() {
        // One coefficient computed by the reference's literal loop.
        let a = test_image();
        let m = dct_matrix();
        let (mut t, mut b) = (vec![0.0; 1024], vec![0.0; 256]);
        dct64_to_16(&a, &mut t, &mut b);
        let (i, j) = (3, 11);
        let mut trow = [0f32; 64];
        for (c, tr) in trow.iter_mut().enumerate() {
            let mut s = 0f32;
            for k in 0..64 {
                s += m.d[i * 64 + k] * a[k * 64 + c];
            }
            *tr = s;
        }
        let mut s = 0f32;
        for (k, tk) in trow.iter().enumerate() {
            s += tk * m.d[j * 64 + k];
        }
        assert_eq!(s.to_bits(), b[i * 16 + j].to_bits());
    }

    #[test]
    #[cfg(feature = "testing")]
    fn fft_route_is_close() {
        let a = test_image();
        let (mut t, mut b) = (vec![0.0; 1024], vec![0.0; 256]);
        dct64_to_16(&a, &mut t, &mut b);
        let mut f = vec![0.0; 256];
        FftDct::new().dct64_to_16(&a, &mut f);
        for (x, y) in b.iter().zip(&f) {
            assert!((x - y).abs() < 1e-2, "{x} vs {y}");
        }
    }
}
