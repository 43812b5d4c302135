//! A video's sequence of frame hashes with timestamps and source metadata.

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
