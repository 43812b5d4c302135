//! Native Y4M decoding: exact frames, sampling, scaling, limits and bad inputs (no ffmpeg).

use std::io::Cursor;
use std::path::Path;

use staydown::decode::{DecodeOptions, FrameSource, Limits, downscale};
use staydown::synth::SynthVideo;
use staydown::{Error, Frame};

fn y4m_bytes(v: &staydown::synth::Video) -> Vec<u8> {
    let mut out = Vec::new();
    v.write_y4m(&mut out).unwrap();
    out
}

fn decode(bytes: Vec<u8>, opts: &DecodeOptions) -> staydown::Result<Vec<Frame>> {
    FrameSource::y4m_reader(Cursor::new(bytes), "mem.y4m", opts)?.collect()
}

#[test]
fn every_frame_full_resolution_is_exact() {
    let v = SynthVideo::new(11)
        .size(96, 72)
        .fps(10)
        .duration_ms(2000)
        .video();
    let frames = decode(y4m_bytes(&v), &DecodeOptions::every_frame()).unwrap();
    assert_eq!(frames.len(), 20);
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(*f, v.frame(i as u64), "frame {i}");
    }
}

#[test]
fn default_options_sample_one_per_second_and_downscale() {
    let v = SynthVideo::new(12)
        .size(320, 240)
        .fps(25)
        .duration_ms(10_000)
        .video();
    let frames = decode(y4m_bytes(&v), &DecodeOptions::default()).unwrap();
    let times: Vec<u64> = frames.iter().map(|f| f.pts_ms).collect();
    assert_eq!(times, (0..10).map(|s| s * 1000).collect::<Vec<_>>());
    for (k, f) in frames.iter().enumerate() {
        assert_eq!((f.width, f.height), (256, 192));
        // Second k shows its first frame, 25k.
        let expected = downscale(v.frame(25 * k as u64), Some(256));
        assert_eq!(f.luma, expected.luma, "slot {k}");
    }
}

#[test]
fn sampling_rates() {
    let v = SynthVideo::new(13)
        .size(32, 24)
        .fps(10)
        .duration_ms(6000)
        .video();
    let bytes = y4m_bytes(&v);
    for (fps, expected) in [
        (0.5, vec![0, 2000, 4000]),
        (2.0, (0..12).map(|i| i * 500).collect()),
        // The first frame of each third of a second, at its own time: 0, 0.4, 0.7, 1.0, 1.4 s…
        (
            3.0,
            (0..18u64).map(|k| (k * 10).div_ceil(3) * 100).collect(),
        ),
    ] {
        let opts = DecodeOptions {
            fps: Some(fps),
            ..DecodeOptions::default()
        };
        let times: Vec<u64> = decode(bytes.clone(), &opts)
            .unwrap()
            .iter()
            .map(|f| f.pts_ms)
            .collect();
        assert_eq!(times, expected, "at {fps} fps");
    }
}

#[test]
fn open_picks_y4m_by_extension_and_by_magic() {
    let dir = tempfile::tempdir().unwrap();
    let v = SynthVideo::new(14)
        .size(64, 48)
        .fps(5)
        .duration_ms(3000)
        .video();
    let a = dir.path().join("clip.y4m");
    let b = dir.path().join("clip.bin");
    v.save_y4m(&a).unwrap();
    v.save_y4m(&b).unwrap();
    for p in [&a, &b] {
        let src = FrameSource::open(p, &DecodeOptions::default()).unwrap();
        let info = src.info().clone();
        assert_eq!((info.width, info.height, info.fps), (64, 48, 5.0));
        assert_eq!(info.duration_ms, Some(3000));
        assert_eq!(src.count(), 3);
    }
}

fn error_of(bytes: &[u8], opts: &DecodeOptions) -> Error {
    match decode(bytes.to_vec(), opts) {
        Ok(f) => panic!("accepted {} frames", f.len()),
        Err(e) => e,
    }
}

#[test]
fn absurd_headers_fail_before_allocating() {
    let opts = DecodeOptions::default();
    let e = error_of(b"YUV4MPEG2 W4000000000 H4000000000 F25:1\nFRAME\n", &opts);
    assert!(matches!(e, Error::Limit { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("mem.y4m: frame width exceeds the limit"),
        "{e}"
    );
    let e = error_of(b"YUV4MPEG2 W16000 H16000 F25:1\nFRAME\n", &opts);
    assert!(
        e.to_string().contains("pixel count exceeds the limit"),
        "{e}"
    );
    let e = error_of(b"YUV4MPEG2 W99999999999999999999999 H2\n", &opts);
    assert!(e.to_string().contains("bad dimension"), "{e}");
}

#[test]
fn frame_count_limit() {
    let v = SynthVideo::new(15)
        .size(16, 16)
        .fps(10)
        .duration_ms(2000)
        .video();
    let opts = DecodeOptions {
        limits: Limits {
            max_frames: 5,
            ..Limits::default()
        },
        ..DecodeOptions::every_frame()
    };
    let e = error_of(&y4m_bytes(&v), &opts);
    assert!(
        e.to_string()
            .contains("frame count exceeds the limit (6 > 5)"),
        "{e}"
    );
}

#[test]
fn truncated_file_names_the_file_and_frame() {
    let dir = tempfile::tempdir().unwrap();
    let v = SynthVideo::new(16)
        .size(32, 32)
        .fps(10)
        .duration_ms(1000)
        .video();
    let bytes = y4m_bytes(&v);
    // Header, then 10 frames of 6 + 1024 + 512 bytes; cut inside frame #4's luma.
    let header = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let cut = header + 4 * 1542 + 6 + 100;
    let path = dir.path().join("cut.y4m");
    std::fs::write(&path, &bytes[..cut]).unwrap();
    let result: staydown::Result<Vec<Frame>> =
        FrameSource::open(&path, &DecodeOptions::every_frame())
            .unwrap()
            .collect();
    let msg = result.unwrap_err().to_string();
    assert!(msg.contains("cut.y4m"), "{msg}");
    assert!(msg.contains("frame #4"), "{msg}");
    assert!(msg.contains("expected 1024 bytes, got 100"), "{msg}");
}

#[test]
fn empty_and_garbage_inputs() {
    let opts = DecodeOptions::default();
    for (bytes, want) in [
        (&b""[..], "empty input"),
        (b"YUV4MPEG2", "truncated Y4M header"),
        (b"\x00\x00\x00\x18ftypisom", "not a Y4M"),
        (b"YUV4MPEG2 W8 H8 C420\nFRAME\n", "frame #0"),
        (b"YUV4MPEG2 W8 H8 C420\nFRAMS\n", "expected a FRAME header"),
    ] {
        let e = error_of(bytes, &opts);
        assert!(e.to_string().contains(want), "{want}: {e}");
    }
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    let e = FrameSource::open(&empty, &opts).unwrap_err();
    assert!(e.to_string().contains("empty.mp4: empty file"), "{e}");
    let e = FrameSource::open(Path::new("/nonexistent/x.y4m"), &opts).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
}

#[test]
fn random_bytes_never_panic() {
    let v = SynthVideo::new(17)
        .size(16, 16)
        .fps(5)
        .duration_ms(1000)
        .video();
    let good = y4m_bytes(&v);
    let mut state = 0x1234_5678_u64;
    for round in 0..300 {
        let mut bytes = good.clone();
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let n = 1 + (state >> 60) as usize;
        for k in 0..n {
            let s = state.rotate_left(k as u32 * 7);
            let pos = (s as usize)
                % bytes
                    .len()
                    .min(if round % 2 == 0 { 80 } else { usize::MAX });
            bytes[pos] = (s >> 32) as u8;
        }
        if round % 3 == 0 {
            bytes.truncate((state as usize) % bytes.len());
        }
        let _ = decode(bytes, &DecodeOptions::every_frame());
    }
}
