//! The ffmpeg child process: a missing ffmpeg is a clear error, and dropping a source kills
//! and reaps its child. One test, so changing the environment cannot race another test.

use std::path::Path;

use staydown::Error;
use staydown::decode::{DecodeOptions, FrameSource};

/// Children of this process whose command name is `ffmpeg` (Linux `/proc`), zombies included.
fn ffmpeg_children() -> Option<Vec<u32>> {
    let me = std::process::id();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").ok()? {
        let Ok(entry) = entry else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let comm = &stat[stat.find('(').unwrap_or(0) + 1..close];
        let ppid: u32 = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        if ppid == me && comm == "ffmpeg" {
            found.push(entry.file_name().to_string_lossy().parse().unwrap_or(0));
        }
    }
    Some(found)
}

#[test]
fn missing_ffmpeg_and_drop_kills_the_child() {
    let clip = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/video/bbb-720p.mp4");
    let have_ffmpeg = std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if have_ffmpeg {
        let opts = DecodeOptions::every_frame();
        let mut src = FrameSource::ffmpeg(&clip, &opts).unwrap();
        assert!(src.next_frame().unwrap().is_some());
        if let Some(before) = ffmpeg_children() {
            assert_eq!(before.len(), 1, "one ffmpeg child while decoding");
        }
        drop(src);
        if let Some(after) = ffmpeg_children() {
            assert!(after.is_empty(), "ffmpeg child left behind: {after:?}");
        }
    } else {
        eprintln!("skipping the child-process part: ffmpeg not found");
    }

    // SAFETY: this test binary has a single test, so no other thread reads the environment.
    unsafe { std::env::set_var("STAYDOWN_FFMPEG", "/nonexistent/ffmpeg") };
    let e = FrameSource::open(&clip, &DecodeOptions::default()).unwrap_err();
    assert!(matches!(e, Error::FfmpegMissing { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("/nonexistent/ffmpeg") && msg.contains("apt-get install ffmpeg"),
        "{msg}"
    );
}
