//! Turning a file or stream into timestamped grayscale frames at a sampling rate.
//!
//! A [`FrameSource`] yields [`Frame`]s: 8-bit full-range luma planes with their presentation
//! time in milliseconds of video time. Three kinds of input are read:
//!
//! - **any file ffmpeg reads** (mp4, mkv, webm, avi, mov, flv, ts…), through an `ffmpeg`
//!   subprocess ([`FrameSource::ffmpeg`]). ffmpeg samples (`select`), scales (`area`) and
//!   converts to gray, then writes raw planes to a pipe; a `showinfo` filter at the end of the
//!   chain reports each frame's timestamp and size on stderr, so timestamps are the video's own
//!   (variable frame rate and non-zero start times included), never frame counts;
//! - **Y4M** (yuv4mpegpipe), parsed natively ([`FrameSource::y4m_file`], [`FrameSource::stdin`]),
//!   so `ffmpeg -i x.mkv -f yuv4mpegpipe - | staydown hash -` works and tests run without ffmpeg;
//! - **a directory of numbered image frames** (png, jpeg) at a stated frame rate
//!   ([`FrameSource::images`]).
//!
//! # Sampling and scaling are the same on every path
//! Every path applies one sampling rule: with output rate `r`, a frame at `t` seconds (measured
//! from the video's first frame) lies in slot `floor(t · r)`; a frame is kept when its slot is
//! greater than the last kept frame's (so the *first* frame of each slot `[k/r, (k+1)/r)`), and
//! it keeps its own presentation time. The ffmpeg path does this with a `select` expression, the
//! native paths with one internal sampler. Why: ffmpeg's `fps` filter instead emits the *last*
//! frame of each slot stamped with the slot time, so its timestamps are up to half an interval
//! off and a 1 fps sample is not a subset of a 4 fps (or every-frame) sample of the same video;
//! with this rule a query sampled at any rate consists of frames that a denser banking of the
//! same video also holds, with the same hashes and the video's own times. Sampling faster than
//! the input keeps every frame once (no duplicates).
//!
//! Frames are downscaled to at most [`DecodeOptions::max_width`] pixels wide by area averaging (ffmpeg's `area` scaler), height `round(h · w' / w)`. Limited-range
//! ("TV", 16..235) luma is expanded to full range as ffmpeg's gray conversion does, so the same
//! video decoded by either path gives frames within a grey level or two of each other.
//!
//! # Frame operations
//! Everything done to a frame's pixels after decoding — crops ([`Region`], [`centre_crop`],
//! [`Frame::cropped`]), mirroring ([`flip`]), rotation ([`rotate`]), resampling
//! ([`downscale`], [`resample_bilinear`]) — lives in `ops.rs`, whichever side asks for it
//! (banking regions, query variants, border and inset crops).
//!
//! # Limits
//! Dimensions are checked against [`Limits`] *before* any plane is allocated, so an absurd
//! header (`W99999999 H99999999`) is an error, not an allocation of gigabytes.

mod border;
mod ffmpeg;
mod images;
mod ops;
mod scale;
mod y4m;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use border::{BorderDetector, BorderTracker, Crop, CroppedFrames, MAX_RUN_FRAMES};
pub(crate) use ffmpeg::colour_png_at;
pub(crate) use ops::scale_area;
pub use ops::{
    Region, centre_crop, downscale, flip, inscribed_keep, resample_bilinear, rotate, rotate_cropped,
};

use crate::error::{Error, Result};

/// One decoded frame: an 8-bit luma plane (row-major, `width * height` bytes), its
/// presentation time in milliseconds of video time, and how far the decoder shrank it.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// Presentation time in milliseconds from the start of the video.
    pub pts_ms: u64,
    /// Width of the plane in pixels.
    pub width: u32,
    /// Height of the plane in pixels.
    pub height: u32,
    /// Luma samples, row-major, `width * height` bytes (full range 0..=255).
    pub luma: Vec<u8>,
    /// Source pixels each plane pixel stands for along either axis: 1 for a plane at the
    /// source's own size, 5 for a 1280-wide source decoded 256 wide. Hashing with
    /// [`Kernel::Source`](crate::hash::Kernel::Source) blurs the plane as PDQ would blur the
    /// source ([`crate::hash::CropHasher::hash_scaled`]).
    pub scale: f32,
}

impl Frame {
    /// The sample at column `x`, row `y`.
    ///
    /// # Panics
    /// Panics if `(x, y)` is outside the plane.
    #[inline]
    pub fn at(&self, x: u32, y: u32) -> u8 {
        self.luma[y as usize * self.width as usize + x as usize]
    }
}

/// [`Frame::scale`] of a plane `plane_width` wide decoded from a source `source_width` wide
/// (1 when the source is unknown or not wider).
pub(crate) fn shrink(source_width: u32, plane_width: u32) -> f32 {
    if plane_width == 0 {
        return 1.0;
    }
    (source_width as f32 / plane_width as f32).max(1.0)
}

/// Upper bounds on what a decoder will allocate, checked before allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted frame width in pixels (inclusive).
    pub max_width: u32,
    /// Largest accepted frame height in pixels (inclusive).
    pub max_height: u32,
    /// Largest accepted `width × height` of one frame (inclusive).
    pub max_pixels: u64,
    /// Largest number of frames a source yields (inclusive); more is an error.
    pub max_frames: u64,
}

impl Default for Limits {
    /// 16384 × 16384 pixels at most, 2^26 pixels (a 64 MiB plane) and 10 million frames.
    fn default() -> Self {
        Limits {
            max_width: 16384,
            max_height: 16384,
            max_pixels: 1 << 26,
            max_frames: 10_000_000,
        }
    }
}

impl Limits {
    /// Checks a frame size against the limits.
    ///
    /// # Errors
    /// [`Error::Limit`] naming `path` when a dimension or the pixel count is too large,
    /// [`Error::Format`] when a dimension is zero.
    pub fn check_size(&self, path: &Path, width: u64, height: u64) -> Result<()> {
        if width == 0 || height == 0 {
            return Err(Error::format(
                path,
                format!("invalid frame size {width}x{height}"),
            ));
        }
        let limit = |what, found, limit| Error::Limit {
            path: path.to_path_buf(),
            what,
            found,
            limit,
        };
        if width > u64::from(self.max_width) {
            return Err(limit("frame width", width, u64::from(self.max_width)));
        }
        if height > u64::from(self.max_height) {
            return Err(limit("frame height", height, u64::from(self.max_height)));
        }
        let pixels = width * height;
        if pixels > self.max_pixels {
            return Err(limit("frame pixel count", pixels, self.max_pixels));
        }
        Ok(())
    }

    fn check_frames(&self, path: &Path, frames: u64) -> Result<()> {
        if frames > self.max_frames {
            return Err(Error::Limit {
                path: path.to_path_buf(),
                what: "frame count",
                found: frames,
                limit: self.max_frames,
            });
        }
        Ok(())
    }
}

/// How frames are sampled and scaled.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodeOptions {
    /// Frames per second of video time to keep (`None`: every frame). Default `Some(1.0)`,
    /// the rate vPDQ uses.
    pub fps: Option<f64>,
    /// Downscale frames wider than this, keeping the aspect ratio (area averaging); `None`
    /// keeps full resolution. Default `Some(256)`: PDQ reduces every frame to 64×64 anyway,
    /// so full-resolution frames never need to cross the pipe.
    pub max_width: Option<u32>,
    /// Frame rate of an image sequence (a directory of numbered frames). Default 25.
    pub image_fps: f64,
    /// Allocation limits, checked before allocating.
    pub limits: Limits,
    /// Only the frames whose time lies in `start_ms..end_ms` (times as a decode of the whole
    /// source gives them, from its first frame), keeping their times: a second, denser look
    /// at part of an upload. ffmpeg seeks to the start instead of decoding what lies before.
    /// Default `None`, the whole source.
    pub window_ms: Option<(u64, u64)>,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            fps: Some(1.0),
            max_width: Some(256),
            image_fps: 25.0,
            limits: Limits::default(),
            window_ms: None,
        }
    }
}

impl DecodeOptions {
    /// How uploads are decoded for checking: 4 frames a second on the 256-pixel fast path.
    /// Works are banked sparsely ([`crate::bank`]), so a copy's frames have to be sampled
    /// densely to fall near a banked one.
    pub fn upload() -> Self {
        DecodeOptions {
            fps: Some(4.0),
            ..DecodeOptions::default()
        }
    }

    /// Every frame at full resolution (for reference-exact hashing or tests).
    pub fn every_frame() -> Self {
        DecodeOptions {
            fps: None,
            max_width: None,
            ..DecodeOptions::default()
        }
    }

    /// Checks the options themselves.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a non-positive or non-finite rate or a zero width.
    pub fn validate(&self) -> Result<()> {
        if let Some(fps) = self.fps {
            if !(fps.is_finite() && fps > 0.0 && fps <= 1000.0) {
                return Err(Error::InvalidArgument(format!(
                    "sampling rate {fps} fps is not in (0, 1000]"
                )));
            }
        }
        if self.max_width == Some(0) {
            return Err(Error::InvalidArgument("max width 0".into()));
        }
        if let Some((start, end)) = self.window_ms
            && start >= end
        {
            return Err(Error::InvalidArgument(format!(
                "empty window {start}..{end} ms"
            )));
        }
        if !(self.image_fps.is_finite() && self.image_fps > 0.0 && self.image_fps <= 1000.0) {
            return Err(Error::InvalidArgument(format!(
                "image sequence rate {} fps is not in (0, 1000]",
                self.image_fps
            )));
        }
        Ok(())
    }

    /// The sampling rate as the rational ffmpeg and the native decoders both use.
    pub(crate) fn fps_rational(&self) -> Option<Rational> {
        self.fps.map(Rational::approximate)
    }
}

/// What is known about a source: its frames' size before scaling, its frame rate and duration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceInfo {
    /// Width of the source frames in pixels (before scaling and cropping).
    pub width: u32,
    /// Height of the source frames in pixels (before scaling and cropping).
    pub height: u32,
    /// Nominal frame rate in frames per second (0 when unknown).
    pub fps: f64,
    /// Duration in milliseconds, when known (for a stream, once it has been read to the end).
    pub duration_ms: Option<u64>,
}

/// A positive rational number (frame rates).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rational {
    pub num: u64,
    pub den: u64,
}

impl Rational {
    /// The closest fraction with a denominator of at most 1001·1000 (continued fractions);
    /// exact for integers, `n/1001` rates and decimals with three places.
    pub fn approximate(x: f64) -> Rational {
        const MAX_DEN: u64 = 1_001_000;
        let (mut h0, mut h1, mut k0, mut k1) = (0u64, 1u64, 1u64, 0u64);
        let mut v = x;
        for _ in 0..64 {
            let a = v.floor();
            if a > 1e12 {
                break;
            }
            let a = a as u64;
            let h2 = a.saturating_mul(h1).saturating_add(h0);
            let k2 = a.saturating_mul(k1).saturating_add(k0);
            if k2 > MAX_DEN {
                break;
            }
            (h0, h1, k0, k1) = (h1, h2, k1, k2);
            let frac = v - a as f64;
            if frac < 1e-12 || (h1 as f64 / k1 as f64 - x).abs() < 1e-12 * x {
                break;
            }
            v = 1.0 / frac;
        }
        if h1 == 0 || k1 == 0 {
            return Rational { num: 1, den: 1 };
        }
        Rational { num: h1, den: k1 }
    }

    pub fn as_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

/// `round(a · b / c)` with ties away from zero, as ffmpeg's `av_rescale` (128-bit, no overflow).
pub(crate) fn rescale_round(a: u64, b: u64, c: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    let c = u128::from(c.max(1));
    ((p + c / 2) / c).min(u128::from(u64::MAX)) as u64
}

/// The sampling rule, for a constant-rate input (see the module docs): frame `i` at
/// `t_i = i / input` seconds lies in slot `floor(t_i · output)`; a frame is kept when its slot
/// is greater than the slot of the last kept frame (the first frame is always kept), and it
/// keeps its own time `t_i`. The ffmpeg path applies the same rule with a `select` expression.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sampler {
    /// Input frame rate.
    input: Rational,
    /// Output rate, `None` for every frame.
    output: Option<Rational>,
    /// Slot of the last kept frame.
    last_slot: Option<u64>,
}

impl Sampler {
    pub fn new(input: Rational, output: Option<Rational>) -> Self {
        Sampler {
            input,
            output,
            last_slot: None,
        }
    }

    /// Sampling slot of input frame `i`: `floor(i / input · output)`, exact integer arithmetic.
    fn slot(&self, i: u64, out: Rational) -> u64 {
        let num = u128::from(i) * u128::from(self.input.den) * u128::from(out.num);
        let den = u128::from(self.input.num) * u128::from(out.den);
        (num / den.max(1)).min(u128::from(u64::MAX)) as u64
    }

    /// Whether input frame `i` is kept; call once per frame, in order.
    pub fn keep(&mut self, i: u64) -> bool {
        let Some(out) = self.output else {
            return true;
        };
        let slot = self.slot(i, out);
        if self.last_slot.is_some_and(|last| slot <= last) {
            return false;
        }
        self.last_slot = Some(slot);
        true
    }

    /// Presentation time in milliseconds of input frame `i` (its own time, `i / input`).
    pub fn pts_ms(&self, i: u64) -> u64 {
        rescale_round(i, 1000 * self.input.den, self.input.num)
    }
}

/// Output size for a source of `width × height` under `max_width`: at most `max_width` wide,
/// height `round(height · w' / width)` (at least 1), as ffmpeg's `scale=w='min(iw,W)':h=-1`.
pub fn scaled_size(width: u32, height: u32, max_width: Option<u32>) -> (u32, u32) {
    match max_width {
        Some(mw) if width > mw => {
            let h = rescale_round(u64::from(mw), u64::from(height), u64::from(width)).max(1);
            (mw, h as u32)
        }
        _ => (width, height),
    }
}

/// Reads until `buf` is full or the stream ends; returns the number of bytes read.
pub(crate) fn read_full(reader: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

enum Inner {
    Y4m(Box<y4m::Y4mFrames>),
    Images(Box<images::ImageFrames>),
    Ffmpeg(Box<ffmpeg::FfmpegFrames>),
    Done,
}

/// A stream of timestamped grayscale frames from a video file, a Y4M stream or an image
/// sequence.
///
/// It is an `Iterator<Item = Result<Frame>>` that ends after the first error; frames come in
/// presentation order.
///
/// ```
/// use staydown::decode::{DecodeOptions, FrameSource};
/// use staydown::synth::SynthVideo;
///
/// let video = SynthVideo::new(7).size(160, 120).duration_ms(3000);
/// let mut y4m = Vec::new();
/// video.write_y4m(&mut y4m)?;
/// let source = FrameSource::y4m_reader(std::io::Cursor::new(y4m), "synthetic.y4m", &DecodeOptions::default())?;
/// let times: Vec<u64> = source.map(|f| f.map(|f| f.pts_ms)).collect::<Result<_, _>>()?;
/// assert_eq!(times, [0, 1000, 2000]);
/// # Ok::<(), staydown::Error>(())
/// ```
pub struct FrameSource {
    path: PathBuf,
    info: SourceInfo,
    inner: Inner,
    limits: Limits,
    frames: u64,
    /// What the decoder said of damage, kept when the stream ends.
    damage: Option<String>,
    /// [`DecodeOptions::window_ms`]: frames before it are skipped, the stream ends at its end.
    window_ms: Option<(u64, u64)>,
}

impl std::fmt::Debug for FrameSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.inner {
            Inner::Y4m(_) => "y4m",
            Inner::Images(_) => "images",
            Inner::Ffmpeg(_) => "ffmpeg",
            Inner::Done => "done",
        };
        f.debug_struct("FrameSource")
            .field("path", &self.path)
            .field("kind", &kind)
            .field("info", &self.info)
            .field("frames", &self.frames)
            .finish()
    }
}

const Y4M_MAGIC: &[u8] = b"YUV4MPEG2";

impl FrameSource {
    /// Opens `path`, choosing the decoder: `-` is a Y4M stream on standard input; a directory
    /// is an image sequence; a `.y4m` file or one starting with the Y4M magic is parsed
    /// natively; anything else goes to ffmpeg.
    ///
    /// # Errors
    /// [`Error::Io`] if the path cannot be read, [`Error::Format`] for an empty file or a bad
    /// header, [`Error::FfmpegMissing`], [`Error::NotVideo`] (ffmpeg recognises no format) or
    /// [`Error::Ffmpeg`] on the ffmpeg path, and the errors
    /// of each constructor.
    pub fn open(path: impl AsRef<Path>, opts: &DecodeOptions) -> Result<FrameSource> {
        let path = path.as_ref();
        if path.as_os_str() == "-" {
            return FrameSource::stdin(opts);
        }
        Error::check_regular(path)?;
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            return FrameSource::images(path, opts.image_fps, opts);
        }
        if meta.len() == 0 {
            return Err(Error::format(path, "empty file (0 bytes), not a video"));
        }
        let ext_y4m = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("y4m"));
        if ext_y4m || starts_with_y4m_magic(path)? {
            return FrameSource::y4m_file(path, opts);
        }
        FrameSource::ffmpeg(path, opts)
    }

    /// Reads a Y4M file natively.
    ///
    /// # Errors
    /// [`Error::Io`] if it cannot be opened; [`Error::Format`] for a bad header;
    /// [`Error::Limit`] for dimensions beyond the limits.
    pub fn y4m_file(path: impl AsRef<Path>, opts: &DecodeOptions) -> Result<FrameSource> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let size = file.metadata().ok().map(|m| m.len());
        let frames = y4m::Y4mFrames::new(Box::new(file), path, opts, size)?;
        Ok(FrameSource::from_y4m(path, frames, opts))
    }

    /// Reads a Y4M stream on standard input (named `-` in errors).
    ///
    /// # Errors
    /// As [`FrameSource::y4m_file`].
    pub fn stdin(opts: &DecodeOptions) -> Result<FrameSource> {
        FrameSource::y4m_reader(std::io::stdin(), "-", opts)
    }

    /// Reads a Y4M stream from any reader; `name` is used in errors.
    ///
    /// # Errors
    /// As [`FrameSource::y4m_file`].
    pub fn y4m_reader(
        reader: impl Read + Send + 'static,
        name: impl AsRef<Path>,
        opts: &DecodeOptions,
    ) -> Result<FrameSource> {
        let path = name.as_ref();
        let frames = y4m::Y4mFrames::new(Box::new(reader), path, opts, None)?;
        Ok(FrameSource::from_y4m(path, frames, opts))
    }

    fn from_y4m(path: &Path, frames: y4m::Y4mFrames, opts: &DecodeOptions) -> FrameSource {
        FrameSource {
            path: path.to_path_buf(),
            info: frames.info(),
            inner: Inner::Y4m(Box::new(frames)),
            damage: None,
            limits: opts.limits,
            frames: 0,
            window_ms: opts.window_ms,
        }
    }

    /// Reads a directory of numbered image frames (png, jpeg) at `frame_rate` frames per
    /// second. Files are ordered by the last number in their name (`frame2.png` before
    /// `frame10.png`); files without a number or with another extension are ignored.
    ///
    /// # Errors
    /// [`Error::Io`] if the directory cannot be listed; [`Error::Format`] if it holds no
    /// frames; [`Error::InvalidArgument`] for a bad rate.
    pub fn images(
        dir: impl AsRef<Path>,
        frame_rate: f64,
        opts: &DecodeOptions,
    ) -> Result<FrameSource> {
        let dir = dir.as_ref();
        let frames = images::ImageFrames::new(dir, frame_rate, opts)?;
        Ok(FrameSource {
            path: dir.to_path_buf(),
            info: frames.info(),
            inner: Inner::Images(Box::new(frames)),
            damage: None,
            limits: opts.limits,
            frames: 0,
            window_ms: opts.window_ms,
        })
    }

    /// Decodes any file ffmpeg reads, through an `ffmpeg` subprocess (`STAYDOWN_FFMPEG`, else
    /// `ffmpeg` on `PATH`). The child is killed and reaped when the source is dropped.
    ///
    /// # Errors
    /// [`Error::FfmpegMissing`] if ffmpeg cannot be started; [`Error::Ffmpeg`] with ffmpeg's
    /// last stderr lines if it cannot read the file.
    pub fn ffmpeg(path: impl AsRef<Path>, opts: &DecodeOptions) -> Result<FrameSource> {
        let path = path.as_ref();
        if let Err(e) = std::fs::metadata(path) {
            return Err(Error::io(path, e));
        }
        let frames = ffmpeg::FfmpegFrames::spawn(path, opts)?;
        Ok(FrameSource {
            path: path.to_path_buf(),
            info: frames.info(),
            inner: Inner::Ffmpeg(Box::new(frames)),
            damage: None,
            limits: opts.limits,
            frames: 0,
            window_ms: opts.window_ms,
        })
    }

    /// The file (or `-`, or the directory) being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What is known about the source; the duration of a stream becomes known at its end.
    pub fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// Once the stream has ended, why the input looks damaged or truncated, if the decoder
    /// says it does (a partial file, a corrupt packet, or frames that stop well before the
    /// stated duration). Native Y4M and image decoding refuse damage with an error instead.
    pub fn damage(&self) -> Option<String> {
        self.damage.clone()
    }

    /// The next frame, `Ok(None)` at the end.
    ///
    /// # Errors
    /// Truncated or corrupt input, limits, ffmpeg failures; after an error the source is done.
    pub fn next_frame(&mut self) -> Result<Option<Frame>> {
        loop {
            let result = match &mut self.inner {
                Inner::Y4m(f) => f.next_frame(),
                Inner::Images(f) => f.next_frame(),
                Inner::Ffmpeg(f) => f.next_frame(),
                Inner::Done => return Ok(None),
            };
            match result {
                Ok(Some(frame)) => {
                    self.frames += 1;
                    if let Err(e) = self.limits.check_frames(&self.path, self.frames) {
                        self.inner = Inner::Done;
                        return Err(e);
                    }
                    match self.window_ms {
                        Some((start, _)) if frame.pts_ms < start => continue,
                        Some((_, end)) if frame.pts_ms >= end => {
                            // The window's end: the rest of the source is not read.
                            self.inner = Inner::Done;
                            return Ok(None);
                        }
                        _ => return Ok(Some(frame)),
                    }
                }
                Ok(None) => {
                    let end = match &self.inner {
                        Inner::Y4m(f) => f.duration_ms(),
                        Inner::Images(f) => f.duration_ms(),
                        Inner::Ffmpeg(f) => f.duration_ms(),
                        Inner::Done => None,
                    };
                    if self.info.duration_ms.is_none() && self.window_ms.is_none() {
                        self.info.duration_ms = end;
                    }
                    if let Inner::Ffmpeg(f) = &self.inner {
                        self.damage = f.damage();
                    }
                    self.inner = Inner::Done;
                    return Ok(None);
                }
                Err(e) => {
                    self.inner = Inner::Done;
                    return Err(e);
                }
            }
        }
    }
}

impl Iterator for FrameSource {
    type Item = Result<Frame>;

    fn next(&mut self) -> Option<Result<Frame>> {
        self.next_frame().transpose()
    }
}

fn starts_with_y4m_magic(path: &Path) -> Result<bool> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut buf = [0u8; 9];
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(&buf[..got] == Y4M_MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_keeps_its_frames_and_their_times() {
        let video = crate::synth::SynthVideo::new(7)
            .size(64, 48)
            .fps(10)
            .duration_ms(3000);
        let mut y4m = Vec::new();
        video.write_y4m(&mut y4m).unwrap();
        let times = |window_ms| {
            let opts = DecodeOptions {
                fps: None,
                window_ms,
                ..DecodeOptions::default()
            };
            FrameSource::y4m_reader(std::io::Cursor::new(y4m.clone()), "w.y4m", &opts)
                .unwrap()
                .map(|f| f.map(|f| f.pts_ms))
                .collect::<Result<Vec<u64>>>()
                .unwrap()
        };
        assert_eq!(times(Some((1200, 1700))), [1200, 1300, 1400, 1500, 1600]);
        assert_eq!(times(None).len(), 30);
        assert!(times(Some((5000, 6000))).is_empty());
        let empty = DecodeOptions {
            window_ms: Some((10, 10)),
            ..DecodeOptions::default()
        };
        assert!(empty.validate().is_err());
    }

    #[test]
    fn sources_can_move_between_threads() {
        fn send<T: Send>() {}
        send::<FrameSource>();
        send::<Frame>();
    }

    #[test]
    fn rational_approximation() {
        assert_eq!(Rational::approximate(1.0), Rational { num: 1, den: 1 });
        assert_eq!(Rational::approximate(0.5), Rational { num: 1, den: 2 });
        assert_eq!(
            Rational::approximate(30000.0 / 1001.0),
            Rational {
                num: 30000,
                den: 1001
            }
        );
        assert_eq!(
            Rational::approximate(2.997),
            Rational {
                num: 2997,
                den: 1000
            }
        );
    }

    fn kept(input: Rational, output: Option<Rational>, frames: u64) -> Vec<u64> {
        let mut s = Sampler::new(input, output);
        (0..frames).filter(|&i| s.keep(i)).collect()
    }

    #[test]
    fn sampler_keeps_the_first_frame_of_each_slot() {
        let ten = Rational { num: 10, den: 1 };
        let one = Some(Rational { num: 1, den: 1 });
        let four = Some(Rational { num: 4, den: 1 });
        // 10 fps at 1 fps: frames 0, 10, 20 at 0, 1, 2 s.
        let at1 = kept(ten, one, 25);
        assert_eq!(at1, [0, 10, 20]);
        let s = Sampler::new(ten, one);
        let t: Vec<u64> = at1.iter().map(|&i| s.pts_ms(i)).collect();
        assert_eq!(t, [0, 1000, 2000]);
        // 10 fps at 4 fps: first frame in each quarter second: 0.0, 0.3, 0.5, 0.8, 1.0 s.
        let at4 = kept(ten, four, 11);
        assert_eq!(at4, [0, 3, 5, 8, 10]);
        // The 1 fps sample is a subset of the 4 fps sample (the bug this rule fixes).
        let at4 = kept(ten, four, 25);
        assert!(at1.iter().all(|i| at4.contains(i)), "{at1:?} {at4:?}");
        // 25 fps at 1 fps: frames 0, 25, 50, ...
        let at1 = kept(Rational { num: 25, den: 1 }, one, 132);
        assert_eq!(at1, [0, 25, 50, 75, 100, 125]);
        // NTSC at 1 fps: slot boundaries fall between frames.
        let ntsc = Rational {
            num: 30000,
            den: 1001,
        };
        assert_eq!(kept(ntsc, one, 91), [0, 30, 60, 90]);
        assert_eq!(Sampler::new(ntsc, None).pts_ms(30), 1001);
        // Faster than the input: every frame, never duplicated.
        assert_eq!(
            kept(
                Rational { num: 1, den: 1 },
                Some(Rational { num: 2, den: 1 }),
                3
            ),
            [0, 1, 2]
        );
        assert_eq!(kept(ntsc, None, 4), [0, 1, 2, 3]);
    }

    #[test]
    fn scaled_size_rounds_like_ffmpeg() {
        assert_eq!(scaled_size(1280, 720, Some(256)), (256, 144));
        assert_eq!(scaled_size(320, 241, Some(256)), (256, 193));
        assert_eq!(scaled_size(200, 100, Some(256)), (200, 100));
        assert_eq!(scaled_size(1280, 720, None), (1280, 720));
        assert_eq!(scaled_size(10000, 1, Some(256)), (256, 1));
    }

    #[test]
    fn limits_reject_before_allocating() {
        let l = Limits::default();
        let p = Path::new("x.y4m");
        assert!(matches!(
            l.check_size(p, 99_999_999, 2),
            Err(Error::Limit {
                what: "frame width",
                ..
            })
        ));
        assert!(matches!(
            l.check_size(p, 16384, 16384),
            Err(Error::Limit {
                what: "frame pixel count",
                ..
            })
        ));
        assert!(matches!(l.check_size(p, 0, 5), Err(Error::Format { .. })));
        assert!(l.check_size(p, 1920, 1080).is_ok());
    }

    #[test]
    fn crop_copies_the_inside() {
        let f = Frame {
            pts_ms: 5,
            width: 4,
            height: 3,
            luma: (0..12).collect(),
            scale: 1.0,
        };
        let c = Crop {
            left: 1,
            top: 1,
            right: 1,
            bottom: 0,
        };
        let g = f.cropped(&c);
        assert_eq!((g.width, g.height, g.pts_ms), (2, 2, 5));
        assert_eq!(g.luma, [5, 6, 9, 10]);
    }
}
