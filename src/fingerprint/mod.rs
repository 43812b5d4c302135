//! A video's sequence of frame hashes with timestamps and source metadata.
//!
//! A [`Fingerprint`] is the ordered list of `(pts_ms, hash, quality)` of a video's sampled
//! frames plus the source's duration, size and frame rate. Frames whose PDQ quality is below a
//! threshold ([`DEFAULT_MIN_QUALITY`], as vPDQ) are kept, so the timeline stays complete, but
//! are marked by [`FrameHash::is_good`] and never count as evidence. vPDQ's text format is read
//! and written by [`Fingerprint::read_vpdq`] and [`Fingerprint::to_vpdq`] (see [`vpdq`]).

pub mod vpdq;

use serde::{Deserialize, Serialize};

use crate::hash::Hash256;

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
