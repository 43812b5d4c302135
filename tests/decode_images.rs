//! Directories of numbered image frames.

use std::path::Path;

use staydown::decode::{DecodeOptions, FrameSource};
use staydown::synth::SynthVideo;
use staydown::{Error, Frame};

fn decode(dir: &Path, rate: f64, opts: &DecodeOptions) -> staydown::Result<Vec<Frame>> {
    FrameSource::images(dir, rate, opts)?.collect()
}

fn save_gray(frame: &Frame, path: &Path) {
    image::GrayImage::from_raw(frame.width, frame.height, frame.luma.clone())
        .unwrap()
        .save(path)
        .unwrap();
}

#[test]
fn numbered_frames_in_numeric_order() {
    let dir = tempfile::tempdir().unwrap();
    let v = SynthVideo::new(31)
        .size(80, 60)
        .fps(4)
        .duration_ms(3000)
        .video();
    for (i, f) in v.frames().enumerate() {
        // Unpadded numbers: "f10" must come after "f9".
        save_gray(&f, &dir.path().join(format!("f{}.png", i + 1)));
    }
    std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
    save_gray(&v.frame(0), &dir.path().join("cover.png")); // no number: ignored
    let frames = decode(dir.path(), 4.0, &DecodeOptions::every_frame()).unwrap();
    assert_eq!(frames.len(), 12);
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(*f, v.frame(i as u64), "frame {i}");
    }
    let src = FrameSource::open(
        dir.path(),
        &DecodeOptions {
            image_fps: 4.0,
            ..DecodeOptions::default()
        },
    )
    .unwrap();
    assert_eq!(src.info().duration_ms, Some(3000));
    let sampled: Vec<Frame> = src.collect::<Result<_, _>>().unwrap();
    let picked: Vec<(u64, Frame)> = sampled.iter().map(|f| (f.pts_ms, f.clone())).collect();
    // 4 fps to 1 fps: second k shows its first frame, 4k, at its own time.
    assert_eq!(picked.len(), 3);
    for (k, (pts, f)) in picked.iter().enumerate() {
        assert_eq!(*pts, 1000 * k as u64);
        assert_eq!(f.luma, v.frame(4 * k as u64).luma);
    }
}

#[test]
fn colour_png_and_jpeg_become_pdq_luma() {
    let dir = tempfile::tempdir().unwrap();
    let img = image::RgbImage::from_pixel(16, 8, image::Rgb([200, 100, 50]));
    img.save(dir.path().join("a_0001.png")).unwrap();
    img.save(dir.path().join("a_0002.jpg")).unwrap();
    let frames = decode(dir.path(), 1.0, &DecodeOptions::every_frame()).unwrap();
    // 0.299 * 200 + 0.587 * 100 + 0.114 * 50 = 124.2
    assert!(frames[0].luma.iter().all(|&v| v == 124));
    assert!(frames[1].luma.iter().all(|&v| (122..=126).contains(&v)));
    assert_eq!(frames[1].pts_ms, 1000);
}

fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&width.to_be_bytes());
    chunk.extend_from_slice(&height.to_be_bytes());
    chunk.extend_from_slice(&[8, 0, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&chunk);
    png.extend_from_slice(&crc32fast::hash(&chunk).to_be_bytes());
    for name in [&b"IDAT"[..], b"IEND"] {
        png.extend_from_slice(&0u32.to_be_bytes());
        png.extend_from_slice(name);
        png.extend_from_slice(&crc32fast::hash(name).to_be_bytes());
    }
    png
}

#[test]
fn bad_sequences_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let e = decode(dir.path(), 25.0, &DecodeOptions::default()).unwrap_err();
    assert!(e.to_string().contains("no numbered image frames"), "{e}");

    save_gray(
        &SynthVideo::new(1).size(16, 16).video().frame(0),
        &dir.path().join("1.png"),
    );
    std::fs::write(dir.path().join("2.png"), b"\x89PNG\r\n\x1a\ngarbage").unwrap();
    let e = decode(dir.path(), 25.0, &DecodeOptions::every_frame()).unwrap_err();
    assert!(e.to_string().contains("2.png: cannot"), "{e}");

    std::fs::write(dir.path().join("2.png"), png_header_only(200_000, 200_000)).unwrap();
    let e = decode(dir.path(), 25.0, &DecodeOptions::every_frame()).unwrap_err();
    assert!(matches!(e, Error::Limit { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("2.png: frame width exceeds the limit"),
        "{e}"
    );

    let e = decode(dir.path(), 0.0, &DecodeOptions::default()).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
}
