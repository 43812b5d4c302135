//! Hashing image files (PNG, JPEG) with the `image` crate.

use std::path::Path;

use crate::error::{Error, Result};

use super::pdq::{Pdq, PdqOutput};

/// Side to which the reference photo tool squashes larger images.
const REFERENCE_RESIZE: usize = 512;

/// Hashes an image file (PNG or JPEG). With `reference_resize`, an image wider or taller
/// than 512 px is first squashed to 512×512 by nearest neighbour (source pixel
/// `floor(x · width / 512)`), as the reference `pdq-photo-hasher` does through CImg; without
/// it the pixels are hashed as decoded. Gray images hash through [`Pdq::hash_gray`],
/// everything else as RGB8 (alpha dropped).
///
/// Hashes equal the reference's for the same decoded pixels; JPEG decoders may differ from
/// the reference's libjpeg by a level here and there, which can move a bit or two.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read, [`Error::Format`] if it is not a decodable
/// image; both name the file.
pub fn hash_image_file(path: &Path, reference_resize: bool) -> Result<PdqOutput> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let img = image::load_from_memory(&bytes)
        .map_err(|e| Error::format(path, format!("not a decodable image: {e}")))?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let gray = matches!(
        img.color(),
        image::ColorType::L8
            | image::ColorType::L16
            | image::ColorType::La8
            | image::ColorType::La16
    );
    let (mut data, channels) = if gray {
        (img.into_luma8().into_raw(), 1)
    } else {
        (img.into_rgb8().into_raw(), 3)
    };
    let (mut w, mut h) = (w, h);
    if reference_resize && (w > REFERENCE_RESIZE || h > REFERENCE_RESIZE) {
        data = squash_nearest(&data, w, h, channels, REFERENCE_RESIZE, REFERENCE_RESIZE);
        (w, h) = (REFERENCE_RESIZE, REFERENCE_RESIZE);
    }
    let mut pdq = Pdq::new();
    let out = if channels == 1 {
        pdq.hash_gray(&data, w, h)
    } else {
        pdq.hash_rgb(&data, w, h)
    };
    out.map_err(|e| Error::format(path, e.to_string()))
}

/// Nearest-neighbour resize of an interleaved image: output `(x, y)` copies input
/// `(floor(x · w / nw), floor(y · h / nh))`.
pub(crate) fn squash_nearest(
    data: &[u8],
    w: usize,
    h: usize,
    channels: usize,
    nw: usize,
    nh: usize,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(nw * nh * channels);
    for y in 0..nh {
        let sy = y * h / nh;
        for x in 0..nw {
            let sx = x * w / nw;
            let at = (sy * w + sx) * channels;
            out.extend_from_slice(&data[at..at + channels]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squash_picks_floor_positions() {
        let data: Vec<u8> = (0..6).collect(); // 3x2 gray
        assert_eq!(squash_nearest(&data, 3, 2, 1, 2, 1), vec![0, 1]);
        assert_eq!(
            squash_nearest(&data, 3, 2, 1, 6, 2),
            vec![0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        );
    }

    #[test]
    fn missing_and_corrupt_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.png");
        let e = hash_image_file(&missing, false).unwrap_err().to_string();
        assert!(e.contains("nope.png"), "{e}");
        let bad = dir.path().join("bad.png");
        std::fs::write(&bad, b"\\x89PNG not really").unwrap();
        let e = hash_image_file(&bad, false).unwrap_err().to_string();
        assert!(
            e.contains("bad.png") && e.contains("not a decodable image"),
            "{e}"
        );
    }
}
