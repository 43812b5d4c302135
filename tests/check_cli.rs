//! `staydown check` on one file: evidence text, `--json` with evidence, clean, missing
//! files and a corrupt index.

mod util;

use serde_json::Value;
use util::{banked, synth_y4m};

#[test]
fn exact_copy_exits_1_with_readable_evidence() {
    let dir = banked("check-copy");
    std::fs::copy(dir.join("works/w1.y4m"), dir.join("copy.y4m")).unwrap();
    let out = dir
        .command()
        .args(["check", "copy.y4m", "--index", "index"])
        .expect_code(1);
    assert!(out.contains("copy.y4m"), "{out}");
    assert!(out.contains("MATCH"), "{out}");
    for needle in ["w1", "Title w1", "Holder w1", "N-w1", "00:0"] {
        assert!(out.contains(needle), "missing {needle:?}:\n{out}");
    }
    // An mm:ss–mm:ss range.
    let has_range = out.split_whitespace().any(|w| {
        let b = w.as_bytes();
        b.len() >= 11 && b[2] == b':' && w.contains('–') && b[..2].iter().all(u8::is_ascii_digit)
    });
    assert!(has_range, "no mm:ss–mm:ss range in:\n{out}");

    let json = dir
        .command()
        .args(["check", "copy.y4m", "--index", "index", "--json"])
        .expect_code(1);
    let lines: Vec<&str> = json.lines().collect();
    assert_eq!(lines.len(), 1, "one object:\n{json}");
    let v: Value = serde_json::from_str(lines[0]).expect("JSON");
    assert_eq!(v["verdict"], "match", "{v}");
    let m = &v["matches"][0];
    assert_eq!(m["work"], "w1");
    let evidence = m["evidence"].as_array().expect("evidence array");
    assert!(!evidence.is_empty(), "{v}");
    for pair in evidence {
        assert_eq!(
            pair.as_array().unwrap().len(),
            3,
            "[query, ref, distance]: {pair}"
        );
    }
}

#[test]
fn unrelated_exits_0() {
    let dir = banked("check-clean");
    synth_y4m(&dir.join("other.y4m"), 202, 20);
    let out = dir
        .command()
        .args(["check", "other.y4m", "--index", "index"])
        .expect_code(0);
    assert!(out.contains("CLEAN"), "{out}");
}

#[test]
fn missing_file_exits_2_naming_it() {
    let dir = banked("check-missing");
    let err = dir
        .command()
        .args(["check", "no-such-upload.y4m", "--index", "index"])
        .stderr_with_code(2);
    assert!(err.contains("no-such-upload.y4m"), "{err}");
}

/// A missing or empty index directory is said to be missing, not corrupt.
#[test]
fn missing_index_is_not_called_corrupt() {
    let dir = banked("check-noindex");
    std::fs::copy(dir.join("works/w1.y4m"), dir.join("copy.y4m")).unwrap();
    let err = dir
        .command()
        .args(["check", "copy.y4m", "--index", "nope"])
        .stderr_with_code(2);
    assert!(
        err.contains("no index at nope: the directory does not exist"),
        "{err}"
    );
    assert!(err.contains("staydown ban VIDEO --index nope"), "{err}");
    assert!(!err.contains("corrupt"), "{err}");
    std::fs::create_dir(dir.join("empty")).unwrap();
    let err = dir
        .command()
        .args(["scan", "copy.y4m", "--index", "empty"])
        .stderr_with_code(2);
    assert!(
        err.contains("no index at empty: the directory is empty"),
        "{err}"
    );
    assert!(!err.contains("corrupt"), "{err}");
}

/// `check` on a directory of videos points to `scan`.
#[test]
fn check_on_a_directory_of_videos_points_to_scan() {
    let dir = banked("check-dir");
    synth_y4m(&dir.join("up/a.y4m"), 202, 3);
    let err = dir
        .command()
        .args(["check", "up", "--index", "index"])
        .stderr_with_code(2);
    assert!(err.contains("up: a directory of videos"), "{err}");
    assert!(err.contains("staydown scan up --index index"), "{err}");
    assert!(!err.contains("no numbered image frames"), "{err}");
}

/// A junk file named .mp4 is "not a video (…)" on one line, not ffmpeg's internals.
#[test]
fn junk_named_mp4_is_not_a_video_in_one_line() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = banked("check-junk");
    let junk: Vec<u8> = (0..3000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    dir.create("junk.mp4", junk);
    let err = dir
        .command()
        .args(["check", "junk.mp4", "--index", "index"])
        .stderr_with_code(2);
    assert!(err.contains("junk.mp4: not a video ("), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for internal in ["misdetection", "0x", "Invalid data"] {
        assert!(
            !err.contains(internal),
            "ffmpeg internals {internal:?}: {err}"
        );
    }
}

#[test]
fn corrupt_index_exits_2_naming_the_segment() {
    let dir = banked("check-corrupt");
    let seg = std::fs::read_dir(dir.join("index"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("seg-") && n.ends_with(".sdx")
        })
        .expect("a segment file");
    let mut bytes = std::fs::read(&seg).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x5a;
    std::fs::write(&seg, bytes).unwrap();
    std::fs::copy(dir.join("works/w1.y4m"), dir.join("copy.y4m")).unwrap();
    let err = dir
        .command()
        .args(["check", "copy.y4m", "--index", "index"])
        .stderr_with_code(2);
    let name = seg.file_name().unwrap().to_string_lossy().into_owned();
    assert!(err.contains(&name), "stderr should name {name}:\n{err}");
}

/// The demo's first work (seed 11, 320x240, 10 fps, 30 s) banned at the default `ban --fps`:
/// checking the very same file must be a `match`.
#[test]
fn exact_copy_of_a_demo_sized_work_matches() {
    let dir = util::Dir::new("check-demo-size");
    let work = dir.join("w.y4m");
    std::fs::create_dir_all(dir.path()).unwrap();
    staydown::synth::SynthVideo::new(11)
        .size(320, 240)
        .fps(10)
        .duration_ms(30_000)
        .video()
        .save_y4m(&work)
        .unwrap();
    util::ban(&dir, &work, &dir.join("index"), "w-001");
    let out = dir
        .command()
        .args(["check", "w.y4m", "--index", "index"])
        .expect_code(1);
    assert!(out.contains("MATCH"), "{out}");
}

#[test]
fn burned_in_caption_is_found_by_the_top_band() {
    let dir = banked("check-caption");
    staydown::synth::SynthVideo::new(101)
        .size(160, 120)
        .fps(10)
        .duration_ms(20_000)
        .video()
        .caption(0.14, 0.06)
        .save_y4m(dir.join("captioned.y4m"))
        .unwrap();
    let json = dir
        .command()
        .args(["check", "captioned.y4m", "--index", "index", "--json"])
        .expect_code(1);
    let v: Value = serde_json::from_str(json.trim()).expect("JSON");
    assert_eq!(v["matches"][0]["work"], "w1", "{v}");
    // The whole frame alone does not survive the caption: without the bands the copy is
    // not flagged.
    let out = dir
        .command()
        .args(["check", "captioned.y4m", "--index", "index", "--no-bands"])
        .output();
    assert_ne!(out.status.code(), Some(1), "{out:?}");
}
