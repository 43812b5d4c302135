//! A video's sequence of frame hashes with timestamps and source metadata.
//!
//! A [`Fingerprint`] is the ordered list of `(pts_ms, hash, quality)` of a video's sampled
//! frames plus the source's duration, size and frame rate. Frames whose PDQ quality is below a
//! threshold ([`DEFAULT_MIN_QUALITY`], as vPDQ) are kept, so the timeline stays complete, but
//! are marked by [`FrameHash::is_good`] and never count as evidence. vPDQ's text format is read
//! and written by [`Fingerprint::read_vpdq`] and [`Fingerprint::to_vpdq`] (see [`vpdq`]).

mod fanout;
pub mod vpdq;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::decode::{BorderDetector, BorderTracker, DecodeOptions, Frame, FrameSource};
use crate::error::Result;
use crate::hash::{CropHasher, Hash256, Kernel, Pdq, Rect};

pub use fanout::{FrameMap, fingerprint_each};
pub(crate) use fanout::{Worker, decode_into, fan_out, panicked, with_source_info};

/// The hash of one sampled frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameHash {
    /// Presentation time in milliseconds from the start of the video.
    pub pts_ms: u64,
    /// The PDQ hash of the frame.
    pub hash: Hash256,
    /// PDQ quality, 0..=100.
    pub quality: u8,
    /// The hash of the horizontally mirrored frame, when the fingerprinter was asked for it
    /// (queries carry it so mirrored re-uploads are found; banked works do not need it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mirror: Option<Hash256>,
}

/// A video's frame hashes in time order, with the source's metadata.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Frame hashes, ordered by `pts_ms`.
    pub frames: Vec<FrameHash>,
    /// Duration of the source in milliseconds (0 when unknown).
    pub duration_ms: u64,
    /// Width of the source frames in pixels (before any border crop).
    pub width: u32,
    /// Height of the source frames in pixels (before any border crop).
    pub height: u32,
    /// Frame rate of the source in frames per second (0 when unknown).
    pub fps: f64,
}

/// PDQ quality below which a frame is marked low quality (flat, black, fades): 50, the
/// threshold vPDQ uses.
pub const DEFAULT_MIN_QUALITY: u8 = 50;

impl FrameHash {
    /// Whether the frame's quality is at least `min_quality` (inclusive): only such frames
    /// count as evidence.
    #[inline]
    pub fn is_good(&self, min_quality: u8) -> bool {
        self.quality >= min_quality
    }
}

impl Fingerprint {
    /// The frames whose quality is at least `min_quality`.
    pub fn good_frames(&self, min_quality: u8) -> impl Iterator<Item = &FrameHash> + '_ {
        self.frames.iter().filter(move |f| f.is_good(min_quality))
    }

    /// Number of frames whose quality is at least `min_quality`.
    pub fn good_count(&self, min_quality: u8) -> usize {
        self.good_frames(min_quality).count()
    }

    /// The duration when known, else the time of the last frame plus the median interval
    /// between frames (0 for an empty fingerprint).
    pub fn duration_or_estimate_ms(&self) -> u64 {
        if self.duration_ms > 0 {
            return self.duration_ms;
        }
        let Some(last) = self.frames.last() else {
            return 0;
        };
        let mut gaps: Vec<u64> = self
            .frames
            .windows(2)
            .map(|w| w[1].pts_ms.saturating_sub(w[0].pts_ms))
            .collect();
        gaps.sort_unstable();
        last.pts_ms + gaps.get(gaps.len() / 2).copied().unwrap_or(0)
    }
}

/// Turns videos (or frames decoded elsewhere) into [`Fingerprint`]s: optional black-border
/// crop, then the PDQ hash of every sampled frame (on the decoder's downscaled plane, the
/// fast path; use [`DecodeOptions::every_frame`]-style `max_width: None` for reference-exact
/// hashes of full-resolution frames).
///
/// Borders are found per frame and followed through the video by a [`BorderTracker`] (see
/// it for the rule and for the rescaling of a cropped plane to the size the decoder would
/// have given the content without bars), the same way at banking (every frame) and at
/// checking: the runs it crops together are cut at the same seconds whatever the sampling
/// rate.
///
/// ```
/// use staydown::fingerprint::Fingerprinter;
/// use staydown::synth::SynthVideo;
///
/// let video = SynthVideo::new(3).size(160, 120).fps(10).duration_ms(3000).video();
/// let fp = Fingerprinter::new().fingerprint_frames(video.frames().step_by(10))?;
/// assert_eq!(fp.frames.len(), 3);
/// assert_eq!(fp.frames[1].pts_ms, 1000);
/// # Ok::<(), staydown::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Fingerprinter {
    /// Frames with a PDQ quality below this are kept but not good (see
    /// [`FrameHash::is_good`]). Default [`DEFAULT_MIN_QUALITY`].
    pub min_quality: u8,
    /// Also compute each frame's mirror hash (queries want it; banked works need not).
    /// Default false.
    pub with_mirror: bool,
    /// Detect and crop black borders before hashing. Default true.
    pub crop_borders: bool,
    /// The border rule (per frame, and the window of video time over which a run of
    /// frames shares one crop).
    pub border: BorderDetector,
    /// How a plane the decoder shrank is blurred (see [`Kernel`]). Default
    /// [`Kernel::Source`]: the reference's hash of the full-size frame, within a few bits.
    pub kernel: Kernel,
}

impl Default for Fingerprinter {
    fn default() -> Self {
        Fingerprinter {
            min_quality: DEFAULT_MIN_QUALITY,
            with_mirror: false,
            crop_borders: true,
            border: BorderDetector::default(),
            kernel: Kernel::default(),
        }
    }
}

/// What hashing a stream of frames produced.
struct Hashed {
    frames: Vec<FrameHash>,
    first_size: Option<(u32, u32)>,
}

impl Fingerprinter {
    /// The default fingerprinter.
    pub fn new() -> Fingerprinter {
        Fingerprinter::default()
    }

    /// Whether a frame's quality reaches this fingerprinter's `min_quality`.
    pub fn is_good(&self, frame: &FrameHash) -> bool {
        frame.is_good(self.min_quality)
    }

    /// Decodes `path` (see [`FrameSource::open`]) and fingerprints it.
    ///
    /// # Errors
    /// The decoder's errors (naming the file and the cause).
    pub fn fingerprint_path(
        &self,
        path: impl AsRef<Path>,
        opts: &DecodeOptions,
    ) -> Result<Fingerprint> {
        self.fingerprint_source(FrameSource::open(path, opts)?)
    }

    /// Fingerprints every frame a source yields; metadata comes from the source.
    ///
    /// # Errors
    /// The decoder's errors.
    pub fn fingerprint_source(&self, mut source: FrameSource) -> Result<Fingerprint> {
        let source_width = Some(source.info().width).filter(|&w| w > 0);
        let hashed = self.hash_all(
            std::iter::from_fn(|| source.next_frame().transpose()),
            source_width,
        )?;
        let info = source.info();
        Ok(Fingerprint {
            frames: hashed.frames,
            duration_ms: info.duration_ms.unwrap_or(0),
            width: info.width,
            height: info.height,
            fps: info.fps,
        })
    }

    /// Fingerprints frames decoded elsewhere (in presentation order). Width and height are
    /// the first frame's; frame rate and duration are left unknown (0).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a frame whose plane does not
    /// match its size.
    pub fn fingerprint_frames(
        &self,
        frames: impl IntoIterator<Item = Frame>,
    ) -> Result<Fingerprint> {
        let hashed = self.hash_all(frames.into_iter().map(Ok), None)?;
        let (width, height) = hashed.first_size.unwrap_or((0, 0));
        Ok(Fingerprint {
            frames: hashed.frames,
            width,
            height,
            ..Fingerprint::default()
        })
    }

    /// Hashes the frames; `source_width` is the width of the source before the decoder's
    /// downscaling, when known.
    fn hash_all(
        &self,
        frames: impl Iterator<Item = Result<Frame>>,
        source_width: Option<u32>,
    ) -> Result<Hashed> {
        let mut pdq = Pdq::new();
        let mut crop = CropHasher::new();
        let mut hashed = Vec::new();
        let first_size = self.for_each_cropped(frames, source_width, |frame| {
            hashed.push(self.hash_frame(&mut pdq, &mut crop, &frame)?);
            Ok(())
        })?;
        Ok(Hashed {
            frames: hashed,
            first_size,
        })
    }

    /// Calls `each` with every frame, in order, its black borders cropped as this
    /// fingerprinter does before hashing (see the type's docs; nothing is cropped when
    /// `crop_borders` is off). Returns the size of the first frame. `source_width` is the
    /// width of the source before the decoder's downscaling, when known.
    ///
    /// # Errors
    /// The first error of `frames` or of `each`.
    pub(crate) fn for_each_cropped(
        &self,
        frames: impl Iterator<Item = Result<Frame>>,
        source_width: Option<u32>,
        mut each: impl FnMut(Frame) -> Result<()>,
    ) -> Result<Option<(u32, u32)>> {
        let mut seen = None;
        if !self.crop_borders {
            for frame in frames {
                let frame = frame?;
                seen.get_or_insert((frame.width, frame.height));
                each(frame)?;
            }
            return Ok(seen);
        }
        let mut tracker = BorderTracker::new(self.border).source_width(source_width);
        for frame in frames {
            let frame = frame?;
            seen.get_or_insert((frame.width, frame.height));
            for cropped in tracker.push(frame) {
                each(cropped)?;
            }
        }
        for cropped in tracker.finish() {
            each(cropped)?;
        }
        Ok(seen)
    }

    fn hash_frame(&self, pdq: &mut Pdq, crop: &mut CropHasher, frame: &Frame) -> Result<FrameHash> {
        let (w, h) = (frame.width as usize, frame.height as usize);
        let scale = self.kernel.scale(frame.scale, frame.width);
        let (out, mirror) = if scale > 1.0 {
            crate::hash::check_dims(frame.luma.len(), w, h, 1)?;
            let rect = Rect {
                x: 0,
                y: 0,
                width: frame.width,
                height: frame.height,
            };
            let out = crop.hash_scaled(&frame.luma, frame.width, rect, false, scale);
            let mirror = self.with_mirror.then(|| {
                crop.hash_scaled(&frame.luma, frame.width, rect, true, scale)
                    .hash
            });
            (out, mirror)
        } else if self.with_mirror {
            let (out, mirror) = pdq.hash_gray_with_mirror(&frame.luma, w, h)?;
            (out, Some(mirror))
        } else {
            (pdq.hash_gray(&frame.luma, w, h)?, None)
        };
        Ok(FrameHash {
            pts_ms: frame.pts_ms,
            hash: out.hash,
            quality: out.quality,
            mirror,
        })
    }
}
