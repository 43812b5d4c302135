//! PDQ's downsampling to 64×64: two passes of a Jarosz box filter along rows then columns
//! (a tent-like blur), then decimation by picking the pixel at each target cell's centre.
//!
//! Every running sum is `f32`, starts at `0.0`, adds the entering sample, subtracts the
//! leaving one and divides by the current window length, in exactly the reference's order,
//! so the result is bit-identical. Speed comes from doing independent sums in lock step
//! (several rows at once for the row pass; whole rows of column sums for the column pass),
//! never from reordering one sum.

/// Target size of the downsample per dimension.
pub(crate) const OUT: usize = 64;

/// The reference's window length for one box pass: `ceil(old / (2·new))`, so that two
/// passes together span about `old / new` input pixels.
pub(crate) fn window_size(old: usize, new: usize) -> usize {
    old.div_ceil(2 * new)
}

/// The four phases of a running box sum over `len` samples with a window of `window`:
/// (accumulate only, grow and write, slide and write, shrink and write).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Phases {
    pub(crate) grow_silent: usize,
    pub(crate) grow: usize,
    pub(crate) slide: usize,
    pub(crate) shrink: usize,
}

impl Phases {
    /// Phases for a vector of `len` samples; `window` must be in `1..=len`.
    pub(crate) fn new(len: usize, window: usize) -> Phases {
        debug_assert!(window >= 1 && window <= len);
        // Centred window: 7 -> 4, 8 -> 5 (the write position trails the read position).
        let half = (window + 2) / 2;
        Phases {
            grow_silent: half - 1,
            grow: window - half + 1,
            slide: len - window,
            shrink: half - 1,
        }
    }
}

/// One box pass along a single vector with the given stride: the reference's definition,
/// kept as the specification that the faster passes are tested against.
#[cfg(test)]
pub(crate) fn box_1d(input: &[f32], out: &mut [f32], len: usize, stride: usize, window: usize) {
    let p = Phases::new(len, window);
    let (mut li, mut ri, mut oi) = (0, 0, 0);
    let mut sum = 0f32;
    let mut n = 0u32;
    for _ in 0..p.grow_silent {
        sum += input[ri];
        n += 1;
        ri += stride;
    }
    for _ in 0..p.grow {
        sum += input[ri];
        n += 1;
        out[oi] = sum / n as f32;
        ri += stride;
        oi += stride;
    }
    for _ in 0..p.slide {
        sum += input[ri];
        sum -= input[li];
        out[oi] = sum / n as f32;
        li += stride;
        ri += stride;
        oi += stride;
    }
    for _ in 0..p.shrink {
        sum -= input[li];
        n -= 1;
        out[oi] = sum / n as f32;
        li += stride;
        oi += stride;
    }
}

/// Rows processed together by [`box_rows`]: independent dependency chains for the CPU.
const ROW_BLOCK: usize = 8;

/// Box pass along every row of a `rows × cols` row-major image, `input` to `out`.
pub(crate) fn box_rows(input: &[f32], out: &mut [f32], rows: usize, cols: usize, window: usize) {
    let p = Phases::new(cols, window);
    let mut r0 = 0;
    while r0 + ROW_BLOCK <= rows {
        box_rows_block::<ROW_BLOCK>(input, out, r0, cols, p);
        r0 += ROW_BLOCK;
    }
    while r0 < rows {
        box_rows_block::<1>(input, out, r0, cols, p);
        r0 += 1;
    }
}

/// Rows `r0..r0+B`, their running sums interleaved so B chains are in flight at once.
#[inline(always)]
fn box_rows_block<const B: usize>(
    input: &[f32],
    out: &mut [f32],
    r0: usize,
    cols: usize,
    p: Phases,
) {
    let base = r0 * cols;
    let input = &input[base..base + B * cols];
    let out = &mut out[base..base + B * cols];
    let mut sum = [0f32; B];
    let (mut li, mut ri, mut oi) = (0, 0, 0);
    let mut n = 0u32;
    for _ in 0..p.grow_silent {
        for b in 0..B {
            sum[b] += input[b * cols + ri];
        }
        n += 1;
        ri += 1;
    }
    for _ in 0..p.grow {
        n += 1;
        let d = n as f32;
        for b in 0..B {
            sum[b] += input[b * cols + ri];
            out[b * cols + oi] = sum[b] / d;
        }
        ri += 1;
        oi += 1;
    }
    // Slide phase: store the raw sums (the dependency chains stay short), then divide the
    // whole span in one vectorisable loop per row; each value is still `sum / n` exactly.
    let slide_start = oi;
    for _ in 0..p.slide {
        for b in 0..B {
            sum[b] += input[b * cols + ri];
            sum[b] -= input[b * cols + li];
            out[b * cols + oi] = sum[b];
        }
        li += 1;
        ri += 1;
        oi += 1;
    }
    let d = n as f32;
    for b in 0..B {
        for o in &mut out[b * cols + slide_start..b * cols + oi] {
            *o /= d;
        }
    }
    for _ in 0..p.shrink {
        n -= 1;
        let d = n as f32;
        for b in 0..B {
            sum[b] -= input[b * cols + li];
            out[b * cols + oi] = sum[b] / d;
        }
        li += 1;
        oi += 1;
    }
}

/// Box pass along every column of a `rows × cols` row-major image, `input` to `out`; all
/// column sums advance one row at a time (`sums` is scratch of at least `cols`).
pub(crate) fn box_cols(
    input: &[f32],
    out: &mut [f32],
    rows: usize,
    cols: usize,
    window: usize,
    sums: &mut [f32],
) {
    let p = Phases::new(rows, window);
    let sums = &mut sums[..cols];
    sums.fill(0.0);
    let row = |r: usize| &input[r * cols..(r + 1) * cols];
    let (mut li, mut ri, mut oi) = (0, 0, 0);
    let mut n = 0u32;
    for _ in 0..p.grow_silent {
        for (s, x) in sums.iter_mut().zip(row(ri)) {
            *s += x;
        }
        n += 1;
        ri += 1;
    }
    for _ in 0..p.grow {
        n += 1;
        let d = n as f32;
        let o = &mut out[oi * cols..(oi + 1) * cols];
        for ((s, x), o) in sums.iter_mut().zip(row(ri)).zip(o) {
            *s += x;
            *o = *s / d;
        }
        ri += 1;
        oi += 1;
    }
    let d = n as f32;
    for _ in 0..p.slide {
        let o = &mut out[oi * cols..(oi + 1) * cols];
        for (((s, x), y), o) in sums.iter_mut().zip(row(ri)).zip(row(li)).zip(o) {
            *s += x;
            *s -= y;
            *o = *s / d;
        }
        li += 1;
        ri += 1;
        oi += 1;
    }
    for _ in 0..p.shrink {
        n -= 1;
        let d = n as f32;
        let o = &mut out[oi * cols..(oi + 1) * cols];
        for ((s, y), o) in sums.iter_mut().zip(row(li)).zip(o) {
            *s -= y;
            *o = *s / d;
        }
        li += 1;
        oi += 1;
    }
}

/// The source index that decimation picks for each of the 64 target cells along a
/// dimension of `len` pixels: the cell centre, `floor((i + 0.5) · len / 64)` in `f64`.
pub(crate) fn decimation_indices(len: usize) -> [usize; OUT] {
    let mut idx = [0; OUT];
    for (i, x) in idx.iter_mut().enumerate() {
        *x = (((i as f64 + 0.5) * len as f64) / OUT as f64) as usize;
    }
    idx
}

/// The last box pass along columns, evaluated only at the 64 columns that decimation keeps,
/// and decimation itself: writes the 64×64 result to `out64`. `sums` is scratch of at least
/// 64 and `gathered` of at least `rows × 64`.
pub(crate) fn box_cols_decimate(
    input: &[f32],
    rows: usize,
    cols: usize,
    window: usize,
    gathered: &mut [f32],
    sums: &mut [f32],
    out64: &mut [f32],
) {
    let col_idx = decimation_indices(cols);
    let gathered = &mut gathered[..rows * OUT];
    for (r, g) in gathered.chunks_exact_mut(OUT).enumerate() {
        let row = &input[r * cols..(r + 1) * cols];
        for (g, &c) in g.iter_mut().zip(&col_idx) {
            *g = row[c];
        }
    }
    // The filtered columns are written back over `gathered` row by row: row `oi` is only
    // written once reads have moved past it (`li` trails `oi`, `ri` leads it), so keep a
    // separate output and copy the picked rows.
    let row_idx = decimation_indices(rows);
    let p = Phases::new(rows, window);
    let sums = &mut sums[..OUT];
    sums.fill(0.0);
    let (mut li, mut ri, mut oi) = (0, 0, 0);
    let mut n = 0u32;
    let mut next = 0; // next entry of row_idx to fill
    let mut emit = |oi: usize, sums: &[f32], d: f32, out64: &mut [f32]| {
        while next < OUT && row_idx[next] == oi {
            for (o, s) in out64[next * OUT..(next + 1) * OUT].iter_mut().zip(sums) {
                *o = *s / d;
            }
            next += 1;
        }
    };
    let g = |r: usize| -> &[f32] { &gathered[r * OUT..(r + 1) * OUT] };
    for _ in 0..p.grow_silent {
        for (s, x) in sums.iter_mut().zip(g(ri)) {
            *s += x;
        }
        n += 1;
        ri += 1;
    }
    for _ in 0..p.grow {
        for (s, x) in sums.iter_mut().zip(g(ri)) {
            *s += x;
        }
        n += 1;
        emit(oi, sums, n as f32, out64);
        ri += 1;
        oi += 1;
    }
    for _ in 0..p.slide {
        for ((s, x), y) in sums.iter_mut().zip(g(ri)).zip(g(li)) {
            *s += x;
            *s -= y;
        }
        emit(oi, sums, n as f32, out64);
        li += 1;
        ri += 1;
        oi += 1;
    }
    for _ in 0..p.shrink {
        for (s, y) in sums.iter_mut().zip(g(li)) {
            *s -= y;
        }
        n -= 1;
        emit(oi, sums, n as f32, out64);
        li += 1;
        oi += 1;
    }
}

/// Plain decimation of a `rows × cols` image to 64×64 (the reference's `decimateFloat`).
#[cfg(test)]
pub(crate) fn decimate(input: &[f32], rows: usize, cols: usize, out64: &mut [f32]) {
    let ri = decimation_indices(rows);
    let ci = decimation_indices(cols);
    for (i, &r) in ri.iter().enumerate() {
        for (j, &c) in ci.iter().enumerate() {
            out64[i * OUT + j] = input[r * cols + c];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(len: usize, seed: u32) -> Vec<f32> {
        let mut x = seed.wrapping_mul(2654435761).wrapping_add(1);
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                // Non-integer values, so rounding differences would show.
                (x % 25600) as f32 / 100.0
            })
            .collect()
    }

    #[test]
    fn window_sizes() {
        assert_eq!(window_size(1024, 64), 8);
        assert_eq!(window_size(1280, 64), 10);
        assert_eq!(window_size(720, 64), 6);
        assert_eq!(window_size(64, 64), 1);
        assert_eq!(window_size(5, 64), 1);
        assert_eq!(window_size(129, 64), 2);
    }

    #[test]
    fn phases_cover_the_vector() {
        for len in 1..300 {
            let w = window_size(len, 64);
            let p = Phases::new(len, w);
            assert_eq!(p.grow + p.slide + p.shrink, len);
            assert_eq!(p.grow_silent + p.grow, w);
        }
        assert_eq!(
            Phases::new(16, 7),
            Phases {
                grow_silent: 3,
                grow: 4,
                slide: 9,
                shrink: 3
            }
        );
    }

    #[test]
    fn box_1d_matches_reference_example() {
        // The reference's worked example: window 7 over 0..16.
        let x: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let mut y = vec![0.0; 16];
        box_1d(&x, &mut y, 16, 1, 7);
        let sums = [
            6, 10, 15, 21, 28, 35, 42, 49, 56, 63, 70, 77, 84, 75, 65, 54,
        ];
        let lens = [4, 5, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 5, 4];
        for k in 0..16 {
            assert_eq!(y[k], sums[k] as f32 / lens[k] as f32);
        }
    }

    #[test]
    fn row_and_column_passes_are_bit_exact() {
        for &(rows, cols) in &[(5, 5), (9, 17), (64, 64), (131, 257), (301, 513)] {
            let x = noise(rows * cols, (rows * cols) as u32);
            let (wr, wc) = (window_size(cols, 64).max(3), window_size(rows, 64).max(2));
            let wr = wr.min(cols);
            let wc = wc.min(rows);
            let mut expect = vec![0.0; rows * cols];
            for r in 0..rows {
                box_1d(&x[r * cols..], &mut expect[r * cols..], cols, 1, wr);
            }
            let mut got = vec![0.0; rows * cols];
            box_rows(&x, &mut got, rows, cols, wr);
            assert!(
                expect
                    .iter()
                    .zip(&got)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );

            for c in 0..cols {
                box_1d(&x[c..], &mut expect[c..], rows, cols, wc);
            }
            let mut sums = vec![0.0; cols.max(64)];
            box_cols(&x, &mut got, rows, cols, wc, &mut sums);
            assert!(
                expect
                    .iter()
                    .zip(&got)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );

            let mut dec = vec![0.0; 4096];
            decimate(&expect, rows, cols, &mut dec);
            let mut fused = vec![0.0; 4096];
            let mut gathered = vec![0.0; rows * 64];
            box_cols_decimate(&x, rows, cols, wc, &mut gathered, &mut sums, &mut fused);
            assert!(
                dec.iter()
                    .zip(&fused)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );
        }
    }

    #[test]
    fn decimation_picks_cell_centres() {
        let idx = decimation_indices(128);
        assert_eq!(idx[0], 1);
        assert_eq!(idx[63], 127);
        let idx = decimation_indices(64);
        assert!(idx.iter().enumerate().all(|(i, &x)| i == x));
        let idx = decimation_indices(5);
        assert_eq!(idx[0], 0);
        assert_eq!(idx[63], 4);
    }
}
