//! `staydown index …` on a real index directory.

use std::path::Path;
use std::process::{Command, Output};

use staydown::index::Index;
use staydown::{Fingerprint, FrameHash, Hash256, WorkMeta};

fn staydown(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_staydown"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

fn fp(seed: u64) -> Fingerprint {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    Fingerprint {
        frames: (0..12)
            .map(|i| FrameHash {
                pts_ms: i * 250,
                hash: Hash256([next(), next(), next(), next()]),
                quality: 90,
                mirror: None,
            })
            .collect(),
        ..Fingerprint::default()
    }
}

fn setup(dir: &Path) {
    let mut index = Index::create(dir).unwrap();
    let mut w = index.writer().unwrap();
    for (i, id) in ["film-a", "film-b"].iter().enumerate() {
        let meta = WorkMeta {
            id: id.to_string(),
            title: format!("Film {i}"),
            rightsholder: "Studio".into(),
            notice: format!("DMCA-{i}"),
            ..WorkMeta::default()
        };
        w.add_work(meta, &fp(i as u64 + 1)).unwrap();
    }
    w.commit().unwrap();
}

#[test]
fn stats_list_remove_log_compact_verify() {
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    let dir = d.path().to_str().unwrap();

    let o = staydown(&["index", "stats", "--index", dir]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("works           2"), "{}", text(&o));

    let o = staydown(&["index", "list", "--index", dir]);
    let t = text(&o);
    assert!(t.contains("film-a\tFilm 0\tStudio\tDMCA-0\t12\t"), "{t}");

    let o = staydown(&[
        "index",
        "remove",
        "film-a",
        "--reason",
        "counter-notice upheld",
        "--index",
        dir,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = staydown(&[
        "index", "remove", "film-a", "--reason", "again", "--index", dir,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("no work \"film-a\""), "{}", text(&o));

    let t = text(&staydown(&["index", "list", "--index", dir]));
    assert!(!t.contains("film-a") && t.contains("film-b"), "{t}");

    let t = text(&staydown(&["index", "log", "--index", dir]));
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 3, "{t}");
    assert!(
        lines[2].contains("remove\tfilm-a\t12 frames\tcounter-notice upheld"),
        "{t}"
    );

    let o = staydown(&["index", "compact", "--index", dir]);
    assert!(
        text(&o).contains("purged 12 frames of 1 removed works"),
        "{}",
        text(&o)
    );
    let o = staydown(&["index", "verify", "--index", dir]);
    assert!(
        o.status.success() && text(&o).starts_with("ok:"),
        "{}",
        text(&o)
    );

    // A damaged segment: verify fails naming it, exit status 2.
    let seg = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "sdx"))
        .unwrap();
    let mut b = std::fs::read(&seg).unwrap();
    b[100] ^= 1;
    std::fs::write(&seg, b).unwrap();
    let o = staydown(&["index", "verify", "--index", dir]);
    assert_eq!(o.status.code(), Some(2));
    let name = seg.file_name().unwrap().to_str().unwrap();
    assert!(
        text(&o).contains(name) && text(&o).contains("checksum"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_second_writer_is_told_who_holds_the_lock() {
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    let mut index = Index::open(d.path()).unwrap();
    let w = index.writer().unwrap();
    let o = staydown(&[
        "index",
        "remove",
        "film-b",
        "--reason",
        "x",
        "--index",
        d.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("index is locked by pid="), "{}", text(&o));
    drop(w);
}
