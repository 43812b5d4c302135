//! The ffmpeg decoding path. Every test prints a message and passes when ffmpeg is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use staydown::decode::{DecodeOptions, FrameSource};
use staydown::synth::SynthVideo;
use staydown::{Error, Frame};

fn ffmpeg() -> Option<String> {
    let program = std::env::var("STAYDOWN_FFMPEG").unwrap_or_else(|_| "ffmpeg".into());
    match Command::new(&program).arg("-version").output() {
        Ok(o) if o.status.success() => Some(program),
        _ => {
            eprintln!("skipping: ffmpeg not found ({program}); install it to run this test");
            None
        }
    }
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(["-v", "error", "-y", "-nostdin"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/video")
        .join(name)
}

fn all(path: &Path, opts: &DecodeOptions) -> staydown::Result<(FrameSource, Vec<Frame>)> {
    let mut src = FrameSource::ffmpeg(path, opts)?;
    let mut frames = Vec::new();
    while let Some(f) = src.next_frame()? {
        frames.push(f);
    }
    Ok((src, frames))
}

fn times(frames: &[Frame]) -> Vec<u64> {
    frames.iter().map(|f| f.pts_ms).collect()
}

#[test]
fn bbb_720p_at_one_fps() {
    if ffmpeg().is_none() {
        return;
    }
    let src = FrameSource::open(fixture("bbb-720p.mp4"), &DecodeOptions::default()).unwrap();
    let info = src.info().clone();
    assert_eq!((info.width, info.height, info.fps), (1280, 720, 25.0));
    assert_eq!(info.duration_ms, Some(5280));
    let frames: Vec<Frame> = src.collect::<Result<_, _>>().unwrap();
    // The first frame of each second of the 5.28 s clip, at its own time.
    assert_eq!(times(&frames), [0, 1000, 2000, 3000, 4000, 5000]);
    assert!(frames.iter().all(|f| (f.width, f.height) == (256, 144)));
    // Each plane pixel stands for 5×5 source pixels (what the source kernel hashes with).
    assert!(frames.iter().all(|f| f.scale == 5.0));
}

#[test]
fn every_frame_at_full_resolution() {
    if ffmpeg().is_none() {
        return;
    }
    let (_, frames) = all(&fixture("bbb-360p.mp4"), &DecodeOptions::every_frame()).unwrap();
    assert_eq!(frames.len(), 132);
    assert_eq!(times(&frames), (0..132).map(|i| i * 40).collect::<Vec<_>>());
    assert!(frames.iter().all(|f| (f.width, f.height) == (640, 360)));
    assert!(frames.iter().all(|f| f.scale == 1.0));
    let (src, frames) = all(&fixture("bbb-180p.webm"), &DecodeOptions::default()).unwrap();
    assert_eq!((src.info().width, src.info().height), (320, 180));
    assert_eq!(times(&frames), [0, 1000, 2000, 3000, 4000, 5000]);
    assert!(frames.iter().all(|f| (f.width, f.height) == (256, 144)));
    assert!(frames.iter().all(|f| f.scale == 1.25));
}

fn mean_abs_diff(a: &Frame, b: &Frame) -> f64 {
    a.luma
        .iter()
        .zip(&b.luma)
        .map(|(&x, &y)| f64::from((i32::from(x) - i32::from(y)).unsigned_abs()))
        .sum::<f64>()
        / a.luma.len() as f64
}

#[test]
fn native_y4m_and_ffmpeg_decode_agree() {
    if ffmpeg().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("synth.y4m");
    SynthVideo::new(21)
        .size(320, 240)
        .duration_ms(6000)
        .video()
        .save_y4m(&path)
        .unwrap();
    for opts in [
        DecodeOptions::default(),
        DecodeOptions::every_frame(),
        DecodeOptions {
            fps: Some(2.5),
            max_width: Some(128),
            ..DecodeOptions::default()
        },
    ] {
        let native: Vec<Frame> = FrameSource::y4m_file(&path, &opts)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let (_, via_ffmpeg) = all(&path, &opts).unwrap();
        assert_eq!(times(&native), times(&via_ffmpeg), "{opts:?}");
        let mut worst = 0.0f64;
        for (a, b) in native.iter().zip(&via_ffmpeg) {
            assert_eq!((a.width, a.height), (b.width, b.height));
            worst = worst.max(mean_abs_diff(a, b));
        }
        eprintln!("{opts:?}: worst mean |native - ffmpeg| = {worst:.3} grey levels");
        assert!(worst < 1.0, "{opts:?}: {worst}");
    }
}

/// A Y4M whose frame `i` is flat grey `2·i`: which frame a decoder picked is readable.
fn index_video(dir: &Path, frames: u32, fps: u32) -> PathBuf {
    let path = dir.join("index.y4m");
    let mut bytes = format!("YUV4MPEG2 W32 H24 F{fps}:1 Cmono\n").into_bytes();
    for i in 0..frames {
        bytes.extend_from_slice(b"FRAME\n");
        bytes.extend(std::iter::repeat_n((2 * i) as u8, 32 * 24));
    }
    std::fs::write(&path, bytes).unwrap();
    path
}

fn picked(frames: &[Frame]) -> Vec<(u64, u8)> {
    frames.iter().map(|f| (f.pts_ms, f.luma[0] / 2)).collect()
}

#[test]
fn native_sampling_picks_the_frames_ffmpeg_picks() {
    if ffmpeg().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = index_video(dir.path(), 64, 10);
    for fps in [1.0, 3.0, 0.7, 25.0] {
        let opts = DecodeOptions {
            fps: Some(fps),
            ..DecodeOptions::default()
        };
        let native: Vec<Frame> = FrameSource::y4m_file(&path, &opts)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let (_, via_ffmpeg) = all(&path, &opts).unwrap();
        assert_eq!(picked(&native), picked(&via_ffmpeg), "at {fps} fps");
    }
}

#[test]
fn variable_frame_rate_keeps_video_time() {
    let Some(ff) = ffmpeg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let y4m = index_video(dir.path(), 100, 10);
    let mkv = dir.path().join("vfr.mkv");
    // Frames 0..50 at 10 fps (0 to 4.9 s), then frames 50..100 at 2 fps (5 s to 29.5 s).
    run(
        &ff,
        &[
            "-i",
            y4m.to_str().unwrap(),
            "-vf",
            "setpts='if(lt(N,50),N/10,5+(N-50)/2)/TB'",
            "-vsync",
            "passthrough",
            "-c:v",
            "ffv1",
            mkv.to_str().unwrap(),
        ],
    );
    let (_, every) = all(&mkv, &DecodeOptions::every_frame()).unwrap();
    assert_eq!(every.len(), 100);
    let p = picked(&every);
    assert_eq!(p[49], (4900, 49));
    assert_eq!(p[60], (10_000, 60));
    assert_eq!(p[99], (29_500, 99));
    let (_, sampled) = all(&mkv, &DecodeOptions::default()).unwrap();
    let p = picked(&sampled);
    // Each second shows its first frame, at its own time: frame 20 (2.0 s), frame 56
    // (8.0 s), not frame 80 (a frame count would say 8 s for it).
    assert_eq!(p[8], (8000, 56));
    assert_eq!(p[2], (2000, 20));
    assert_eq!(p.len(), 30);
    assert_eq!(
        times(&sampled),
        (0..p.len() as u64).map(|s| s * 1000).collect::<Vec<_>>()
    );
}

#[test]
fn non_zero_start_time_is_measured_from_the_start() {
    let Some(ff) = ffmpeg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let y4m = index_video(dir.path(), 30, 10);
    let ts = dir.path().join("late.ts");
    // MPEG-TS starts its clock at 1.4 s; add 10 s more.
    run(
        &ff,
        &[
            "-i",
            y4m.to_str().unwrap(),
            "-output_ts_offset",
            "10",
            "-c:v",
            "mpeg2video",
            "-q:v",
            "2",
            ts.to_str().unwrap(),
        ],
    );
    let (_, every) = all(&ts, &DecodeOptions::every_frame()).unwrap();
    assert_eq!(every.len(), 30);
    assert_eq!(times(&every), (0..30).map(|i| i * 100).collect::<Vec<_>>());
    let (_, sampled) = all(&ts, &DecodeOptions::default()).unwrap();
    assert_eq!(times(&sampled), [0, 1000, 2000]);
}

fn ffmpeg_error(path: &Path) -> String {
    let e = match all(path, &DecodeOptions::default()) {
        Ok((_, f)) => panic!("{}: accepted {} frames", path.display(), f.len()),
        Err(e) => e,
    };
    assert!(
        matches!(e, Error::Ffmpeg { .. } | Error::NotVideo { .. }),
        "{e}"
    );
    let msg = e.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    eprintln!("{msg}");
    msg
}

#[test]
fn bad_files_are_errors_naming_the_file_and_cause() {
    let Some(ff) = ffmpeg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = d.join("notes.mp4");
    std::fs::write(&text, "this is not a video\n".repeat(50)).unwrap();
    let msg = ffmpeg_error(&text);
    assert!(msg.contains(": not a video ("), "{msg}");
    assert!(
        !msg.contains('\n') && !msg.contains("0x"),
        "ffmpeg's internals: {msg}"
    );

    let original = std::fs::read(fixture("bbb-720p.mp4")).unwrap();
    let cut = d.join("cut.mp4");
    std::fs::write(&cut, &original[..original.len() / 3]).unwrap();
    assert!(ffmpeg_error(&cut).contains("not a video (moov atom not found)"));

    let noise = d.join("noise.mkv");
    let bytes: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&noise, bytes).unwrap();
    ffmpeg_error(&noise);

    let wav = d.join("tone.wav");
    run(
        &ff,
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=duration=1",
            wav.to_str().unwrap(),
        ],
    );
    assert!(ffmpeg_error(&wav).contains("matches no streams"));

    // A damaged middle: ffmpeg conceals what it can; the result is frames or an error,
    // never a panic or a hang.
    let mut damaged = original.clone();
    for b in &mut damaged[200_000..260_000] {
        *b = b.wrapping_mul(31).wrapping_add(7);
    }
    let dm = d.join("damaged.mp4");
    std::fs::write(&dm, damaged).unwrap();
    match all(&dm, &DecodeOptions::default()) {
        Ok((_, f)) => eprintln!("damaged.mp4: {} frames", f.len()),
        Err(e) => eprintln!("damaged.mp4: {e}"),
    }

    let e = FrameSource::open(d.join("missing.mp4"), &DecodeOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
}

/// Regression: sampling used to keep the last frame of each slot, stamped with the slot time,
/// so a 1 fps sample was not a subset of a 4 fps sample of the same video and copies of banked
/// works matched 30-40 bits away. Now both keep the first frame of each slot at its own time.
#[test]
fn one_fps_sample_is_a_subset_of_four_fps_sample() {
    let dir = tempfile::tempdir().unwrap();
    let y4m = index_video(dir.path(), 64, 10);
    let mut inputs = vec![(y4m.clone(), true)];
    if let Some(ff) = ffmpeg() {
        let mkv = dir.path().join("index.mkv");
        let args = [
            "-i",
            y4m.to_str().unwrap(),
            "-c:v",
            "ffv1",
            mkv.to_str().unwrap(),
        ];
        run(&ff, &args);
        inputs.push((y4m.clone(), false));
        inputs.push((mkv, false));
    } else {
        eprintln!("ffmpeg not found: checking the native Y4M path only");
    }
    for (path, native) in inputs {
        let sample = |fps: f64| -> Vec<(u64, u8)> {
            let opts = DecodeOptions {
                fps: Some(fps),
                ..DecodeOptions::default()
            };
            let frames: Vec<Frame> = if native {
                FrameSource::y4m_file(&path, &opts)
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap()
            } else {
                all(&path, &opts).unwrap().1
            };
            picked(&frames)
        };
        let at1 = sample(1.0);
        let at4 = sample(4.0);
        let what = format!("{} native={native}", path.display());
        assert_eq!(
            at1,
            [
                (0, 0),
                (1000, 10),
                (2000, 20),
                (3000, 30),
                (4000, 40),
                (5000, 50),
                (6000, 60)
            ],
            "{what}"
        );
        assert_eq!(
            &at4[..5],
            [(0, 0), (300, 3), (500, 5), (800, 8), (1000, 10)],
            "{what}"
        );
        assert!(
            at1.iter().all(|p| at4.contains(p)),
            "{what}: {at1:?} {at4:?}"
        );
    }
}
