//! A directory of numbered image frames (png, jpeg) at a stated frame rate.
//!
//! Files are ordered by the last run of digits in their name, then by name; files with another
//! extension or without a number are ignored. Colour frames are reduced to luma with the
//! BT.601 weights PDQ uses (`0.299 R + 0.587 G + 0.114 B`).

use std::path::{Path, PathBuf};

use super::scale::{AreaScaler, Range};
use super::{DecodeOptions, Frame, Rational, Sampler, SourceInfo, rescale_round, scaled_size};
use crate::error::{Error, Result};

pub(crate) struct ImageFrames {
    files: Vec<PathBuf>,
    rate: Rational,
    sampler: Sampler,
    max_width: Option<u32>,
    limits: super::Limits,
    first_size: (u32, u32),
    index: usize,
    scaler: Option<AreaScaler>,
}

/// The last run of ASCII digits in a file stem.
fn frame_number(stem: &str) -> Option<u64> {
    let end = stem.rfind(|c: char| c.is_ascii_digit())? + 1;
    let start = stem[..end]
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    stem[start..end].parse().ok()
}

/// Most pixels one byte of a compressed image can stand for: a uniform progressive JPEG or a
/// deflated PNG of one colour stays above one byte per few thousand pixels, so a file far
/// smaller than its header's size claims is damaged or lying.
const MAX_PIXELS_PER_BYTE: u64 = 4096;

/// The same for a baseline (sequential) JPEG, which codes every 8×8 block of every
/// component with at least a DC and an end-of-block code (a bit each at best): 256 pixels a
/// byte at most.
const MAX_PIXELS_PER_BYTE_BASELINE_JPEG: u64 = 256;

/// True when the JPEG's frame header is baseline or extended sequential (SOF0, SOF1): its
/// blocks are coded one by one, without the end-of-block runs of progressive JPEG.
fn is_sequential_jpeg(bytes: &[u8]) -> bool {
    let mut i = 2; // after SOI
    while i + 4 <= bytes.len() && bytes[i] == 0xFF {
        let marker = bytes[i + 1];
        if matches!(marker, 0xC0 | 0xC1) {
            return true;
        }
        if (0xC2..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            return false;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        i += 2 + len;
    }
    false
}

/// Refuses an image whose bytes cannot hold the `w × h` pixels its header claims, and a JPEG
/// without its end-of-image marker (cut short: decoders fill the missing part with gray).
fn check_plausible(
    path: &Path,
    bytes: &[u8],
    format: Option<image::ImageFormat>,
    w: u32,
    h: u32,
) -> Result<()> {
    let pixels = u64::from(w) * u64::from(h);
    let jpeg = format == Some(image::ImageFormat::Jpeg);
    let per_byte = if jpeg && is_sequential_jpeg(bytes) {
        MAX_PIXELS_PER_BYTE_BASELINE_JPEG
    } else {
        MAX_PIXELS_PER_BYTE
    };
    if (bytes.len() as u64).saturating_mul(per_byte) < pixels {
        return Err(Error::format(
            path,
            format!(
                "damaged image: {} bytes cannot hold the {w}x{h} pixels its header claims",
                bytes.len()
            ),
        ));
    }
    if jpeg {
        let end = bytes
            .iter()
            .rposition(|&b| b != 0 && !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        if !bytes[..end].ends_with(&[0xFF, 0xD9]) {
            return Err(Error::format(
                path,
                "truncated JPEG: no end-of-image marker",
            ));
        }
    }
    Ok(())
}

impl ImageFrames {
    pub fn new(dir: &Path, frame_rate: f64, opts: &DecodeOptions) -> Result<ImageFrames> {
        opts.validate()?;
        DecodeOptions {
            image_fps: frame_rate,
            ..opts.clone()
        }
        .validate()?;
        let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        let mut numbered = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let path = entry.path();
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            if !matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg")) {
                continue;
            }
            let Some(n) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(frame_number)
            else {
                continue;
            };
            Error::check_regular(&path)?;
            numbered.push((n, path));
        }
        if numbered.is_empty() {
            return Err(Error::format(
                dir,
                "no numbered image frames (png, jpg, jpeg) in the directory",
            ));
        }
        numbered.sort();
        let files: Vec<PathBuf> = numbered.into_iter().map(|(_, p)| p).collect();
        opts.limits.check_frames(dir, files.len() as u64)?;
        let first_size = image::ImageReader::open(&files[0])
            .map_err(|e| Error::io(&files[0], e))?
            .with_guessed_format()
            .map_err(|e| Error::io(&files[0], e))?
            .into_dimensions()
            .map_err(|e| Error::format(&files[0], format!("cannot read image: {e}")))?;
        let rate = Rational::approximate(frame_rate);
        Ok(ImageFrames {
            files,
            rate,
            sampler: Sampler::new(rate, opts.fps_rational()),
            max_width: opts.max_width,
            limits: opts.limits,
            first_size,
            index: 0,
            scaler: None,
        })
    }

    pub fn info(&self) -> SourceInfo {
        SourceInfo {
            width: self.first_size.0,
            height: self.first_size.1,
            fps: self.rate.as_f64(),
            duration_ms: self.duration_ms(),
        }
    }

    pub fn duration_ms(&self) -> Option<u64> {
        Some(rescale_round(
            self.files.len() as u64,
            1000 * self.rate.den,
            self.rate.num,
        ))
    }

    /// Decodes one frame file: its header first, so a huge image is refused with the limit it
    /// breaks and a damaged or lying one before anything is allocated for its pixels.
    fn decode(&mut self, path: &Path) -> Result<Frame> {
        Error::check_regular(path)?;
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let reader = || {
            image::ImageReader::new(std::io::Cursor::new(&bytes[..]))
                .with_guessed_format()
                .map_err(|e| Error::io(path, e))
        };
        let format = reader()?.format();
        let (w, h) = reader()?
            .into_dimensions()
            .map_err(|e| Error::format(path, format!("cannot read image: {e}")))?;
        self.limits.check_size(path, u64::from(w), u64::from(h))?;
        check_plausible(path, &bytes, format, w, h)?;
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(self.limits.max_width);
        limits.max_image_height = Some(self.limits.max_height);
        limits.max_alloc = Some(self.limits.max_pixels.saturating_mul(8));
        let mut reader = reader()?;
        reader.limits(limits);
        let img = reader
            .decode()
            .map_err(|e| Error::format(path, format!("cannot decode image: {e}")))?;
        let luma: Vec<u8> = match img {
            image::DynamicImage::ImageLuma8(g) => g.into_raw(),
            other => other
                .to_rgb8()
                .pixels()
                .map(|p| {
                    let [r, g, b] = p.0;
                    let y = 0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b);
                    (y + 0.5).min(255.0) as u8
                })
                .collect(),
        };
        let (ow, oh) = scaled_size(w, h, self.max_width);
        let luma = if (ow, oh) == (w, h) {
            luma
        } else {
            let scaler = match &mut self.scaler {
                Some(s) if s.fits(w, h, ow, oh) => s,
                slot => slot.insert(AreaScaler::new(w, h, ow, oh)),
            };
            let mut out = vec![0u8; ow as usize * oh as usize];
            scaler.scale(&luma, &mut out, Range::Full);
            out
        };
        Ok(Frame {
            pts_ms: 0,
            width: ow,
            height: oh,
            luma,
            scale: super::shrink(w, ow),
        })
    }

    pub fn next_frame(&mut self) -> Result<Option<Frame>> {
        loop {
            if self.index >= self.files.len() {
                return Ok(None);
            }
            let i = self.index;
            self.index += 1;
            if self.sampler.keep(i as u64) {
                let path = self.files[i].clone();
                let frame = self.decode(&path)?;
                let pts_ms = self.sampler.pts_ms(i as u64);
                return Ok(Some(Frame { pts_ms, ..frame }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_numbers_are_the_last_digit_run() {
        assert_eq!(frame_number("frame0010"), Some(10));
        assert_eq!(frame_number("v2_shot_7"), Some(7));
        assert_eq!(frame_number("12"), Some(12));
        assert_eq!(frame_number("cover"), None);
        assert_eq!(frame_number("a99999999999999999999999"), None);
    }
}
