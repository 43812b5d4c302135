//! The integrity failures as they were reported, through the built binary: a lost
//! manifest, corruption laundered by `compact`, writers trusting a damaged manifest or
//! audit log, and reads from unverified segment bytes. Each now exits 2 naming the file
//! and the way out, and leaves every file as it was.

mod util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use staydown::index::manifest::Manifest;
use util::Dir;

/// Every file of the index directory with its bytes (the lock excepted).
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name() != ".lock")
        .map(|e| {
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// An index `idx/` with works `w1` and `w2` (one ban each: seg-1, seg-2), and a third
/// video `x.y4m`.
fn two_works() -> Dir {
    let dir = Dir::new("integrity");
    for (name, seed) in [("w1", 101), ("w2", 102), ("x", 103)] {
        util::synth_y4m(&dir.join(format!("{name}.y4m")), seed, 3);
    }
    for id in ["w1", "w2"] {
        util::ban(&dir, &dir.join(format!("{id}.y4m")), &dir.join("idx"), id);
    }
    dir
}

fn seg(dir: &Dir, id: u64) -> PathBuf {
    dir.join(format!("idx/seg-{id:08}.sdx"))
}

fn ban_x(dir: &Dir) -> String {
    dir.command()
        .args(["ban", "x.y4m", "--index", "idx", "--work", "other"])
        .stderr_with_code(2)
}

fn tamper(dir: &Dir, change: impl FnOnce(&mut Manifest)) {
    let idx = dir.join("idx");
    let mut m = Manifest::load(&idx).unwrap().unwrap();
    change(&mut m);
    std::fs::write(idx.join("MANIFEST"), m.to_bytes()).unwrap();
}

#[test]
fn a_deleted_manifest_is_refused_by_ban_and_import() {
    let dir = two_works();
    let idx = dir.join("idx");
    std::fs::remove_file(idx.join("MANIFEST")).unwrap();
    let before = files(&idx);
    let err = ban_x(&dir);
    assert!(
        err.contains("no MANIFEST") && err.contains("staydown index recover"),
        "{err}"
    );
    let vpdq = dir.command().args(["hash", "x.y4m"]).stdout();
    let vpdq = dir.create("x.vpdq", vpdq);
    let err = dir
        .command()
        .args([
            "index", "import", "--work", "other", "--index", "idx", "--vpdq",
        ])
        .arg(vpdq)
        .stderr_with_code(2);
    assert!(err.contains("no MANIFEST"), "{err}");
    assert_eq!(files(&idx), before, "nothing overwritten, deleted or cut");

    // The way out the message names.
    let out = dir
        .command()
        .args(["index", "recover", "--index", "idx"])
        .stdout();
    assert!(
        out.contains("kept     seg-00000001.sdx")
            && out.contains("kept     seg-00000002.sdx")
            && out.contains("2 segments, 2 works live"),
        "{out}"
    );
    let out = dir
        .command()
        .args(["ban", "x.y4m", "--index", "idx", "--work", "other"])
        .stdout();
    assert!(out.contains(", 3 works"), "{out}");
    dir.command()
        .args(["index", "verify", "--index", "idx"])
        .stdout();
}

#[test]
fn recover_reports_what_it_could_not_keep() {
    let dir = two_works();
    flip(&seg(&dir, 2), 100, 0);
    std::fs::remove_file(dir.join("idx/MANIFEST")).unwrap();
    let out = dir
        .command()
        .args(["index", "recover", "--index", "idx"])
        .expect_code(1);
    assert!(
        out.contains("dropped  seg-00000002.sdx (set aside as seg-00000002.sdx.damaged)")
            && out.contains("checksum mismatch")
            && out.contains("lost     w2 (banked per the audit log")
            && out.contains("1 segments, 1 works live"),
        "{out}"
    );
    let list = dir
        .command()
        .args(["index", "list", "--index", "idx"])
        .stdout();
    assert!(
        list.contains("\nw1\t") && !list.contains("\nw2\t"),
        "{list}"
    );
}

/// Byte offsets of the hash and timestamp sections of a segment (format.rs).
fn sections(path: &Path) -> (usize, usize) {
    let b = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(b[24..32].try_into().unwrap()) as usize;
    (64, (64 + 32 * n).div_ceil(64) * 64)
}

fn flip(path: &Path, offset: usize, bit: u8) {
    let mut b = std::fs::read(path).unwrap();
    b[offset] ^= 1 << bit;
    std::fs::write(path, b).unwrap();
}

#[test]
fn compact_does_not_launder_a_flipped_bit() {
    for section in 0..2 {
        let dir = two_works();
        let idx = dir.join("idx");
        let (hashes, times) = sections(&seg(&dir, 1));
        flip(&seg(&dir, 1), [hashes + 5, times + 1][section], 3);
        let before = files(&idx);
        let verify = |d: &Dir| {
            d.command()
                .args(["index", "verify", "--index", "idx"])
                .stderr_with_code(2)
        };
        let err = verify(&dir);
        assert!(err.contains("checksum mismatch"), "{err}");
        let err = dir
            .command()
            .args(["index", "compact", "--index", "idx"])
            .stderr_with_code(2);
        assert!(
            err.contains("seg-00000001.sdx") && err.contains("checksum mismatch"),
            "{err}"
        );
        assert!(verify(&dir).contains("checksum mismatch"));
        let err = dir
            .command()
            .args(["index", "export", "w1", "--vpdq", "--index", "idx"])
            .stderr_with_code(2);
        assert!(err.contains("checksum mismatch"), "{err}");
        assert_eq!(files(&idx), before, "section {section}");
    }
}

#[test]
fn a_manifest_with_a_valid_checksum_is_still_checked_before_writing() {
    type Change = fn(&mut Manifest);
    let cases: [(Change, &str); 3] = [
        (|m| m.next_segment = 2, "next_segment 2"),
        (|m| m.segments.clear(), "neither live nor removed"),
        (|m| m.audit_bytes = 0, "audit.log"),
    ];
    for (change, expect) in cases {
        let dir = two_works();
        let idx = dir.join("idx");
        tamper(&dir, change);
        let before = files(&idx);
        let err = ban_x(&dir);
        assert!(
            err.contains(expect) && err.contains("staydown index recover"),
            "{expect}: {err}"
        );
        assert_eq!(files(&idx), before, "{expect}");
    }

    // Duplicate segment entries: verify and list refuse instead of listing a work twice.
    let dir = two_works();
    tamper(&dir, |m| m.segments.push(m.segments[0].clone()));
    for cmd in ["verify", "list"] {
        let err = dir
            .command()
            .args(["index", cmd, "--index", "idx"])
            .stderr_with_code(2);
        assert!(err.contains("listed twice"), "{cmd}: {err}");
    }
}

#[test]
fn ban_does_not_append_after_a_damaged_audit_line() {
    let dir = two_works();
    let log = dir.join("idx/audit.log");
    let b = std::fs::read(&log).unwrap();
    flip(&log, b.len() - 20, 1);
    let before = files(&dir.join("idx"));
    let err = ban_x(&dir);
    assert!(
        err.contains("audit.log") && err.contains("line 3 is damaged"),
        "{err}"
    );
    assert_eq!(files(&dir.join("idx")), before);
}

#[test]
fn no_listing_stats_check_or_ban_from_a_flipped_bit() {
    let dir = two_works();
    let idx = dir.join("idx");
    let path = seg(&dir, 2);
    let len = std::fs::metadata(&path).unwrap().len() as usize;
    let (hashes, times) = sections(&path);
    // The hash and time sections, the tables, the metadata and the footer.
    let offsets = [
        hashes,
        hashes + 77,
        times + 2,
        len / 3,
        len / 2,
        len - 40,
        len - 6,
    ];
    for (k, &o) in offsets.iter().enumerate() {
        flip(&path, o, (k % 8) as u8);
        let before = files(&idx);
        for args in [
            &["index", "list", "--index", "idx"][..],
            &["index", "stats", "--index", "idx"],
            &["check", "w1.y4m", "--index", "idx"],
        ] {
            let err = dir.command().args(args).stderr_with_code(2);
            assert!(err.contains("seg-00000002.sdx"), "{args:?} at {o}: {err}");
        }
        assert!(ban_x(&dir).contains("seg-00000002.sdx"));
        assert_eq!(files(&idx), before);
        flip(&path, o, (k % 8) as u8);
    }
    dir.command()
        .args(["index", "verify", "--index", "idx"])
        .stdout();
}

#[test]
fn one_film_banked_twice_is_said_and_still_matches_under_both_ids() {
    let dir = two_works();
    util::synth_y4m(&dir.join("film.y4m"), 104, 8);
    util::ban(&dir, &dir.join("film.y4m"), &dir.join("idx"), "film");
    let out = dir
        .command()
        .args(["ban", "film.y4m", "--index", "idx", "--work", "film-again"])
        .args(["--notice", "N-2"])
        .stdout();
    assert!(
        out.contains(
            "note: film-again duplicates banked work film (\"Title film\", notice \"N-film\")"
        ),
        "{out}"
    );
    let out = dir
        .command()
        .args(["ban", "x.y4m", "--index", "idx", "--work", "x"])
        .stdout();
    assert!(!out.contains("duplicates"), "{out}");
    let out = dir
        .command()
        .args(["check", "film.y4m", "--index", "idx", "--json"])
        .expect_code(1);
    let v: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(v["verdict"], "match", "{out}");
    let mut works: Vec<(&str, &str)> = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["work"].as_str().unwrap(),
                m["verdict"].as_str().unwrap_or(""),
            )
        })
        .collect();
    works.sort();
    works.dedup();
    assert_eq!(
        works.iter().map(|w| w.0).collect::<Vec<_>>(),
        ["film", "film-again"],
        "{out}"
    );
}

#[test]
fn one_shared_hash_list_imported_twice_is_said() {
    let dir = two_works();
    util::synth_y4m(&dir.join("film.y4m"), 105, 8);
    let list = dir.command().args(["hash", "film.y4m"]).stdout();
    dir.create("film.vpdq", list);
    let import = |id: &str| {
        dir.command()
            .args(["index", "import", "--vpdq", "film.vpdq", "--work", id])
            .args(["--index", "idx"])
            .stdout()
    };
    let first = import("film-us");
    assert!(!first.contains("duplicates"), "{first}");
    let second = import("film-eu");
    assert!(
        second.contains("note: film-eu duplicates banked work film-us"),
        "{second}"
    );
}
