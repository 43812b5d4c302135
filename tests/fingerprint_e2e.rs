//! Fingerprints end to end: native and ffmpeg decodes of one video agree, real clips give
//! good frames, low-quality frames are kept but marked, mirrors and unrelated videos.

use std::path::Path;
use std::process::Command;

use staydown::decode::{DecodeOptions, FrameSource};
use staydown::fingerprint::{Fingerprint, Fingerprinter};
use staydown::synth::SynthVideo;

fn have_ffmpeg() -> bool {
    let program = std::env::var("STAYDOWN_FFMPEG").unwrap_or_else(|_| "ffmpeg".into());
    let ok = Command::new(&program)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipping: ffmpeg not found ({program}); install it to run this test");
    }
    ok
}

fn distances(a: &Fingerprint, b: &Fingerprint) -> Vec<u32> {
    assert_eq!(a.frames.len(), b.frames.len());
    a.frames
        .iter()
        .zip(&b.frames)
        .map(|(x, y)| {
            assert_eq!(x.pts_ms, y.pts_ms);
            x.hash.distance(&y.hash)
        })
        .collect()
}

fn summary(d: &[u32]) -> (f64, u32) {
    (
        d.iter().sum::<u32>() as f64 / d.len() as f64,
        d.iter().copied().max().unwrap_or(0),
    )
}

#[test]
fn native_y4m_and_ffmpeg_fingerprints_agree() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("synth.y4m");
    SynthVideo::new(51)
        .size(320, 240)
        .duration_ms(10_000)
        .video()
        .save_y4m(&path)
        .unwrap();
    let fpr = Fingerprinter::new();
    let opts = DecodeOptions::default();
    let native = fpr.fingerprint_path(&path, &opts).unwrap();
    let via_ffmpeg = fpr
        .fingerprint_source(FrameSource::ffmpeg(&path, &opts).unwrap())
        .unwrap();
    assert_eq!(native.frames.len(), 10);
    assert_eq!((native.width, native.height, native.fps), (320, 240, 25.0));
    assert_eq!(native.duration_ms, 10_000);
    assert_eq!(
        (
            via_ffmpeg.width,
            via_ffmpeg.height,
            via_ffmpeg.fps,
            via_ffmpeg.duration_ms
        ),
        (320, 240, 25.0, 10_000)
    );
    let (mean, max) = summary(&distances(&native, &via_ffmpeg));
    eprintln!("native vs ffmpeg decode: mean {mean:.2} max {max} bits");
    assert!(max <= 8, "mean {mean} max {max}");
}

#[test]
fn real_clip_fingerprint_and_vpdq_file_round_trip() {
    if !have_ffmpeg() {
        return;
    }
    let clip = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/video/bbb-720p.mp4");
    let fpr = Fingerprinter::new();
    let fp = fpr
        .fingerprint_path(&clip, &DecodeOptions::default())
        .unwrap();
    // The first frame of each second of the 5.28 s clip: 0, 1, 2, 3, 4 and 5 s.
    assert_eq!(fp.frames.len(), 6);
    assert_eq!(
        (fp.width, fp.height, fp.fps, fp.duration_ms),
        (1280, 720, 25.0, 5280)
    );
    assert_eq!(fp.good_count(50), 6, "{:?}", fp.frames);
    let small = fpr
        .fingerprint_path(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/video/bbb-360p.mp4"),
            &DecodeOptions::default(),
        )
        .unwrap();
    let (mean, max) = summary(&distances(&fp, &small));
    eprintln!("bbb 720p vs 360p re-encode: mean {mean:.1} max {max} bits");
    assert!(max <= 31);

    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("bbb.vpdq");
    let mut file = std::fs::File::create(&list).unwrap();
    fp.write_vpdq(&mut file).unwrap();
    drop(file);
    let text = std::fs::read_to_string(&list).unwrap();
    assert!(text.lines().nth(1).unwrap().starts_with("25,"), "{text}");
    assert!(text.lines().nth(1).unwrap().ends_with(",1.000"), "{text}");
    let back = Fingerprint::read_vpdq_file(&list).unwrap();
    assert_eq!(back.frames, fp.frames);
    assert_eq!(back.fps, 25.0);
}

#[test]
fn low_quality_frames_are_kept_but_marked() {
    let v = SynthVideo::new(52)
        .size(160, 120)
        .fps(10)
        .duration_ms(3000)
        .video();
    // Fade to black for the middle second.
    let dark = v.trim(1000, 2000).brightness_contrast(-255.0, 1.0);
    let faded = v.trim(0, 1000).then(&dark).then(&v.trim(2000, 3000));
    let fpr = Fingerprinter::new();
    let fp = fpr.fingerprint_frames(faded.frames().step_by(5)).unwrap();
    assert_eq!(fp.frames.len(), 6);
    let good: Vec<bool> = fp.frames.iter().map(|f| fpr.is_good(f)).collect();
    assert_eq!(
        good,
        [true, true, false, false, true, true],
        "{:?}",
        fp.frames
    );
    assert_eq!(fp.good_count(50), 4);
}

#[test]
fn mirrored_copy_matches_the_mirror_hash_and_unrelated_videos_do_not() {
    let v = SynthVideo::new(53).size(320, 240).duration_ms(6000).video();
    let fpr = Fingerprinter {
        with_mirror: true,
        ..Fingerprinter::new()
    };
    let sample = |video: &staydown::synth::Video| {
        fpr.fingerprint_frames(video.frames().step_by(25)).unwrap()
    };
    let original = sample(&v);
    let mirrored = sample(&v.mirror());
    let other = sample(&SynthVideo::new(54).size(320, 240).duration_ms(6000).video());
    for ((o, m), u) in original
        .frames
        .iter()
        .zip(&mirrored.frames)
        .zip(&other.frames)
    {
        let direct = o.hash.distance(&m.hash);
        let via_mirror = o.mirror.unwrap().distance(&m.hash);
        let unrelated = o.hash.distance(&u.hash);
        assert!(via_mirror <= 40, "mirror hash {via_mirror} bits");
        assert!(direct > 80, "mirrored frame should differ: {direct}");
        assert!(unrelated > 80, "unrelated frames {unrelated} bits");
    }
}
