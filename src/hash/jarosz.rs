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
/// `lanes` is scratch (grown to `2 · 8 · cols`).
pub(crate) fn box_rows(
    input: &[f32],
    out: &mut [f32],
    rows: usize,
    cols: usize,
    window: usize,
    lanes: &mut Vec<f32>,
) {
    let p = Phases::new(cols, window);
    if lanes.len() < 2 * ROW_BLOCK * cols {
        lanes.resize(2 * ROW_BLOCK * cols, 0.0);
    }
    let (t_in, t_out) = lanes.split_at_mut(ROW_BLOCK * cols);
    let mut r0 = 0;
    while r0 + ROW_BLOCK <= rows {
        let span = r0 * cols..(r0 + ROW_BLOCK) * cols;
        box_rows_lanes(&input[span.clone()], &mut out[span], cols, p, t_in, t_out);
        r0 += ROW_BLOCK;
    }
    while r0 < rows {
        box_rows_block::<1>(input, out, r0, cols, p);
        r0 += 1;
    }
}

/// Eight rows at once, transposed so that the eight running sums sit side by side in vector
/// lanes: each step adds, subtracts and divides eight values with a few SIMD instructions,
/// and each lane performs exactly the scalar reference's operations.
fn box_rows_lanes(
    input: &[f32],
    out: &mut [f32],
    cols: usize,
    p: Phases,
    t_in: &mut [f32],
    t_out: &mut [f32],
) {
    const L: usize = ROW_BLOCK;
    let t_in = &mut t_in[..L * cols];
    let t_out = &mut t_out[..L * cols];
    transpose_in(input, t_in, cols);
    let lane = |r: usize| -> &[f32; L] { t_in[r * L..(r + 1) * L].try_into().expect("8") };
    let mut sum = [0f32; L];
    let mut n = 0u32;
    for r in 0..p.grow_silent {
        let x = lane(r);
        for b in 0..L {
            sum[b] += x[b];
        }
        n += 1;
    }
    for g in 0..p.grow {
        let x = lane(p.grow_silent + g);
        n += 1;
        let d = n as f32;
        let o: &mut [f32; L] = (&mut t_out[g * L..(g + 1) * L]).try_into().expect("8");
        for b in 0..L {
            sum[b] += x[b];
            o[b] = sum[b] / d;
        }
    }
    let w = p.grow_silent + p.grow;
    let d = n as f32;
    let entering = t_in[w * L..].chunks_exact(L);
    let leaving = t_in.chunks_exact(L);
    let outs = t_out[p.grow * L..].chunks_exact_mut(L);
    for ((x, y), o) in entering.zip(leaving).zip(outs).take(p.slide) {
        for b in 0..L {
            sum[b] += x[b];
            sum[b] -= y[b];
            o[b] = sum[b] / d;
        }
    }
    for t in 0..p.shrink {
        let y = lane(p.slide + t);
        n -= 1;
        let d = n as f32;
        let oi = p.grow + p.slide + t;
        let o: &mut [f32; L] = (&mut t_out[oi * L..(oi + 1) * L]).try_into().expect("8");
        for b in 0..L {
            sum[b] -= y[b];
            o[b] = sum[b] / d;
        }
    }
    transpose_out(t_out, out, cols);
}

/// Columns handled per step of the transposes (4 × 8 tiles, register-sized).
const TILE: usize = 4;

/// `t[c·8 + b] = rows[b·cols + c]` for the eight rows of `rows`.
fn transpose_in(rows: &[f32], t: &mut [f32], cols: usize) {
    const L: usize = ROW_BLOCK;
    let full = cols / TILE * TILE;
    for c in (0..full).step_by(TILE) {
        let mut tile = [[0f32; TILE]; L];
        for (b, v) in tile.iter_mut().enumerate() {
            *v = rows[b * cols + c..b * cols + c + TILE]
                .try_into()
                .expect("4");
        }
        let dst: &mut [f32; TILE * L] = (&mut t[c * L..(c + TILE) * L]).try_into().expect("32");
        for k in 0..TILE {
            for b in 0..L {
                dst[k * L + b] = tile[b][k];
            }
        }
    }
    for c in full..cols {
        for b in 0..L {
            t[c * L + b] = rows[b * cols + c];
        }
    }
}

/// Inverse of [`transpose_in`]: `rows[b·cols + c] = t[c·8 + b]`.
fn transpose_out(t: &[f32], rows: &mut [f32], cols: usize) {
    const L: usize = ROW_BLOCK;
    let full = cols / TILE * TILE;
    for c in (0..full).step_by(TILE) {
        let src: &[f32; TILE * L] = t[c * L..(c + TILE) * L].try_into().expect("32");
        for b in 0..L {
            let dst: &mut [f32; TILE] = (&mut rows[b * cols + c..b * cols + c + TILE])
                .try_into()
                .expect("4");
            for k in 0..TILE {
                dst[k] = src[k * L + b];
            }
        }
    }
    for c in full..cols {
        for b in 0..L {
            rows[b * cols + c] = t[c * L + b];
        }
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

/// The source index that decimation picks for each of the 64 target cells along a
/// dimension of `len` pixels: the cell centre, `floor((i + 0.5) · len / 64)` in `f64`.
pub(crate) fn decimation_indices(len: usize) -> [usize; OUT] {
    let mut idx = [0; OUT];
    for (i, x) in idx.iter_mut().enumerate() {
        *x = (((i as f64 + 0.5) * len as f64) / OUT as f64) as usize;
    }
    idx
}

fn grow(v: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if v.len() < len {
        v.resize(len, 0.0);
    }
    &mut v[..len]
}

/// A box pass down the columns of an image that arrives one row at a time: all column sums
/// advance together (one vectorisable loop per row), and the last `window` rows are kept in
/// a ring so the leaving row can be subtracted. Emits output rows in order.
#[derive(Default)]
struct ColumnStream {
    width: usize,
    len: usize,
    window: usize,
    phases: Option<Phases>,
    ring: Vec<f32>,
    sums: Vec<f32>,
    /// Rows pushed so far (`ri` of the reference).
    pushed: usize,
    /// Rows subtracted so far (`li`).
    left: usize,
    /// Rows emitted so far (`oi`).
    emitted: usize,
    /// Current window length.
    n: u32,
}

impl ColumnStream {
    /// Starts a pass over `len` rows of `width` samples.
    fn reset(&mut self, width: usize, len: usize, window: usize) {
        self.width = width;
        self.len = len;
        self.window = window;
        self.phases = Some(Phases::new(len, window));
        grow(&mut self.ring, (window + 1) * width);
        grow(&mut self.sums, width).fill(0.0);
        (self.pushed, self.left, self.emitted, self.n) = (0, 0, 0, 0);
    }

    fn slot(&self, r: usize) -> std::ops::Range<usize> {
        let s = r % (self.window + 1);
        s * self.width..(s + 1) * self.width
    }

    /// Feeds the next row; if that completes an output row, writes it to `out` and returns
    /// its index.
    fn push(&mut self, row: &[f32], out: &mut [f32]) -> Option<usize> {
        let p = self.phases.expect("reset first");
        let w = self.width;
        let ri = self.pushed;
        self.pushed += 1;
        let slot = self.slot(ri);
        let old_slot = self.slot(self.left);
        self.ring[slot].copy_from_slice(&row[..w]);
        let sums = &mut self.sums[..w];
        if ri < p.grow_silent + p.grow {
            for (s, x) in sums.iter_mut().zip(row) {
                *s += x;
            }
            self.n += 1;
            if ri < p.grow_silent {
                return None;
            }
        } else {
            let old = &self.ring[old_slot];
            for ((s, x), y) in sums.iter_mut().zip(row).zip(old) {
                *s += x;
                *s -= y;
            }
            self.left += 1;
        }
        Some(self.emit(out))
    }

    /// After all rows are pushed: emits the next of the final (shrinking-window) rows.
    fn finish_step(&mut self, out: &mut [f32]) -> Option<usize> {
        if self.emitted >= self.len {
            return None;
        }
        let w = self.width;
        let old = self.slot(self.left);
        for (s, y) in self.sums[..w].iter_mut().zip(&self.ring[old]) {
            *s -= y;
        }
        self.left += 1;
        self.n -= 1;
        Some(self.emit(out))
    }

    fn emit(&mut self, out: &mut [f32]) -> usize {
        let d = self.n as f32;
        for (o, s) in out[..self.width].iter_mut().zip(&self.sums[..self.width]) {
            *o = *s / d;
        }
        self.emitted += 1;
        self.emitted - 1
    }
}

/// Rows that travel together through the row passes (their running sums interleave).
const BLOCK: usize = ROW_BLOCK;

/// The whole downsampling (two row passes, two column passes, decimation) as one stream over
/// the input rows, holding only a few rows at a time, so a large frame is read once and the
/// working set stays in cache. Every sample sees exactly the reference's operations.
#[derive(Default)]
pub(crate) struct Downsampler {
    input: Vec<f32>,
    rows1: Vec<f32>,
    cols1: Vec<f32>,
    rows2: Vec<f32>,
    line: Vec<f32>,
    gathered: Vec<f32>,
    out_line: Vec<f32>,
    lanes: Vec<f32>,
    pass1: ColumnStream,
    pass2: ColumnStream,
}

impl Downsampler {
    /// Downsamples a `rows × cols` luma image to `out64` (64×64). `fill(r0, n, buf)` must
    /// write the luma of rows `r0..r0 + n` into `buf` (`n × cols`, row-major).
    pub(crate) fn run(
        &mut self,
        rows: usize,
        cols: usize,
        mut fill: impl FnMut(usize, usize, &mut [f32]),
        out64: &mut [f32],
    ) {
        let wr = window_size(cols, OUT);
        let wc = window_size(rows, OUT);
        let col_idx = decimation_indices(cols);
        let row_idx = decimation_indices(rows);
        grow(&mut self.input, BLOCK * cols);
        grow(&mut self.rows1, BLOCK * cols);
        grow(&mut self.cols1, BLOCK * cols);
        grow(&mut self.rows2, BLOCK * cols);
        grow(&mut self.line, cols);
        grow(&mut self.gathered, OUT);
        grow(&mut self.out_line, OUT);
        self.pass1.reset(cols, rows, wc);
        self.pass2.reset(OUT, rows, wc);

        let mut pending = 0; // rows waiting in cols1 for the second row pass
        let mut next_out = 0; // next entry of row_idx to fill
        let mut stage2 = |me: &mut Self, k: usize, next_out: &mut usize, last: bool| {
            let (src, dst) = (&me.cols1[..k * cols], &mut me.rows2[..k * cols]);
            box_rows(src, dst, k, cols, wr, &mut me.lanes);
            let mut emit = |me: &mut Self, r: usize| {
                while *next_out < OUT && row_idx[*next_out] == r {
                    out64[*next_out * OUT..(*next_out + 1) * OUT]
                        .copy_from_slice(&me.out_line[..OUT]);
                    *next_out += 1;
                }
            };
            for b in 0..k {
                let row = &me.rows2[b * cols..(b + 1) * cols];
                for (g, &c) in me.gathered.iter_mut().zip(&col_idx) {
                    *g = row[c];
                }
                if let Some(r) = me.pass2.push(&me.gathered, &mut me.out_line) {
                    emit(me, r);
                }
            }
            if last {
                while let Some(r) = me.pass2.finish_step(&mut me.out_line) {
                    emit(me, r);
                }
            }
        };

        let mut r0 = 0;
        while r0 < rows {
            let k = BLOCK.min(rows - r0);
            fill(r0, k, &mut self.input[..k * cols]);
            let (src, dst) = (&self.input[..k * cols], &mut self.rows1[..k * cols]);
            box_rows(src, dst, k, cols, wr, &mut self.lanes);
            for b in 0..k {
                let row = &self.rows1[b * cols..(b + 1) * cols];
                if self.pass1.push(row, &mut self.line).is_some() {
                    self.cols1[pending * cols..(pending + 1) * cols]
                        .copy_from_slice(&self.line[..cols]);
                    pending += 1;
                    if pending == BLOCK {
                        stage2(self, BLOCK, &mut next_out, false);
                        pending = 0;
                    }
                }
            }
            r0 += k;
        }
        while self.pass1.finish_step(&mut self.line).is_some() {
            self.cols1[pending * cols..(pending + 1) * cols].copy_from_slice(&self.line[..cols]);
            pending += 1;
            if pending == BLOCK {
                stage2(self, BLOCK, &mut next_out, false);
                pending = 0;
            }
        }
        stage2(self, pending, &mut next_out, true);
        debug_assert_eq!(next_out, OUT);
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
    fn row_pass_is_bit_exact() {
        for &(rows, cols) in &[(5, 5), (9, 17), (64, 64), (131, 257), (301, 513)] {
            let x = noise(rows * cols, (rows * cols) as u32);
            let wr = window_size(cols, 64).max(3).min(cols);
            let mut expect = vec![0.0; rows * cols];
            for r in 0..rows {
                box_1d(&x[r * cols..], &mut expect[r * cols..], cols, 1, wr);
            }
            let mut got = vec![0.0; rows * cols];
            box_rows(&x, &mut got, rows, cols, wr, &mut Vec::new());
            assert!(
                expect
                    .iter()
                    .zip(&got)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );
        }
    }

    /// The reference pipeline, literally: box_1d along every row then every column, twice,
    /// then decimation.
    fn reference_downsample(x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
        let (wr, wc) = (window_size(cols, 64), window_size(rows, 64));
        let mut b1 = x.to_vec();
        let mut b2 = vec![0.0; rows * cols];
        for _ in 0..2 {
            for r in 0..rows {
                box_1d(&b1[r * cols..], &mut b2[r * cols..], cols, 1, wr);
            }
            for c in 0..cols {
                box_1d(&b2[c..], &mut b1[c..], rows, cols, wc);
            }
        }
        let mut out = vec![0.0; 4096];
        decimate(&b1, rows, cols, &mut out);
        out
    }

    #[test]
    fn streaming_downsample_is_bit_exact() {
        let mut ds = Downsampler::default();
        for &(rows, cols) in &[
            (5, 5),
            (9, 17),
            (64, 65),
            (131, 257),
            (301, 513),
            (720, 1280),
            (1000, 37),
            (37, 1000),
            (64, 64),
        ] {
            let x = noise(rows * cols, (rows * 7 + cols) as u32);
            let want = reference_downsample(&x, rows, cols);
            let mut got = vec![f32::NAN; 4096];
            ds.run(
                rows,
                cols,
                |r0, n, buf| buf.copy_from_slice(&x[r0 * cols..(r0 + n) * cols]),
                &mut got,
            );
            let same = want
                .iter()
                .zip(&got)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{rows}x{cols}");
        }
    }

    #[test]
    fn transposes_are_inverse() {
        for cols in [1, 3, 4, 5, 17, 64] {
            let x = noise(8 * cols, cols as u32);
            let (mut t, mut back) = (vec![0.0; 8 * cols], vec![0.0; 8 * cols]);
            transpose_in(&x, &mut t, cols);
            assert_eq!(t[8 * (cols - 1) + 7], x[7 * cols + cols - 1]);
            assert_eq!(t[1], x[cols]);
            transpose_out(&t, &mut back, cols);
            assert_eq!(back, x);
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
