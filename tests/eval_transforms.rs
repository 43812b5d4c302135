//! Every transformation of the accuracy benchmark makes a playable copy of a real clip with
//! the expected duration (skipped when ffmpeg is absent).

use std::path::Path;
use std::process::Command;

use staydown::eval::{self, EvalConfig};

fn have_ffmpeg() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn every_transformation_makes_a_copy() {
    if !have_ffmpeg() {
        eprintln!("skipping: ffmpeg not found");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = EvalConfig::new(dir.path());
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/video/bbb-180p.webm");
    let dur = eval::probe_duration(&cfg.ffmpeg, &input).unwrap();
    assert!((dur - 5.3).abs() < 0.2, "{dur}");
    for tr in &cfg.transforms {
        let out = dir.path().join(format!("{}.mp4", tr.name));
        eval::make_copy(&cfg, tr, &input, dur, &out).unwrap_or_else(|e| panic!("{}: {e}", tr.name));
        let d = eval::probe_duration(&cfg.ffmpeg, &out).unwrap();
        let expected = match tr.name {
            "middle50" => dur * 0.5,
            "clip10" => dur * 0.5,
            "clip10-in-40s" | "late-letterbox" | "late-pillarbox" => 30.0 + dur * 0.5,
            "quote3s" => 43.0,
            "speed1.1" => dur / 1.1,
            _ => dur,
        };
        assert!(
            (d - expected).abs() < 0.5,
            "{}: {d} s, expected {expected}",
            tr.name
        );
    }
}

#[test]
fn cuts_of_short_references_are_too_short_to_be_a_match() {
    let policy = staydown::Policy::default();
    // The policy's `match` needs 5 frames over 4 s: 5 s kept at 1 fps can give that.
    assert!(eval::long_enough(&policy, 5.0));
    assert!(eval::long_enough(&policy, 10.0));
    // The middle half of a 5.3 s clip is a 2.7 s quote.
    assert!(!eval::long_enough(&policy, 2.65));
    assert!(!eval::long_enough(&policy, 4.5));
}
