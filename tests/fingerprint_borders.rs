//! Letterboxed, pillarboxed and windowboxed copies hash close to the original once their
//! bars are cropped (native Y4M path, no ffmpeg).

use std::io::Cursor;

use staydown::decode::{DecodeOptions, FrameSource};
use staydown::fingerprint::{Fingerprint, Fingerprinter};
use staydown::synth::{SynthVideo, Video};

fn fingerprint(v: &Video, fingerprinter: &Fingerprinter) -> Fingerprint {
    let mut y4m = Vec::new();
    v.write_y4m(&mut y4m).unwrap();
    let src =
        FrameSource::y4m_reader(Cursor::new(y4m), "copy.y4m", &DecodeOptions::default()).unwrap();
    fingerprinter.fingerprint_source(src).unwrap()
}

/// Mean and max Hamming distance between frames with the same timestamp.
fn distances(a: &Fingerprint, b: &Fingerprint) -> (f64, u32) {
    assert_eq!(a.frames.len(), b.frames.len());
    let d: Vec<u32> = a
        .frames
        .iter()
        .zip(&b.frames)
        .map(|(x, y)| {
            assert_eq!(x.pts_ms, y.pts_ms);
            x.hash.distance(&y.hash)
        })
        .collect();
    (
        d.iter().sum::<u32>() as f64 / d.len() as f64,
        d.iter().copied().max().unwrap(),
    )
}

#[test]
fn bars_are_cropped_before_hashing() {
    let fp = Fingerprinter::new();
    let no_crop = Fingerprinter {
        crop_borders: false,
        ..Fingerprinter::new()
    };
    // A 16:9 original; the letterboxed copy puts it in a 4:3 frame (30 px bars), the
    // pillarboxed copy in a wider frame, the windowboxed one both.
    let original = SynthVideo::new(41)
        .size(320, 180)
        .fps(10)
        .duration_ms(10_000)
        .video();
    let base = fingerprint(&original, &fp);
    assert_eq!(base.frames.len(), 10);
    let copies = [
        ("letterbox", original.letterbox(30.0 / 180.0)),
        ("pillarbox", original.pillarbox(0.15)),
        ("windowbox", original.letterbox(0.1).pillarbox(0.1)),
        // Bars, then rescaled to a standard size, as an upload platform would.
        (
            "letterbox+rescale",
            original.letterbox(30.0 / 180.0).resize(640, 480),
        ),
    ];
    for (name, copy) in copies {
        let (mean, max) = distances(&base, &fingerprint(&copy, &fp));
        let (mean_raw, max_raw) = distances(&base, &fingerprint(&copy, &no_crop));
        eprintln!(
            "{name}: cropped mean {mean:.1} max {max} bits; uncropped mean {mean_raw:.1} max {max_raw} bits"
        );
        assert!(mean <= 12.0 && max <= 24, "{name}: mean {mean} max {max}");
        assert!(mean_raw > mean + 10.0, "{name}: the crop should matter");
    }
}

#[test]
fn unbarred_video_is_not_cropped() {
    let v = SynthVideo::new(42).size(160, 120).duration_ms(5000).video();
    let with = fingerprint(&v, &Fingerprinter::new());
    let without = fingerprint(
        &v,
        &Fingerprinter {
            crop_borders: false,
            ..Fingerprinter::new()
        },
    );
    assert_eq!(with.frames, without.frames);
}
