//! Black-border (letterbox, pillarbox, both) detection over a window of frames.
//!
//! Re-uploads often add or remove bars, and bars move every PDQ bit. A row (column) is border
//! when, over all frames of the window, at most 2% of its samples are brighter than
//! [`BorderDetector::threshold`]; the bars are the runs of such rows (columns) at each edge.
//! Frames that are dark everywhere (fades, black frames) say nothing and are skipped. If the
//! bars found would leave less than [`BorderDetector::min_kept`] of a dimension, the content is
//! taken to be dark rather than barred and that axis is not cropped.

use super::Frame;

/// Pixels to remove from each side of a frame. The empty crop removes nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Crop {
    /// Columns removed at the left.
    pub left: u32,
    /// Rows removed at the top.
    pub top: u32,
    /// Columns removed at the right.
    pub right: u32,
    /// Rows removed at the bottom.
    pub bottom: u32,
}

impl Crop {
    /// Whether the crop removes nothing.
    pub fn is_none(&self) -> bool {
        *self == Crop::default()
    }

    /// Size of a `width × height` frame after the crop (at least 1×1).
    pub fn size_of(&self, width: u32, height: u32) -> (u32, u32) {
        (
            width.saturating_sub(self.left + self.right).max(1),
            height.saturating_sub(self.top + self.bottom).max(1),
        )
    }

    /// Whether the crop fits a `width × height` frame, leaving at least one pixel.
    pub fn fits(&self, width: u32, height: u32) -> bool {
        u64::from(self.left) + u64::from(self.right) < u64::from(width)
            && u64::from(self.top) + u64::from(self.bottom) < u64::from(height)
    }
}

/// Finds black bars over a window of frames. See the module docs for the rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BorderDetector {
    /// Samples at or below this luma are dark (full range). Default 32, above the noise
    /// that encoders leave in black bars.
    pub threshold: u8,
    /// Smallest fraction of each dimension the crop keeps (default 0.4); a crop leaving less
    /// is refused on that axis.
    pub min_kept: f64,
}

impl Default for BorderDetector {
    fn default() -> Self {
        BorderDetector {
            threshold: 32,
            min_kept: 0.4,
        }
    }
}

impl BorderDetector {
    /// The bars common to `frames` (all of the first frame's size; others are ignored).
    pub fn detect(&self, frames: &[Frame]) -> Crop {
        let Some(first) = frames.first() else {
            return Crop::default();
        };
        let (w, h) = (first.width as usize, first.height as usize);
        let mut row_bright = vec![0u32; h];
        let mut col_bright = vec![0u32; w];
        let mut used = 0u32;
        for f in frames {
            if (f.width as usize, f.height as usize) != (w, h) || f.luma.len() != w * h {
                continue;
            }
            if f.luma.iter().all(|&v| v <= self.threshold) {
                continue;
            }
            used += 1;
            for (y, row) in f.luma.chunks_exact(w).enumerate() {
                let mut n = 0;
                for (x, &v) in row.iter().enumerate() {
                    if v > self.threshold {
                        n += 1;
                        col_bright[x] += 1;
                    }
                }
                row_bright[y] += n;
            }
        }
        if used == 0 {
            return Crop::default();
        }
        let row_dark = |y: usize| u64::from(row_bright[y]) * 50 <= (w as u64) * u64::from(used);
        let col_dark = |x: usize| u64::from(col_bright[x]) * 50 <= (h as u64) * u64::from(used);
        let top = (0..h).take_while(|&y| row_dark(y)).count();
        let bottom = (0..h).rev().take_while(|&y| row_dark(y)).count();
        let left = (0..w).take_while(|&x| col_dark(x)).count();
        let right = (0..w).rev().take_while(|&x| col_dark(x)).count();
        let mut crop = Crop::default();
        let keeps = |removed: usize, n: usize| {
            removed < n && (n - removed) as f64 >= self.min_kept * n as f64
        };
        if keeps(top + bottom, h) {
            crop.top = top as u32;
            crop.bottom = bottom as u32;
        }
        if keeps(left + right, w) {
            crop.left = left as u32;
            crop.right = right as u32;
        }
        crop
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(w: u32, h: u32, f: impl Fn(u32, u32) -> u8) -> Frame {
        let mut luma = Vec::new();
        for y in 0..h {
            for x in 0..w {
                luma.push(f(x, y));
            }
        }
        Frame {
            pts_ms: 0,
            width: w,
            height: h,
            luma,
        }
    }

    #[test]
    fn finds_letterbox_and_pillarbox_with_noise() {
        let f = frame(40, 30, |x, y| {
            if (5..25).contains(&y) && (3..36).contains(&x) {
                100 + ((x * 7 + y * 3) % 50) as u8
            } else {
                ((x + y) % 9) as u8 // encoder noise in the bars
            }
        });
        let crop = BorderDetector::default().detect(&[f.clone(), f]);
        assert_eq!(
            crop,
            Crop {
                left: 3,
                top: 5,
                right: 4,
                bottom: 5
            }
        );
    }

    #[test]
    fn dark_frames_and_dark_content_are_not_cropped() {
        let black = frame(20, 20, |_, _| 0);
        assert!(
            BorderDetector::default()
                .detect(std::slice::from_ref(&black))
                .is_none()
        );
        // A small bright spot in a dark frame is content, not a frame inside bars.
        let spot = frame(20, 20, |x, y| if x == 10 && y == 10 { 200 } else { 5 });
        assert!(BorderDetector::default().detect(&[black, spot]).is_none());
        assert!(BorderDetector::default().detect(&[]).is_none());
    }

    #[test]
    fn bars_must_be_dark_in_every_frame_of_the_window() {
        let barred = frame(10, 10, |_, y| if y < 2 { 0 } else { 150 });
        let full = frame(10, 10, |_, _| 150);
        let crop = BorderDetector::default().detect(&[barred.clone(), full]);
        assert!(crop.is_none(), "{crop:?}");
        assert_eq!(BorderDetector::default().detect(&[barred]).top, 2);
    }
}
