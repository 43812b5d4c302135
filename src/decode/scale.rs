//! Area-average downscaling of a luma plane (what ffmpeg's `area` scaler computes), with the
//! limited-to-full range expansion ffmpeg's gray conversion applies.

/// The range of the input samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Range {
    /// 0..=255 (JPEG, "PC").
    Full,
    /// 16..=235 ("TV", MPEG); expanded to full range on output.
    Limited,
}

impl Range {
    #[inline]
    fn map(self, v: f32) -> u8 {
        let v = match self {
            Range::Full => v,
            Range::Limited => (v - 16.0) * (255.0 / 219.0),
        };
        // `as u8` saturates; +0.5 rounds to nearest.
        (v + 0.5).clamp(0.0, 255.0) as u8
    }

    /// The 256-entry table of [`Range::map`] on integer samples.
    pub fn table(self) -> [u8; 256] {
        let mut t = [0u8; 256];
        for (i, v) in t.iter_mut().enumerate() {
            *v = self.map(i as f32);
        }
        t
    }
}

/// Weights of the source samples that make up each output sample along one axis.
#[derive(Clone, Debug)]
struct Taps {
    /// First source index of output sample `j`.
    start: Vec<usize>,
    /// Offsets into `weights` of output sample `j` (len = out + 1).
    offsets: Vec<usize>,
    weights: Vec<f32>,
}

impl Taps {
    /// Output sample `j` averages the source interval `[j·in/out, (j+1)·in/out)`, each source
    /// sample weighted by its overlap with it.
    fn new(input: usize, output: usize) -> Taps {
        let scale = input as f64 / output as f64;
        let mut start = Vec::with_capacity(output);
        let mut offsets = Vec::with_capacity(output + 1);
        let mut weights = Vec::new();
        offsets.push(0);
        for j in 0..output {
            let lo = j as f64 * scale;
            let hi = ((j + 1) as f64 * scale).min(input as f64);
            let first = lo.floor() as usize;
            let last = (hi.ceil() as usize).clamp(first + 1, input);
            start.push(first);
            for k in first..last {
                let overlap = (hi.min(k as f64 + 1.0) - lo.max(k as f64)).max(0.0);
                weights.push((overlap / (hi - lo)) as f32);
            }
            offsets.push(weights.len());
        }
        Taps {
            start,
            offsets,
            weights,
        }
    }

    #[inline]
    fn of(&self, j: usize) -> (usize, &[f32]) {
        (
            self.start[j],
            &self.weights[self.offsets[j]..self.offsets[j + 1]],
        )
    }
}

/// A reusable area scaler from `in_w × in_h` to `out_w × out_h` (any direction, but meant for
/// downscaling).
#[derive(Clone, Debug)]
pub(crate) struct AreaScaler {
    in_w: usize,
    in_h: usize,
    out_w: usize,
    out_h: usize,
    horizontal: Taps,
    vertical: Taps,
    /// `in_h × out_w` after the horizontal pass.
    tmp: Vec<f32>,
    row: Vec<f32>,
}

impl AreaScaler {
    pub fn new(in_w: u32, in_h: u32, out_w: u32, out_h: u32) -> AreaScaler {
        let (in_w, in_h, out_w, out_h) =
            (in_w as usize, in_h as usize, out_w as usize, out_h as usize);
        AreaScaler {
            in_w,
            in_h,
            out_w,
            out_h,
            horizontal: Taps::new(in_w, out_w),
            vertical: Taps::new(in_h, out_h),
            tmp: vec![0.0; in_h * out_w],
            row: vec![0.0; out_w],
        }
    }

    /// Whether this scaler maps `in_w × in_h` to `out_w × out_h`.
    pub fn fits(&self, in_w: u32, in_h: u32, out_w: u32, out_h: u32) -> bool {
        (self.in_w, self.in_h, self.out_w, self.out_h)
            == (in_w as usize, in_h as usize, out_w as usize, out_h as usize)
    }

    /// Scales `src` (`in_w × in_h`) into `dst` (`out_w × out_h`), mapping the range.
    pub fn scale(&mut self, src: &[u8], dst: &mut [u8], range: Range) {
        debug_assert_eq!(src.len(), self.in_w * self.in_h);
        debug_assert_eq!(dst.len(), self.out_w * self.out_h);
        for (y, src_row) in src.chunks_exact(self.in_w).enumerate() {
            let tmp_row = &mut self.tmp[y * self.out_w..(y + 1) * self.out_w];
            for (j, t) in tmp_row.iter_mut().enumerate() {
                let (first, w) = self.horizontal.of(j);
                *t = w
                    .iter()
                    .zip(&src_row[first..first + w.len()])
                    .map(|(&w, &s)| w * f32::from(s))
                    .sum();
            }
        }
        for (i, dst_row) in dst.chunks_exact_mut(self.out_w).enumerate() {
            let (first, w) = self.vertical.of(i);
            self.row.fill(0.0);
            for (k, &wk) in w.iter().enumerate() {
                let y = first + k;
                let tmp_row = &self.tmp[y * self.out_w..(y + 1) * self.out_w];
                for (r, &t) in self.row.iter_mut().zip(tmp_row) {
                    *r += wk * t;
                }
            }
            for (d, &r) in dst_row.iter_mut().zip(&self.row) {
                *d = range.map(r);
            }
        }
    }
}

/// Bilinear resampling of `src` (`sw × sh`) to `dw × dh` (meant for upscaling; sample
/// centres aligned, edges clamped).
pub(crate) fn bilinear(src: &[u8], sw: u32, sh: u32, dw: u32, dh: u32) -> Vec<u8> {
    let axis = |n_src: u32, n_dst: u32| -> Vec<(usize, usize, f32)> {
        (0..n_dst)
            .map(|i| {
                let s = ((i as f32 + 0.5) * n_src as f32 / n_dst as f32 - 0.5)
                    .clamp(0.0, (n_src - 1) as f32);
                let i0 = s.floor() as usize;
                (i0, (i0 + 1).min(n_src as usize - 1), s - i0 as f32)
            })
            .collect()
    };
    let xs = axis(sw, dw);
    let ys = axis(sh, dh);
    let sw = sw as usize;
    let mut out = Vec::with_capacity(dw as usize * dh as usize);
    for &(y0, y1, ty) in &ys {
        let (r0, r1) = (&src[y0 * sw..(y0 + 1) * sw], &src[y1 * sw..(y1 + 1) * sw]);
        for &(x0, x1, tx) in &xs {
            let top = f32::from(r0[x0]) * (1.0 - tx) + f32::from(r0[x1]) * tx;
            let bottom = f32::from(r1[x0]) * (1.0 - tx) + f32::from(r1[x1]) * tx;
            out.push((top * (1.0 - ty) + bottom * ty + 0.5) as u8);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_averages_pairs() {
        let src = [0u8, 10, 20, 30, 40, 50, 60, 70];
        let mut s = AreaScaler::new(4, 2, 2, 1);
        let mut dst = [0u8; 2];
        s.scale(&src, &mut dst, Range::Full);
        assert_eq!(dst, [25, 45]);
    }

    #[test]
    fn fractional_overlap_is_weighted() {
        // 3 -> 2: output 0 = (a + b/2) / 1.5, output 1 = (b/2 + c) / 1.5.
        let src = [30u8, 60, 90];
        let mut s = AreaScaler::new(3, 1, 2, 1);
        let mut dst = [0u8; 2];
        s.scale(&src, &mut dst, Range::Full);
        assert_eq!(dst, [40, 80]);
    }

    #[test]
    fn flat_stays_flat_and_limited_range_expands() {
        let src = vec![16u8; 37 * 23];
        let mut s = AreaScaler::new(37, 23, 11, 7);
        let mut dst = vec![1u8; 11 * 7];
        s.scale(&src, &mut dst, Range::Limited);
        assert!(dst.iter().all(|&v| v == 0));
        let t = Range::Limited.table();
        assert_eq!((t[16], t[235], t[128], t[255]), (0, 255, 130, 255));
        assert_eq!(Range::Full.table()[77], 77);
    }

    #[test]
    fn bilinear_identity_and_interpolation() {
        let src = [0u8, 100, 200, 50];
        assert_eq!(bilinear(&src, 2, 2, 2, 2), src);
        let up = bilinear(&[0, 200], 2, 1, 4, 1);
        assert_eq!(up, [0, 50, 150, 200]);
    }
}
