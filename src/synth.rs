//! Deterministic synthetic videos, and the alterations re-uploads apply to them.
//!
//! Tests, the demo and the benchmarks need videos that look enough like footage for a
//! perceptual hash to behave as it does on real clips: large-scale structure that moves,
//! texture, cuts between unrelated scenes. [`SynthVideo`] describes one from a seed; every
//! frame is a pure function of `(seed, frame index)`, so two runs give the same bytes and two
//! seeds give unrelated videos. Each scene (2–5 s) has
//!
//! - a background of three octaves of value noise (cells of ½, ⅕ and 1/14 of the frame), with
//!   its own brightness and contrast, panning at up to ±60 px/s (for 320 px wide frames);
//! - three to six shapes (discs, rectangles, rings; some striped) moving and bouncing off the
//!   frame edges.
//!
//! [`Video`] is a lazy description of frames: [`SynthVideo::video`] and the transforms
//! ([`Video::crop`], [`Video::mirror`], [`Video::brightness_contrast`], [`Video::letterbox`],
//! [`Video::pillarbox`], [`Video::resize`], [`Video::noise`], [`Video::trim`],
//! [`Video::speed`], [`Video::embed_in`], [`Video::then`]) return new descriptions; frames are
//! rendered when asked for ([`Video::frame`], [`Video::frames`], [`Video::write_y4m`]), so an
//! hour-long video costs no memory. A 10 s 320×240 video renders in about 0.1 s (release).
//!
//! ```
//! use staydown::synth::SynthVideo;
//!
//! let original = SynthVideo::new(1).size(320, 240).fps(25).duration_ms(4000).video();
//! let reupload = original.crop(0.1).mirror().brightness_contrast(20.0, 1.1).trim(1000, 3000);
//! assert_eq!(reupload.frame_count(), 50);
//! assert_eq!(reupload.frame(0).luma.len(), reupload.width() as usize * reupload.height() as usize);
//! ```

use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use crate::decode::Frame;
use crate::decode::scale_area;
use crate::error::{Error, Result};
use crate::hash::Hash256;

/// Parameters of a generated video. Defaults: 320×240, 25 fps, 10 s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SynthVideo {
    /// Seed: equal seeds give identical videos, different seeds unrelated ones.
    pub seed: u64,
    /// Frame width in pixels (at least 8).
    pub width: u32,
    /// Frame height in pixels (at least 8).
    pub height: u32,
    /// Frames per second (at least 1).
    pub fps: u32,
    /// Duration in milliseconds.
    pub duration_ms: u64,
}

impl SynthVideo {
    /// A 320×240, 25 fps, 10 s video from `seed`.
    pub fn new(seed: u64) -> SynthVideo {
        SynthVideo {
            seed,
            width: 320,
            height: 240,
            fps: 25,
            duration_ms: 10_000,
        }
    }

    /// Sets the frame size (each side at least 8 pixels).
    pub fn size(mut self, width: u32, height: u32) -> SynthVideo {
        self.width = width.max(8);
        self.height = height.max(8);
        self
    }

    /// Sets the frame rate (at least 1).
    pub fn fps(mut self, fps: u32) -> SynthVideo {
        self.fps = fps.max(1);
        self
    }

    /// Sets the duration.
    pub fn duration_ms(mut self, duration_ms: u64) -> SynthVideo {
        self.duration_ms = duration_ms;
        self
    }

    /// The video, ready to render or alter.
    pub fn video(&self) -> Video {
        let frames = self.duration_ms * u64::from(self.fps) / 1000;
        Video {
            width: self.width,
            height: self.height,
            fps: self.fps,
            frame_count: frames,
            node: Arc::new(Node::Scenes(Generator::new(self, frames))),
        }
    }

    /// Writes the video as Y4M (see [`Video::write_y4m`]).
    ///
    /// # Errors
    /// The writer's errors.
    pub fn write_y4m(&self, out: impl Write) -> Result<()> {
        self.video().write_y4m(out)
    }
}

/// A lazily rendered sequence of frames at a constant frame rate. Cheap to clone.
#[derive(Clone)]
pub struct Video {
    width: u32,
    height: u32,
    fps: u32,
    frame_count: u64,
    node: Arc<Node>,
}

impl std::fmt::Debug for Video {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Video")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("fps", &self.fps)
            .field("frame_count", &self.frame_count)
            .finish_non_exhaustive()
    }
}

enum Node {
    Scenes(Generator),
    Spatial(Video, Spatial),
    Trim(Video, u64),
    Speed(Video, f64),
    /// `guest` (resized to the host's size) shown from host frame `at`.
    Embed {
        host: Video,
        guest: Video,
        at: u64,
    },
    Concat(Video, Video),
}

enum Spatial {
    Crop { left: u32, top: u32 },
    Mirror,
    Levels { brightness: f32, contrast: f32 },
    Pad { left: u32, top: u32 },
    Resize,
    Noise { amplitude: u8, seed: u64 },
    Caption { top: u32, height: u32 },
}

impl Video {
    /// Frame width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Frame height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Frames per second.
    pub fn fps(&self) -> u32 {
        self.fps
    }

    /// Number of frames.
    pub fn frame_count(&self) -> u64 {
        self.frame_count
    }

    /// Duration in milliseconds (`frame_count / fps`).
    pub fn duration_ms(&self) -> u64 {
        self.frame_count * 1000 / u64::from(self.fps)
    }

    /// Presentation time of frame `index` in milliseconds.
    pub fn pts_ms(&self, index: u64) -> u64 {
        (index * 1000 + u64::from(self.fps) / 2) / u64::from(self.fps)
    }

    /// Renders frame `index` (frames past the end repeat the last one).
    pub fn frame(&self, index: u64) -> Frame {
        let mut luma = vec![0u8; self.width as usize * self.height as usize];
        self.render(index.min(self.frame_count.saturating_sub(1)), &mut luma);
        Frame {
            pts_ms: self.pts_ms(index),
            width: self.width,
            height: self.height,
            luma,
            scale: 1.0,
        }
    }

    /// All frames in order.
    pub fn frames(&self) -> impl Iterator<Item = Frame> + '_ {
        (0..self.frame_count).map(move |i| self.frame(i))
    }

    fn with(&self, width: u32, height: u32, node: Node) -> Video {
        Video {
            width: width.max(1),
            height: height.max(1),
            fps: self.fps,
            frame_count: self.frame_count,
            node: Arc::new(node),
        }
    }

    /// Keeps the centre, removing `fraction` (0..1) of the width and of the height, half on
    /// each side.
    pub fn crop(&self, fraction: f64) -> Video {
        let f = fraction.clamp(0.0, 0.95);
        let dx = (f64::from(self.width) * f / 2.0).round() as u32;
        let dy = (f64::from(self.height) * f / 2.0).round() as u32;
        self.crop_rect(dx, dy, self.width - 2 * dx, self.height - 2 * dy)
    }

    /// Keeps the `width × height` rectangle whose top-left corner is `(left, top)` (clamped
    /// to the frame).
    pub fn crop_rect(&self, left: u32, top: u32, width: u32, height: u32) -> Video {
        let left = left.min(self.width - 1);
        let top = top.min(self.height - 1);
        let w = width.clamp(1, self.width - left);
        let h = height.clamp(1, self.height - top);
        self.with(
            w,
            h,
            Node::Spatial(self.clone(), Spatial::Crop { left, top }),
        )
    }

    /// Mirrors left to right.
    pub fn mirror(&self) -> Video {
        self.with(
            self.width,
            self.height,
            Node::Spatial(self.clone(), Spatial::Mirror),
        )
    }

    /// `v' = (v − 128) · contrast + 128 + brightness`, clamped to 0..=255.
    pub fn brightness_contrast(&self, brightness: f32, contrast: f32) -> Video {
        self.with(
            self.width,
            self.height,
            Node::Spatial(
                self.clone(),
                Spatial::Levels {
                    brightness,
                    contrast,
                },
            ),
        )
    }

    /// Adds black bars above and below, each `fraction` of the height; the frame grows.
    /// Follow with [`Video::resize`] to keep the original frame size, as a re-upload would.
    pub fn letterbox(&self, fraction: f64) -> Video {
        let bar = (f64::from(self.height) * fraction.clamp(0.0, 4.0)).round() as u32;
        self.pad(0, bar)
    }

    /// Adds black bars left and right, each `fraction` of the width; the frame grows.
    pub fn pillarbox(&self, fraction: f64) -> Video {
        let bar = (f64::from(self.width) * fraction.clamp(0.0, 4.0)).round() as u32;
        self.pad(bar, 0)
    }

    fn pad(&self, x: u32, y: u32) -> Video {
        self.with(
            self.width + 2 * x,
            self.height + 2 * y,
            Node::Spatial(self.clone(), Spatial::Pad { left: x, top: y }),
        )
    }

    /// Rescales to `width × height` by area averaging (aspect ratio not kept).
    pub fn resize(&self, width: u32, height: u32) -> Video {
        self.with(width, height, Node::Spatial(self.clone(), Spatial::Resize))
    }

    /// Adds deterministic uniform noise of ±`amplitude` grey levels (a stand-in for
    /// compression artefacts).
    pub fn noise(&self, amplitude: u8, seed: u64) -> Video {
        self.with(
            self.width,
            self.height,
            Node::Spatial(self.clone(), Spatial::Noise { amplitude, seed }),
        )
    }

    /// Burns in a caption: a dark bar across the middle 80% of the width, `height_fraction`
    /// of the height, ending `margin_fraction` of the height above the bottom edge, with
    /// white text-like glyph blocks on it, the same on every frame (a subtitle line held).
    pub fn caption(&self, height_fraction: f64, margin_fraction: f64) -> Video {
        let h = f64::from(self.height);
        let height = ((h * height_fraction.clamp(0.0, 1.0)).round() as u32).clamp(1, self.height);
        let bottom =
            ((h * margin_fraction.clamp(0.0, 1.0)).round() as u32).min(self.height - height);
        let top = self.height - bottom - height;
        self.with(
            self.width,
            self.height,
            Node::Spatial(self.clone(), Spatial::Caption { top, height }),
        )
    }

    /// Keeps the frames from `start_ms` (inclusive) to `end_ms` (exclusive).
    pub fn trim(&self, start_ms: u64, end_ms: u64) -> Video {
        let fps = u64::from(self.fps);
        let start = (start_ms * fps / 1000).min(self.frame_count);
        let end = (end_ms * fps / 1000).clamp(start, self.frame_count);
        let mut v = self.with(self.width, self.height, Node::Trim(self.clone(), start));
        v.frame_count = end - start;
        v
    }

    /// Plays `factor` times faster (0.1..10): frame `j` shows source frame
    /// `round(j · factor)`, at the same frame rate.
    pub fn speed(&self, factor: f64) -> Video {
        let f = factor.clamp(0.1, 10.0);
        let mut v = self.with(self.width, self.height, Node::Speed(self.clone(), f));
        v.frame_count = (self.frame_count as f64 / f).floor() as u64;
        v
    }

    /// This video inside `host`, starting at `at_ms` of the host's time: host frames there are
    /// replaced (this video is resized to the host's size and resampled to its frame rate).
    /// The result lasts as long as the host, or longer if this video runs past its end.
    pub fn embed_in(&self, host: &Video, at_ms: u64) -> Video {
        let at = (at_ms * u64::from(host.fps) / 1000).min(host.frame_count);
        let guest = self.resampled(host);
        let frames = host.frame_count.max(at + guest.frame_count);
        let mut v = host.with(
            host.width,
            host.height,
            Node::Embed {
                host: host.clone(),
                guest,
                at,
            },
        );
        v.frame_count = frames;
        v
    }

    /// This video followed by `next` (resized and resampled to this one's size and rate).
    pub fn then(&self, next: &Video) -> Video {
        let next = next.resampled(self);
        let mut v = self.with(
            self.width,
            self.height,
            Node::Concat(self.clone(), next.clone()),
        );
        v.frame_count = self.frame_count + next.frame_count;
        v
    }

    /// This video at `like`'s size and frame rate.
    fn resampled(&self, like: &Video) -> Video {
        let mut v = if (self.width, self.height) == (like.width, like.height) {
            self.clone()
        } else {
            self.resize(like.width, like.height)
        };
        if v.fps != like.fps {
            let factor = f64::from(v.fps) / f64::from(like.fps);
            let mut s = v.with(v.width, v.height, Node::Speed(v.clone(), factor));
            s.fps = like.fps;
            s.frame_count = (v.frame_count as f64 / factor).floor() as u64;
            v = s;
        }
        v
    }

    /// Renders frame `index` (< frame_count) into `out` (`width × height`).
    fn render(&self, index: u64, out: &mut [u8]) {
        match &*self.node {
            Node::Scenes(g) => g.render(index, out),
            Node::Trim(inner, start) => inner.render(index + start, out),
            Node::Speed(inner, f) => {
                let src = ((index as f64 * f).round() as u64).min(inner.frame_count - 1);
                inner.render(src, out)
            }
            Node::Embed { host, guest, at } => {
                if index >= *at && index - at < guest.frame_count {
                    guest.render(index - at, out)
                } else if index < host.frame_count {
                    host.render(index, out)
                } else {
                    out.fill(0)
                }
            }
            Node::Concat(a, b) => {
                if index < a.frame_count {
                    a.render(index, out)
                } else {
                    b.render(index - a.frame_count, out)
                }
            }
            Node::Spatial(inner, op) => {
                let (iw, ih) = (inner.width as usize, inner.height as usize);
                let (w, h) = (self.width as usize, self.height as usize);
                match op {
                    Spatial::Mirror => {
                        inner.render(index, out);
                        for row in out.chunks_exact_mut(w) {
                            row.reverse();
                        }
                    }
                    Spatial::Levels {
                        brightness,
                        contrast,
                    } => {
                        inner.render(index, out);
                        let mut lut = [0u8; 256];
                        for (v, l) in lut.iter_mut().enumerate() {
                            let x = (v as f32 - 128.0) * contrast + 128.0 + brightness;
                            *l = (x + 0.5).clamp(0.0, 255.0) as u8;
                        }
                        for v in out.iter_mut() {
                            *v = lut[usize::from(*v)];
                        }
                    }
                    Spatial::Noise { amplitude, seed } => {
                        inner.render(index, out);
                        let a = i32::from(*amplitude);
                        let mut rng = SplitMix(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                        for v in out.iter_mut() {
                            let r = rng.next_u64();
                            let n = (r % (2 * a as u64 + 1)) as i32 - a;
                            *v = (i32::from(*v) + n).clamp(0, 255) as u8;
                        }
                    }
                    Spatial::Caption { top, height } => {
                        inner.render(index, out);
                        let (top, height) = (*top as usize, *height as usize);
                        let (x0, x1) = (w / 10, w - w / 10);
                        let glyph = (height / 2).max(2);
                        for y in top..top + height {
                            let row = &mut out[y * w..(y + 1) * w];
                            let inside = y >= top + height / 4 && y < top + height / 4 + glyph;
                            for (x, v) in row.iter_mut().enumerate().take(x1).skip(x0) {
                                // Glyphs: blocks of varying width with one-pixel gaps.
                                let k = (x - x0) / glyph.max(1);
                                let lit =
                                    inside && (k * 7 + 3) % 5 != 0 && (x - x0) % glyph.max(1) != 0;
                                *v = if lit { 235 } else { 24 };
                            }
                        }
                    }
                    Spatial::Crop { left, top } => {
                        let mut src = vec![0u8; iw * ih];
                        inner.render(index, &mut src);
                        for (y, row) in out.chunks_exact_mut(w).enumerate() {
                            let s = (y + *top as usize) * iw + *left as usize;
                            row.copy_from_slice(&src[s..s + w]);
                        }
                    }
                    Spatial::Pad { left, top } => {
                        let mut src = vec![0u8; iw * ih];
                        inner.render(index, &mut src);
                        out.fill(0);
                        for (y, row) in src.chunks_exact(iw).enumerate() {
                            let d = (y + *top as usize) * w + *left as usize;
                            out[d..d + iw].copy_from_slice(row);
                        }
                    }
                    Spatial::Resize => {
                        let mut src = vec![0u8; iw * ih];
                        inner.render(index, &mut src);
                        scale_area(
                            &src,
                            inner.width,
                            inner.height,
                            out,
                            self.width,
                            self.height,
                        );
                        let _ = h;
                    }
                }
            }
        }
    }

    /// Writes the video as Y4M: `YUV4MPEG2 W<w> H<h> F<fps>:1 Ip A1:1 C420jpeg
    /// XCOLORRANGE=FULL`, full-range luma and neutral (128) chroma.
    ///
    /// # Errors
    /// The writer's errors, as [`Error::Io`] naming `<writer>`.
    pub fn write_y4m(&self, mut out: impl Write) -> Result<()> {
        let io_err = |e| Error::io("<writer>", e);
        let mut go = || -> io::Result<()> {
            writeln!(
                out,
                "YUV4MPEG2 W{} H{} F{}:1 Ip A1:1 C420jpeg XCOLORRANGE=FULL",
                self.width, self.height, self.fps
            )?;
            let chroma =
                vec![128u8; 2 * self.width.div_ceil(2) as usize * self.height.div_ceil(2) as usize];
            let mut luma = vec![0u8; self.width as usize * self.height as usize];
            for i in 0..self.frame_count {
                self.render(i, &mut luma);
                out.write_all(b"FRAME\n")?;
                out.write_all(&luma)?;
                out.write_all(&chroma)?;
            }
            out.flush()
        };
        go().map_err(io_err)
    }

    /// Writes the video as a Y4M file at `path`.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file.
    pub fn save_y4m(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
        self.write_y4m(io::BufWriter::with_capacity(1 << 20, file))
            .map_err(|e| match e {
                Error::Io { source, .. } => Error::io(path, source),
                other => other,
            })
    }
}

/// A seeded generator of synthetic hashes for tests, benches and examples: SplitMix64, as
/// the videos use.
#[derive(Clone, Copy, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits. (Not an `Iterator`: it never ends, and callers draw hashes.)
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `0..n` (`n > 0`; slightly biased for large `n`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A uniform random hash.
    pub fn hash(&mut self) -> Hash256 {
        Hash256([self.next(), self.next(), self.next(), self.next()])
    }

    /// `h` with `bits` random bits flipped (a bit may flip twice).
    pub fn flip(&mut self, h: Hash256, bits: u32) -> Hash256 {
        let mut out = h;
        for _ in 0..bits {
            let k = self.below(256) as usize;
            out.0[k / 64] ^= 1 << (k % 64);
        }
        out
    }
}

/// SplitMix64: a tiny, fast, well-mixed generator (Steele, Lea, Flood 2014).
#[derive(Clone, Copy)]
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `[lo, hi)`.
    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32)
    }
}

#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Clone, Copy)]
enum ShapeKind {
    Disc,
    Rect,
    Ring,
}

#[derive(Clone, Copy)]
struct Shape {
    kind: ShapeKind,
    /// Radius (half side for rectangles) in pixels.
    r: f32,
    /// Aspect of rectangles (half height = r · aspect).
    aspect: f32,
    x0: f32,
    y0: f32,
    vx: f32,
    vy: f32,
    luma: f32,
    stripes: bool,
}

struct Scene {
    start: u64,
    seed: u64,
    base: f32,
    amp: [f32; 3],
    pan: (f32, f32),
    shapes: Vec<Shape>,
}

struct Generator {
    width: u32,
    height: u32,
    fps: u32,
    cells: [f32; 3],
    scenes: Vec<Scene>,
}

impl Generator {
    fn new(p: &SynthVideo, frames: u64) -> Generator {
        let (w, h) = (p.width as f32, p.height as f32);
        let big = w.max(h);
        let unit = w / 320.0;
        let mut rng = SplitMix(mix(p.seed ^ 0x5EED_0F5C_E7E5));
        let mut scenes = Vec::new();
        let mut start = 0u64;
        while start < frames.max(1) {
            let len = (rng.range(2.0, 5.0) * p.fps as f32).round().max(1.0) as u64;
            let n = 3 + (rng.next_u64() % 4) as usize;
            let min_side = w.min(h);
            let shapes = (0..n)
                .map(|_| {
                    let kind = match rng.next_u64() % 3 {
                        0 => ShapeKind::Disc,
                        1 => ShapeKind::Rect,
                        _ => ShapeKind::Ring,
                    };
                    Shape {
                        kind,
                        r: rng.range(0.08, 0.22) * min_side,
                        aspect: rng.range(0.5, 1.5),
                        x0: rng.range(0.0, w),
                        y0: rng.range(0.0, h),
                        vx: rng.range(-80.0, 80.0) * unit,
                        vy: rng.range(-60.0, 60.0) * unit,
                        luma: rng.range(0.0, 255.0),
                        stripes: rng.next_u64() % 2 == 0,
                    }
                })
                .collect();
            scenes.push(Scene {
                start,
                seed: rng.next_u64(),
                base: rng.range(70.0, 180.0),
                amp: [
                    rng.range(40.0, 90.0),
                    rng.range(20.0, 50.0),
                    rng.range(8.0, 25.0),
                ],
                pan: (rng.range(-60.0, 60.0) * unit, rng.range(-40.0, 40.0) * unit),
                shapes,
            });
            start += len;
        }
        Generator {
            width: p.width,
            height: p.height,
            fps: p.fps,
            cells: [big / 2.0, big / 5.0, (big / 14.0).max(2.0)],
            scenes,
        }
    }

    fn render(&self, index: u64, out: &mut [u8]) {
        let k = self.scenes.partition_point(|s| s.start <= index).max(1) - 1;
        let scene = &self.scenes[k];
        let t = (index - scene.start) as f32 / self.fps as f32;
        let (w, h) = (self.width as usize, self.height as usize);
        let (ox, oy) = (scene.pan.0 * t, scene.pan.1 * t);
        let mut acc = vec![0f32; w];
        let mut lattice = Vec::new();
        // The horizontal lattice cell and smoothstep weight of each column are the same for
        // every row: computed once per frame and octave.
        let columns: Vec<(i64, Vec<(u32, f32)>)> = self
            .cells
            .iter()
            .map(|&cell| {
                let gx0 = (ox / cell).floor() as i64;
                let cols = (0..w)
                    .map(|x| {
                        let fx = (x as f32 + ox) / cell;
                        let g = fx.floor();
                        ((g as i64 - gx0) as u32, smooth(fx - g))
                    })
                    .collect();
                (gx0, cols)
            })
            .collect();
        for (y, row) in out.chunks_exact_mut(w).enumerate() {
            acc.fill(scene.base);
            for (octave, ((&cell, &amp), (gx0, cols))) in
                self.cells.iter().zip(&scene.amp).zip(&columns).enumerate()
            {
                let oseed = scene.seed ^ (octave as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407);
                let fy = (y as f32 + oy) / cell;
                let gy = fy.floor();
                let ty = smooth(fy - gy);
                let gy = gy as i64;
                let last = cols.last().map_or(0, |c| c.0 as i64) + 1;
                lattice.clear();
                for gx in *gx0..=*gx0 + last {
                    let a = lattice_value(oseed, gx, gy);
                    let b = lattice_value(oseed, gx, gy + 1);
                    // Stored pre-scaled: value in [-amp, amp).
                    lattice.push(amp * (2.0 * (a + (b - a) * ty) - 1.0));
                }
                for (v, &(i, tx)) in acc.iter_mut().zip(cols) {
                    let (a, b) = (lattice[i as usize], lattice[i as usize + 1]);
                    *v += a + (b - a) * tx;
                }
            }
            for (o, &v) in row.iter_mut().zip(&acc) {
                *o = v.clamp(0.0, 255.0) as u8;
            }
        }
        // Edges are soft over `ramp` pixels and stripes are a triangle wave, as a camera's
        // optics would render them: hard-edged fine detail aliases when frames are rescaled,
        // which real footage rarely does.
        let unit = (self.width.max(self.height) as f32 / 320.0).max(0.25);
        let ramp = 1.5 * unit;
        let period = 18.0 * unit;
        for s in &scene.shapes {
            let cx = bounce(s.x0 + s.vx * t, self.width as f32);
            let cy = bounce(s.y0 + s.vy * t, self.height as f32);
            let (rx, ry) = match s.kind {
                ShapeKind::Rect => (s.r, s.r * s.aspect),
                _ => (s.r, s.r),
            };
            let x_lo = (cx - rx - ramp).floor().max(0.0) as usize;
            let x_hi = ((cx + rx + ramp).ceil().max(0.0) as usize).min(w);
            let y_lo = (cy - ry - ramp).floor().max(0.0) as usize;
            let y_hi = ((cy + ry + ramp).ceil().max(0.0) as usize).min(h);
            for y in y_lo..y_hi {
                let dy = y as f32 + 0.5 - cy;
                let row = &mut out[y * w..(y + 1) * w];
                for (x, o) in row.iter_mut().enumerate().take(x_hi).skip(x_lo) {
                    let dx = x as f32 + 0.5 - cx;
                    // Signed distance to the edge (negative inside).
                    let d = match s.kind {
                        ShapeKind::Disc => (dx * dx + dy * dy).sqrt() - s.r,
                        ShapeKind::Rect => (dx.abs() - rx).max(dy.abs() - ry),
                        ShapeKind::Ring => {
                            let r = (dx * dx + dy * dy).sqrt();
                            (r - s.r).max(0.6 * s.r - r)
                        }
                    };
                    let alpha = (0.5 - d / ramp).clamp(0.0, 1.0);
                    if alpha > 0.0 {
                        let v = if s.stripes {
                            let u = (dx + dy) / period;
                            let tri = 4.0 * (u - (u + 0.5).floor()).abs() - 1.0;
                            (s.luma + 60.0 * tri).clamp(0.0, 255.0)
                        } else {
                            s.luma
                        };
                        *o = (f32::from(*o) * (1.0 - alpha) + v * alpha + 0.5) as u8;
                    }
                }
            }
        }
    }
}

#[inline]
fn smooth(t: f32) -> f32 {
    t * t * (3.0 - 2.0 * t)
}

/// A value in [0, 1) for lattice point `(x, y)`.
#[inline]
fn lattice_value(seed: u64, x: i64, y: i64) -> f32 {
    let h = mix(seed
        ^ (x as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (y as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F));
    (h >> 40) as f32 / (1u64 << 24) as f32
}

/// Position `p` reflected into `[0, len]` (a triangle wave).
fn bounce(p: f32, len: f32) -> f32 {
    let period = 2.0 * len;
    let m = p.rem_euclid(period);
    if m > len { period - m } else { m }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_abs_diff(a: &Frame, b: &Frame) -> f64 {
        a.luma
            .iter()
            .zip(&b.luma)
            .map(|(&x, &y)| (i32::from(x) - i32::from(y)).unsigned_abs() as f64)
            .sum::<f64>()
            / a.luma.len() as f64
    }

    #[test]
    fn deterministic_and_seed_dependent() {
        let a = SynthVideo::new(1).size(64, 48).duration_ms(2000).video();
        let b = SynthVideo::new(1).size(64, 48).duration_ms(2000).video();
        let c = SynthVideo::new(2).size(64, 48).duration_ms(2000).video();
        assert_eq!(a.frame(17), b.frame(17));
        assert!(mean_abs_diff(&a.frame(17), &c.frame(17)) > 20.0);
    }

    #[test]
    fn textured_and_moving() {
        let v = SynthVideo::new(3).size(160, 120).duration_ms(2000).video();
        let f = v.frame(0);
        let mean = f.luma.iter().map(|&x| f64::from(x)).sum::<f64>() / f.luma.len() as f64;
        let var = f
            .luma
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / f.luma.len() as f64;
        assert!(var.sqrt() > 20.0, "flat frame: stdev {}", var.sqrt());
        assert!(mean_abs_diff(&v.frame(0), &v.frame(10)) > 2.0);
    }

    #[test]
    fn transforms_have_the_stated_geometry_and_timing() {
        let v = SynthVideo::new(4)
            .size(100, 80)
            .fps(10)
            .duration_ms(3000)
            .video();
        assert_eq!(v.frame_count(), 30);
        let m = v.mirror();
        assert_eq!(m.frame(5).at(0, 3), v.frame(5).at(99, 3));
        let c = v.crop(0.2);
        assert_eq!((c.width(), c.height()), (80, 64));
        assert_eq!(c.frame(2).at(0, 0), v.frame(2).at(10, 8));
        let l = v.letterbox(0.1);
        assert_eq!((l.width(), l.height()), (100, 96));
        assert_eq!(l.frame(1).at(50, 0), 0);
        assert_eq!(l.frame(1).at(50, 8), v.frame(1).at(50, 0));
        let p = v.pillarbox(0.1).resize(100, 80);
        assert_eq!((p.width(), p.height()), (100, 80));
        let t = v.trim(1000, 2500);
        assert_eq!(t.frame_count(), 15);
        assert_eq!(
            t.frame(0),
            Frame {
                pts_ms: 0,
                ..v.frame(10)
            }
        );
        let s = v.speed(2.0);
        assert_eq!(s.frame_count(), 15);
        assert_eq!(s.frame(3).luma, v.frame(6).luma);
        let host = SynthVideo::new(9)
            .size(100, 80)
            .fps(10)
            .duration_ms(5000)
            .video();
        let e = t.embed_in(&host, 2000);
        assert_eq!(e.frame_count(), 50);
        assert_eq!(e.frame(20).luma, v.frame(10).luma);
        assert_eq!(e.frame(19).luma, host.frame(19).luma);
        let b = v.brightness_contrast(10.0, 1.0);
        let (x, y) = (v.frame(0).at(1, 1), b.frame(0).at(1, 1));
        assert_eq!(y, x.saturating_add(10));
        assert_eq!(v.then(&host).frame_count(), 80);
    }

    #[test]
    fn y4m_layout() {
        let v = SynthVideo::new(5)
            .size(9, 9)
            .fps(5)
            .duration_ms(400)
            .video();
        let mut out = Vec::new();
        v.write_y4m(&mut out).unwrap();
        let header = b"YUV4MPEG2 W9 H9 F5:1 Ip A1:1 C420jpeg XCOLORRANGE=FULL\n";
        assert!(out.starts_with(header));
        assert_eq!(out.len(), header.len() + 2 * (6 + 81 + 2 * 25));
    }
}
