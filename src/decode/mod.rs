//! Turning a file or stream into timestamped grayscale frames at a sampling rate.

/// One decoded frame: an 8-bit luma plane (row-major, `width * height` bytes) and its
/// presentation time in milliseconds of video time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Presentation time in milliseconds from the start of the video.
    pub pts_ms: u64,
    /// Width of the plane in pixels.
    pub width: u32,
    /// Height of the plane in pixels.
    pub height: u32,
    /// Luma samples, row-major, `width * height` bytes (full range 0..=255).
    pub luma: Vec<u8>,
}
