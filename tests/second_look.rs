//! The second look (`staydown::check::SecondLook`) through the built binary: a short copy of
//! a fast-moving work, which the 4 fps first look does not settle, is settled by decoding the
//! first look's segment again at every frame.

mod util;

use staydown::synth::SynthVideo;
use util::Dir;

fn verdict_line(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// A synthetic work of `seconds` played three times faster: pans of up to 180 px/s on
/// 192 px, a cut every 1-2 s. Works are banked as keyframes, so 4 fps samples of a copy
/// rarely meet one closely.
fn fast(seed: u64, seconds: u64) -> staydown::synth::Video {
    SynthVideo::new(seed)
        .size(192, 144)
        .fps(25)
        .duration_ms(seconds * 1000)
        .video()
        .speed(3.0)
}

/// `fast(5, 40)` banned as `w1` into `dir/index`.
fn banked_fast_work(dir: &Dir) -> staydown::synth::Video {
    let work = fast(5, 40);
    let w = dir.join("work.y4m");
    work.save_y4m(&w).unwrap();
    util::ban(dir, &w, &dir.join("index"), "w1");
    work
}

#[test]
fn a_short_copy_of_a_fast_work_is_settled_by_the_second_look() {
    let dir = Dir::new("second-look");
    let work = banked_fast_work(&dir);
    // Five seconds from 3.12 s in: the copy's frames fall between the banked ones.
    let c = dir.join("copy.y4m");
    work.trim(3_120, 8_120).save_y4m(&c).unwrap();

    let first_only = dir
        .command()
        .args(["check", "--index", "index", "--no-second-look"])
        .arg(&c)
        .output();
    assert!(
        !verdict_line(&first_only).contains("MATCH"),
        "the first look alone does not settle it: {}",
        verdict_line(&first_only)
    );
    let out = dir
        .command()
        .args(["check", "--index", "index", "--json"])
        .arg(&c)
        .output();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "match", "{v}");
    let m = &v["matches"][0];
    assert_eq!(m["work"], "w1");
    // The copy's time lines up with the work's (speed 1, offset 3.12 s).
    let (qs, rs) = (
        m["query_start"].as_f64().unwrap(),
        m["ref_start"].as_f64().unwrap(),
    );
    assert!((rs - qs - 3.12).abs() < 0.3, "{m}");
    assert!(m["query_end"].as_f64().unwrap() - qs >= 4.0, "{m}");
}

#[test]
fn unrelated_footage_stays_clean_after_a_second_look() {
    let dir = Dir::new("second-look-clean");
    banked_fast_work(&dir);
    for seed in [6u64, 7, 9] {
        let other = fast(seed, 12);
        let o = dir.join(format!("other-{seed}.y4m"));
        other.save_y4m(&o).unwrap();
        let out = dir
            .command()
            .args(["check", "--index", "index"])
            .arg(&o)
            .output();
        assert!(
            verdict_line(&out).contains("CLEAN"),
            "{}",
            verdict_line(&out)
        );
    }
}

/// Frames of a second look never seed: alone they find nothing; beside one seeding frame
/// they extend its segment.
#[test]
fn dense_frames_extend_seeds_but_do_not_seed() {
    use staydown::matcher::{Decision, Matcher};
    use staydown::{Fingerprint, FrameHash, Hash256, MemoryIndex, WorkMeta};

    let h = |i: u64| {
        Hash256([
            i.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            i ^ 0xA5A5_A5A5_A5A5_A5A5,
            !i,
            i.rotate_left(17) ^ 0x0123_4567_89AB_CDEF,
        ])
    };
    let mut index = MemoryIndex::new();
    let meta = WorkMeta {
        id: "w1".into(),
        ..Default::default()
    };
    index.add(meta, (0..30).map(|i| (i * 1000, h(i))));
    let frame = |i: u64| FrameHash {
        pts_ms: (i - 10) * 1000,
        hash: h(i),
        quality: 100,
        mirror: None,
    };
    let dense = Fingerprint {
        frames: (10..25).map(frame).collect(),
        ..Default::default()
    };
    let seed = Fingerprint {
        frames: vec![frame(12)],
        ..Default::default()
    };
    let matcher = Matcher::new(&index);
    assert_eq!(
        matcher.match_with_dense(&[], &[&dense]).verdict,
        Decision::Clean
    );
    let v = matcher.match_with_dense(&[&seed], &[&dense]);
    assert_eq!(v.verdict, Decision::Match);
    assert_eq!(v.matches[0].query_start_ms, 0);
    assert_eq!(v.matches[0].query_end_ms, 14_000);
}
