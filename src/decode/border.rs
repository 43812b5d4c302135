//! Border (letterbox, pillarbox, both) detection per frame, tracked over a stream of frames.
//!
//! Re-uploads often add or remove bars, and bars move every PDQ bit. Pirates add them where
//! they like: a 4:3 work pillarboxed inside a 16:9 compilation after 15 s of other footage, a
//! caption written into the letterbox bar. So bars are found in **each frame**, and a
//! [`BorderTracker`] follows the picture area as it changes.
//!
//! # One frame ([`BorderDetector::frame_bars`])
//! A line (row or column) at an edge starts a bar when it is *clean*: at least
//! [`BorderDetector::clean_share`] of its samples lie within [`BorderDetector::tolerance`] of
//! the line's median (measured on a letterboxed copy encoded with libx264 crf 23 and
//! downscaled to 256 px: bar rows vary by at most 2 levels, picture rows have 13–30% of their
//! samples within 4 levels of their median). The bar then runs inward over the lines that are
//! clean in the same colour, and over lines that carry *marks* in it (text, a logo): the
//! runs of the bar's colour at the two ends of the line make at least
//! [`BorderDetector::flat_outside`] of it (the bar is flat outside its marks; dark picture
//! texture is scattered along the whole line). The bar ends after its last clean line, so a
//! caption inside the bar is removed with the bar, while text that touches the picture
//! stops the bar there; in that case, when the opposite bar is larger and this side's marked
//! lines reach as far, this side is cut as deep as the opposite one (a symmetric letterbox
//! with a caption in one bar).
//!
//! Texture is refused: the dark opening of a film (samples spread over 0–30, a column's
//! median 5–9 with 60–85% of its samples within 4–6 levels of it) is not clean, so it is
//! not a bar, where a threshold on darkness cropped 35 of 256 columns of real picture.
//! Bars of a flat colour other than black (brighter than [`BorderDetector::black_level`])
//! count only in pairs: the opposite side must have a bar of the same colour. A flat sky at
//! the top of a picture is not cropped; grey or white bars added on both sides are.
//! A frame flat everywhere (black, a fade) says nothing. If the bars would leave less than
//! [`BorderDetector::min_kept`] of a dimension, that axis is not cropped.
//!
//! # A stream ([`BorderTracker`])
//! Frames are grouped into runs: consecutive frames of one size, within one window of
//! [`BorderDetector::window_ms`] of video time (windows start at multiples of it, so banking
//! every frame and checking at 1 fps cut the video at the same places), whose bars agree
//! within [`BorderDetector::jitter_px`] on every side. Each run is cropped by the bars common
//! to its frames (the least on each side), so a border that appears, disappears or changes
//! between shots is followed from the first frame that shows it. Memory: one run (at most
//! [`MAX_RUN_FRAMES`] frames).
//!
//! # Cost
//! Per frame, each side reads its bar lines and the first line past them: for a 256×144
//! plane without bars, four lines; with 17-line letterbox bars, about 40 rows.

use std::collections::VecDeque;

use super::{Frame, resample_bilinear};

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

    /// The least of two crops on each side (what both remove).
    pub fn common(&self, other: &Crop) -> Crop {
        Crop {
            left: self.left.min(other.left),
            top: self.top.min(other.top),
            right: self.right.min(other.right),
            bottom: self.bottom.min(other.bottom),
        }
    }

    /// Whether two crops differ by at most `px` on every side.
    fn within(&self, other: &Crop, px: u32) -> bool {
        self.left.abs_diff(other.left) <= px
            && self.top.abs_diff(other.top) <= px
            && self.right.abs_diff(other.right) <= px
            && self.bottom.abs_diff(other.bottom) <= px
    }
}

/// Finds the bars of a frame, and how long a run of frames shares one crop. See the module
/// docs for the rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BorderDetector {
    /// A sample belongs to a bar's colour when it is within this many levels of it
    /// (inclusive; default 5).
    pub tolerance: u8,
    /// Share of a clean line's samples within `tolerance` of its colour (default 0.97).
    pub clean_share: f64,
    /// A line carrying marks (text, a logo) belongs to a bar when the runs of the bar's
    /// colour at its two ends make at least this share of it (default 0.5): flat outside
    /// its marks.
    pub flat_outside: f64,
    /// Bars brighter than this (their colour's luma, full range; default 32) must come in
    /// pairs of one colour on opposite sides.
    pub black_level: u8,
    /// Smallest fraction of each dimension the crop keeps (default 0.4); a crop leaving less
    /// is refused on that axis.
    pub min_kept: f64,
    /// Windows of video time, in milliseconds, that a run of frames sharing one crop never
    /// crosses (default 1000). In seconds, not frames, so that every sampling rate cuts the
    /// same runs.
    pub window_ms: u64,
    /// Frames whose bars differ by at most this many pixels on every side share a run
    /// (default 2).
    pub jitter_px: u32,
}

impl Default for BorderDetector {
    fn default() -> Self {
        BorderDetector {
            tolerance: 5,
            clean_share: 0.97,
            flat_outside: 0.5,
            black_level: 32,
            min_kept: 0.4,
            window_ms: 1000,
            jitter_px: 2,
        }
    }
}

/// Most frames a [`BorderTracker`] holds before it crops them (a run is also cut at
/// every window of [`BorderDetector::window_ms`]).
pub const MAX_RUN_FRAMES: usize = 64;

/// What one side's scan found.
#[derive(Clone, Copy, Debug, Default)]
struct Side {
    /// Lines of bar (after the last clean one).
    bar: usize,
    /// The first line that is neither clean nor marked in the bar's colour.
    reach: usize,
    /// The bar's colour (meaningful when `bar > 0`).
    colour: u8,
}

/// How a line reads against a bar colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Line {
    Clean,
    Marked,
    Picture,
}

impl BorderDetector {
    /// The bars common to `frames`: the least bar on each side over the frames of the first
    /// frame's size that say anything (others and flat frames are ignored).
    pub fn detect(&self, frames: &[Frame]) -> Crop {
        let Some(first) = frames.first() else {
            return Crop::default();
        };
        frames
            .iter()
            .filter(|f| (f.width, f.height) == (first.width, first.height))
            .filter_map(|f| self.frame_bars(f))
            .reduce(|a, b| a.common(&b))
            .unwrap_or_default()
    }

    /// The bars of one frame, or `None` when the frame says nothing (flat everywhere, or a
    /// plane that does not match its size).
    pub fn frame_bars(&self, f: &Frame) -> Option<Crop> {
        let (w, h) = (f.width as usize, f.height as usize);
        if w == 0 || h == 0 || f.luma.len() != w * h {
            return None;
        }
        let (lo, hi) = f
            .luma
            .iter()
            .fold((255u8, 0u8), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        if hi - lo <= self.tolerance.saturating_mul(2) {
            return None;
        }
        let row = |y: usize| f.luma[y * w..(y + 1) * w].iter().copied();
        let col = |x: usize| f.luma[x..].iter().step_by(w).copied();
        let top = self.side(h, row);
        let bottom = self.side(h, |i| row(h - 1 - i));
        let left = self.side(w, col);
        let right = self.side(w, |i| col(w - 1 - i));
        let (top, bottom) = self.pair(top, bottom, h);
        let (left, right) = self.pair(left, right, w);
        Some(Crop {
            left: left as u32,
            top: top as u32,
            right: right as u32,
            bottom: bottom as u32,
        })
    }

    /// Scans the lines from one edge inward (`line(i)` is the `i`-th from the edge).
    fn side<I: Iterator<Item = u8>>(&self, n: usize, line: impl Fn(usize) -> I) -> Side {
        let Some(colour) = median(line(0)) else {
            return Side::default();
        };
        let mut side = Side {
            colour,
            ..Side::default()
        };
        // A bar never passes the middle: the crop must keep `min_kept` anyway.
        let limit = n - n / 2;
        for i in 0..limit {
            match self.classify(line(i), colour) {
                Line::Clean => side.bar = i + 1,
                Line::Marked if side.bar > 0 => {}
                _ => {
                    side.reach = i;
                    return side;
                }
            }
        }
        side.reach = limit;
        side
    }

    fn classify(&self, samples: impl Iterator<Item = u8>, colour: u8) -> Line {
        let (mut n, mut same) = (0usize, 0usize);
        let (mut first_other, mut last_other) = (None, 0usize);
        for (i, v) in samples.enumerate() {
            n += 1;
            if v.abs_diff(colour) <= self.tolerance {
                same += 1;
            } else {
                first_other.get_or_insert(i);
                last_other = i;
            }
        }
        let n = n.max(1);
        if same as f64 >= self.clean_share * n as f64 {
            return Line::Clean;
        }
        // Flat outside its marks: the runs of the bar's colour at both ends of the line
        // make at least `flat_outside` of it.
        let outside = first_other.map_or(n, |f| f + (n - 1 - last_other));
        if outside as f64 >= self.flat_outside * n as f64 {
            Line::Marked
        } else {
            Line::Picture
        }
    }

    /// The bars kept on two opposite sides of a dimension of `n` lines.
    fn pair(&self, a: Side, b: Side, n: usize) -> (usize, usize) {
        let same_colour = a.bar > 0 && b.bar > 0 && a.colour.abs_diff(b.colour) <= self.tolerance;
        let keep = |s: &Side| {
            if s.bar > 0 && (s.colour <= self.black_level || same_colour) {
                s.bar
            } else {
                0
            }
        };
        let (mut x, mut y) = (keep(&a), keep(&b));
        // A caption touching the picture stops one bar short: cut as deep as the other
        // side when the marked lines reach that far.
        if x > 0 && y > 0 {
            if x < y && a.reach >= y {
                x = y;
            } else if y < x && b.reach >= x {
                y = x;
            }
        }
        let kept_ok = (n - (x + y).min(n)) as f64 >= self.min_kept * n as f64;
        if x + y < n && kept_ok { (x, y) } else { (0, 0) }
    }
}

/// The median of the samples (`None` for none), from a histogram.
fn median(samples: impl Iterator<Item = u8>) -> Option<u8> {
    let mut hist = [0u32; 256];
    let mut n = 0u32;
    for v in samples {
        hist[v as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return None;
    }
    let mut seen = 0;
    for (v, &c) in hist.iter().enumerate() {
        seen += c;
        if seen * 2 >= n {
            return Some(v as u8);
        }
    }
    None
}

/// Crops borders off a stream of frames as they come: frames in, border-cropped frames out,
/// in the same order, each crop decided over its run (see the module docs).
///
/// When the frames were downscaled from a wider source ([`BorderTracker::source_width`]),
/// a cropped plane is resampled (bilinear) to the size the decoder would have given the
/// content without bars, so a barred copy is hashed at the scale of its original: PDQ hashes
/// of one picture at two sizes differ by 15–20 bits on the 256-pixel path (Big Buck Bunny
/// fixture, 256 vs 197 px wide).
///
/// ```
/// use staydown::decode::{BorderDetector, BorderTracker, Frame};
///
/// // 40×30 frames with black bars 5 rows high at the top and bottom.
/// let frame = |pts_ms: u64| Frame {
///     pts_ms,
///     width: 40,
///     height: 30,
///     luma: (0..40 * 30u32)
///         .map(|i| if (5..25).contains(&(i / 40)) { (60 + i * 7 % 120) as u8 } else { 0 })
///         .collect(),
///     scale: 1.0,
/// };
/// let mut tracker = BorderTracker::new(BorderDetector::default());
/// let mut out: Vec<Frame> = Vec::new();
/// for t in [0, 500, 1000] {
///     out.extend(tracker.push(frame(t)));
/// }
/// out.extend(tracker.finish());
/// assert_eq!(out.len(), 3);
/// assert!(out.iter().all(|f| (f.width, f.height) == (40, 20)));
/// ```
///
/// *Performance*: [`BorderDetector::frame_bars`] per frame (a few lines read), one copy per
/// cropped frame; holds at most one run ([`MAX_RUN_FRAMES`] frames, one window of video
/// time).
#[derive(Debug)]
pub struct BorderTracker {
    detector: BorderDetector,
    source_width: Option<u32>,
    /// The current run: frames with their own bars.
    run: Vec<(Frame, Option<Crop>)>,
    /// The bars common to the run's frames that said anything.
    common: Option<Crop>,
    ready: VecDeque<Frame>,
}

impl BorderTracker {
    /// A tracker with the given rule.
    pub fn new(detector: BorderDetector) -> Self {
        BorderTracker {
            detector,
            source_width: None,
            run: Vec::new(),
            common: None,
            ready: VecDeque::new(),
        }
    }

    /// Resample cropped planes to the size the decoder would have given the content when
    /// the source was `width` pixels wide before downscaling (`None`: never resample).
    pub fn source_width(mut self, width: Option<u32>) -> Self {
        self.source_width = width.filter(|&w| w > 0);
        self
    }

    /// Takes the next frame (in presentation order); returns the frames whose crop is now
    /// decided, cropped.
    pub fn push(&mut self, frame: Frame) -> impl Iterator<Item = Frame> + '_ {
        self.accept(frame);
        self.ready.drain(..)
    }

    /// Ends the stream: the frames still held, cropped.
    pub fn finish(&mut self) -> impl Iterator<Item = Frame> + '_ {
        self.close_run();
        self.ready.drain(..)
    }

    /// The adapter over an iterator of frames: yields them border-cropped, in order.
    pub fn crop_all<I: Iterator<Item = Frame>>(self, frames: I) -> CroppedFrames<I> {
        CroppedFrames {
            tracker: self,
            frames,
            done: false,
        }
    }

    fn accept(&mut self, frame: Frame) {
        let bars = self.detector.frame_bars(&frame);
        if let Some((last, _)) = self.run.last() {
            let window = self.detector.window_ms.max(1);
            let breaks = (last.width, last.height) != (frame.width, frame.height)
                || last.pts_ms / window != frame.pts_ms / window
                || self.run.len() >= MAX_RUN_FRAMES
                || matches!((bars, self.common), (Some(b), Some(c))
                    if !b.within(&c, self.detector.jitter_px));
            if breaks {
                self.close_run();
            }
        }
        if let Some(b) = bars {
            self.common = Some(self.common.map_or(b, |c| c.common(&b)));
        }
        self.run.push((frame, bars));
    }

    fn close_run(&mut self) {
        let crop = self.common.take().unwrap_or_default();
        for (frame, _) in self.run.drain(..) {
            let out = crop_rescaled(frame, &crop, self.source_width);
            self.ready.push_back(out);
        }
    }
}

/// Frames of an iterator, border-cropped by a [`BorderTracker`] ([`BorderTracker::crop_all`]).
#[derive(Debug)]
pub struct CroppedFrames<I> {
    tracker: BorderTracker,
    frames: I,
    done: bool,
}

impl<I: Iterator<Item = Frame>> Iterator for CroppedFrames<I> {
    type Item = Frame;

    fn next(&mut self) -> Option<Frame> {
        loop {
            if let Some(f) = self.tracker.ready.pop_front() {
                return Some(f);
            }
            if self.done {
                return None;
            }
            match self.frames.next() {
                Some(f) => self.tracker.accept(f),
                None => {
                    self.tracker.close_run();
                    self.done = true;
                }
            }
        }
    }
}

/// `frame` cropped by `crop` (unchanged when the crop is empty or does not fit) and, when
/// the source was `source_width` wide before downscaling, resampled to the width the
/// decoder would have given the content alone.
fn crop_rescaled(frame: Frame, crop: &Crop, source_width: Option<u32>) -> Frame {
    if crop.is_none() || !crop.fits(frame.width, frame.height) {
        return frame;
    }
    let cropped = frame.cropped(crop);
    match source_width {
        Some(sw) if sw > frame.width => {
            let content_w = u64::from(cropped.width) * u64::from(sw) / u64::from(frame.width);
            let w = (content_w as u32).min(frame.width).max(cropped.width);
            let h =
                (u64::from(cropped.height) * u64::from(w) / u64::from(cropped.width)).max(1) as u32;
            if w == cropped.width {
                cropped
            } else {
                resample_bilinear(&cropped, w, h)
            }
        }
        _ => cropped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(w: u32, h: u32, f: impl Fn(u32, u32) -> u8) -> Frame {
        frame_at(0, w, h, f)
    }

    fn frame_at(pts_ms: u64, w: u32, h: u32, f: impl Fn(u32, u32) -> u8) -> Frame {
        let mut luma = Vec::new();
        for y in 0..h {
            for x in 0..w {
                luma.push(f(x, y));
            }
        }
        Frame {
            pts_ms,
            width: w,
            height: h,
            luma,
            scale: 1.0,
        }
    }

    /// Textured picture: a pseudo-random pattern in 40..200 that changes with `seed`.
    fn picture(x: u32, y: u32, seed: u32) -> u8 {
        let v = (x.wrapping_mul(7919) ^ y.wrapping_mul(104_729) ^ seed.wrapping_mul(31))
            .wrapping_mul(2_654_435_761);
        40 + (v >> 24) as u8 % 160
    }

    fn crop(left: u32, top: u32, right: u32, bottom: u32) -> Crop {
        Crop {
            left,
            top,
            right,
            bottom,
        }
    }

    fn track(frames: Vec<Frame>) -> Vec<Frame> {
        let mut t = BorderTracker::new(BorderDetector::default());
        let mut out = Vec::new();
        for f in frames {
            out.extend(t.push(f));
        }
        out.extend(t.finish());
        out
    }

    #[test]
    fn finds_letterbox_and_pillarbox_with_encoder_noise() {
        let f = frame(40, 30, |x, y| {
            if (5..25).contains(&y) && (3..36).contains(&x) {
                picture(x, y, 1)
            } else {
                ((x + y) % 3) as u8 // encoder noise in the bars
            }
        });
        assert_eq!(
            BorderDetector::default().detect(&[f.clone(), f]),
            crop(3, 5, 4, 5)
        );
    }

    #[test]
    fn dark_frames_and_dark_content_are_not_cropped() {
        let black = frame(20, 20, |_, _| 0);
        assert_eq!(BorderDetector::default().frame_bars(&black), None);
        // A small bright spot in a dark frame is content, not a frame inside bars.
        let spot = frame(20, 20, |x, y| if x == 10 && y == 10 { 200 } else { 5 });
        let d = BorderDetector::default();
        assert!(d.detect(&[black, spot]).is_none());
        assert!(d.detect(&[]).is_none());
    }

    #[test]
    fn a_dark_textured_opening_is_picture_not_bar() {
        // The left third is dark picture (samples spread over 0..30, like a film's dark
        // opening), the rest bright texture: a threshold on darkness took it for a bar.
        let f = frame(90, 60, |x, y| {
            if x < 30 {
                (picture(x, y, 3) - 40) % 31
            } else {
                picture(x, y, 3)
            }
        });
        assert!(BorderDetector::default().detect(&[f]).is_none());
    }

    #[test]
    fn a_caption_in_a_bar_is_removed_with_the_bar() {
        // 17-row bars top and bottom; white text in the top bar on rows 5..12, over 40%
        // of the width, with clean rows on both sides of it.
        let f = frame(100, 80, |x, y| {
            if (17..63).contains(&y) {
                picture(x, y, 4)
            } else if (5..12).contains(&y) && (30..70).contains(&x) && x % 3 != 0 {
                235
            } else if y == 12 && (35..60).contains(&x) && x % 2 == 0 {
                30 // the faint anti-aliased foot of the glyphs
            } else {
                1
            }
        });
        assert_eq!(BorderDetector::default().detect(&[f]), crop(0, 17, 0, 17));
        // Text touching the picture stops the bar at the text; the bottom bar says how
        // deep the top one is.
        let touching = frame(100, 80, |x, y| {
            if (17..63).contains(&y) {
                picture(x, y, 4)
            } else if (9..17).contains(&y) && (30..70).contains(&x) && x % 3 != 0 {
                235
            } else {
                1
            }
        });
        assert_eq!(
            BorderDetector::default().detect(&[touching]),
            crop(0, 17, 0, 17)
        );
    }

    #[test]
    fn flat_coloured_bars_count_in_pairs_only() {
        // Grey pillarbox bars on both sides.
        let grey = frame(80, 40, |x, y| {
            if (12..68).contains(&x) {
                picture(x, y, 5)
            } else {
                128
            }
        });
        assert_eq!(
            BorderDetector::default().detect(&[grey]),
            crop(12, 0, 12, 0)
        );
        // A flat bright sky over the top quarter, picture elsewhere: not a bar.
        let sky = frame(80, 40, |x, y| if y < 10 { 200 } else { picture(x, y, 5) });
        assert!(BorderDetector::default().detect(&[sky]).is_none());
        // A black bar alone, at the bottom, is a bar.
        let bottom = frame(80, 40, |x, y| if y >= 34 { 0 } else { picture(x, y, 5) });
        assert_eq!(
            BorderDetector::default().detect(&[bottom]),
            crop(0, 0, 0, 6)
        );
    }

    #[test]
    fn bars_must_be_in_every_frame_that_detect_is_given() {
        let barred = frame(10, 10, |x, y| if y < 2 { 0 } else { picture(x, y, 6) });
        let full = frame(10, 10, |x, y| picture(x, y, 6));
        let d = BorderDetector::default();
        assert!(d.detect(&[barred.clone(), full]).is_none());
        assert_eq!(d.detect(&[barred]).top, 2);
    }

    #[test]
    fn too_deep_bars_are_refused() {
        let f = frame(50, 50, |x, y| {
            if (20..30).contains(&y) {
                picture(x, y, 7)
            } else {
                0
            }
        });
        assert_eq!(BorderDetector::default().detect(&[f]), Crop::default());
    }

    #[test]
    fn the_tracker_follows_late_bars_and_a_change_of_aspect() {
        // 3 s full frame, 3 s letterboxed, 3 s pillarboxed, 2 frames a second.
        let frames: Vec<Frame> = (0..18u32)
            .map(|i| {
                let t = u64::from(i) * 500;
                frame_at(t, 64, 48, move |x, y| match i / 6 {
                    0 => picture(x, y, i),
                    1 if !(6..42).contains(&y) => 0,
                    2 if !(8..56).contains(&x) => 0,
                    _ => picture(x, y, i),
                })
            })
            .collect();
        let out = track(frames);
        assert_eq!(out.len(), 18);
        for (i, f) in out.iter().enumerate() {
            let want = match i / 6 {
                0 => (64, 48),
                1 => (64, 36),
                _ => (48, 48),
            };
            assert_eq!((f.width, f.height), want, "frame {i}");
            assert_eq!(f.pts_ms, i as u64 * 500);
            assert!(f.luma.iter().all(|&v| v >= 40), "frame {i} kept a bar");
        }
    }

    #[test]
    fn the_tracker_gives_a_run_the_bars_common_to_its_frames() {
        // Four frames in one second: bars of 6, 7, 6 rows and a black frame.
        let rows = [6u32, 7, 6, 0];
        let frames: Vec<Frame> = rows
            .iter()
            .enumerate()
            .map(|(i, &r)| {
                frame_at(i as u64 * 250, 32, 32, move |x, y| {
                    if r == 0 || y < r || y >= 32 - r {
                        0
                    } else {
                        picture(x, y, i as u32)
                    }
                })
            })
            .collect();
        let out = track(frames);
        assert!(
            out.iter().all(|f| f.height == 20),
            "{:?}",
            out.iter().map(|f| f.height).collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_tracker_rescales_to_the_content_size_and_bounds_memory() {
        let frames: Vec<Frame> = (0..(MAX_RUN_FRAMES as u64 + 5))
            .map(|i| {
                frame_at(i, 64, 36, move |x, y| {
                    if !(8..56).contains(&x) {
                        0
                    } else {
                        picture(x, y, 1)
                    }
                })
            })
            .collect();
        let mut t = BorderTracker::new(BorderDetector::default()).source_width(Some(128));
        let mut out = Vec::new();
        for f in frames {
            out.extend(t.push(f));
            assert!(t.run.len() <= MAX_RUN_FRAMES);
        }
        out.extend(t.finish());
        assert_eq!(out.len(), MAX_RUN_FRAMES + 5);
        // 48 of 64 columns of a 128-wide source: the content alone would be 96 wide, so
        // 64 (the decoder's width) after downscaling; height in proportion.
        assert!(out.iter().all(|f| (f.width, f.height) == (64, 48)));
    }
}
