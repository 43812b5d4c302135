//! `staydown index …` on a real index directory.

mod util;

use std::path::Path;
use std::process::{Command, Output};

use staydown::bank::{self, BankOptions};
use staydown::index::Index;
use staydown::{Fingerprint, WorkMeta};

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
    util::random_fingerprint(seed, 12, |_| 90)
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
        bank::add(
            &mut w,
            meta,
            std::slice::from_ref(&fp(i as u64 + 1)),
            &BankOptions::whole_frames(),
        )
        .unwrap();
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
    assert!(text(&o).contains("works             2"), "{}", text(&o));

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
        lines[2].contains("remove\tfilm-a\t12 hashes\tcounter-notice upheld"),
        "{t}"
    );

    let o = staydown(&["index", "compact", "--index", dir]);
    assert!(
        text(&o).contains("purged 12 hashes of 1 removed works"),
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

fn write_y4m(path: &Path, seed: u64) {
    let f = std::fs::File::create(path).unwrap();
    staydown::synth::SynthVideo::new(seed)
        .size(160, 120)
        .fps(10)
        .duration_ms(4000)
        .video()
        .write_y4m(std::io::BufWriter::new(f))
        .unwrap();
}

#[test]
fn ban_a_directory_with_a_manifest_then_replace_export_import() {
    let d = tempfile::tempdir().unwrap();
    let videos = d.path().join("videos");
    std::fs::create_dir(&videos).unwrap();
    write_y4m(&videos.join("one.y4m"), 1);
    write_y4m(&videos.join("two.y4m"), 2);
    std::fs::write(
        d.path().join("works.csv"),
        "id,path,title,rightsholder,notice\nw-1,videos/one.y4m,\"One, the film\",Studio A,N-1\n",
    )
    .unwrap();
    let index = d.path().join("idx");
    let idx = index.to_str().unwrap();
    let manifest = d.path().join("works.csv");
    let o = staydown(&[
        "ban",
        videos.to_str().unwrap(),
        "--index",
        idx,
        "--manifest",
        manifest.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&staydown(&["index", "list", "--index", idx]));
    assert!(t.contains("w-1\tOne, the film\tStudio A\tN-1\t"), "{t}");
    assert!(t.contains("\ntwo\ttwo\t\t\t"), "{t}");

    // Re-banning an id is an error unless --replace.
    let one = videos.join("one.y4m");
    let o = staydown(&[
        "ban",
        one.to_str().unwrap(),
        "--work",
        "two",
        "--index",
        idx,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("already banned; use --replace"),
        "{}",
        text(&o)
    );
    let o = staydown(&[
        "ban",
        one.to_str().unwrap(),
        "--work",
        "two",
        "--index",
        idx,
        "--replace",
        "--fps",
        "2",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let log = text(&staydown(&["index", "log", "--index", idx]));
    assert!(
        log.contains("remove\ttwo\t") && log.contains("replaced"),
        "{log}"
    );

    // Export as vPDQ, import under a new id: the same indexed frames.
    let o = staydown(&["index", "export", "w-1", "--vpdq", "--index", idx]);
    assert!(o.status.success(), "{}", text(&o));
    let exported = String::from_utf8(o.stdout).unwrap();
    assert!(exported.lines().count() > 0);
    let file = d.path().join("w1.vpdq");
    std::fs::write(&file, &exported).unwrap();
    let o = staydown(&[
        "index",
        "import",
        "--vpdq",
        file.to_str().unwrap(),
        "--work",
        "shared",
        "--index",
        idx,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = staydown(&["index", "export", "shared", "--vpdq", "--index", idx]);
    assert_eq!(String::from_utf8(o.stdout).unwrap(), exported);
    // vPDQ is the only format: --vpdq may be left out.
    let o = staydown(&["index", "export", "shared", "--index", idx]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8(o.stdout).unwrap(), exported);
    let o = staydown(&["index", "verify", "--index", idx]);
    assert!(o.status.success(), "{}", text(&o));
}

/// `ban --replace` keeps the fields not given on the command line from the replaced work
/// (regression: a new title alone emptied the rights holder and the notice).
#[test]
fn replace_keeps_fields_not_given() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_y4m(&dir.join("w.y4m"), 7);
    let video = dir.join("w.y4m");
    let index = dir.join("idx");
    let (v, i) = (video.to_str().unwrap(), index.to_str().unwrap());
    let o = staydown(&[
        "ban",
        v,
        "--index",
        i,
        "--work",
        "w9",
        "--title",
        "Old",
        "--rightsholder",
        "Studio",
        "--notice",
        "TD-1",
        "--note",
        "first",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = staydown(&[
        "ban",
        v,
        "--index",
        i,
        "--work",
        "w9",
        "--replace",
        "--title",
        "New",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let list = text(&staydown(&["index", "list", "--index", i]));
    let row = list
        .lines()
        .find(|l| l.starts_with("w9\t"))
        .unwrap_or_else(|| panic!("{list}"));
    let cols: Vec<&str> = row.split('\t').collect();
    assert_eq!(&cols[..4], ["w9", "New", "Studio", "TD-1"], "{list}");
    // A field given replaces the old one.
    let o = staydown(&[
        "ban",
        v,
        "--index",
        i,
        "--work",
        "w9",
        "--replace",
        "--notice",
        "TD-2",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let list = text(&staydown(&["index", "list", "--index", i]));
    assert!(list.contains("w9\tNew\tStudio\tTD-2\t"), "{list}");
}

#[test]
fn ban_a_real_video_through_ffmpeg() {
    if Command::new("ffmpeg").arg("-version").output().is_err() {
        eprintln!("skipped: ffmpeg is not installed");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let video = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/video/bbb-180p.webm");
    let idx = d.path().join("idx");
    let o = staydown(&[
        "ban",
        video,
        "--index",
        idx.to_str().unwrap(),
        "--title",
        "Big Buck Bunny",
        "--notice",
        "N-42",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    // Every frame of the 5.28 s clip at 25 fps (132), each hashed whole, as the central 70%
    // and as two bands; keyframes of each stored.
    assert!(
        text(&o).contains("banned bbb-180p: 132 frames × 4 regions = 528 hashes"),
        "{}",
        text(&o)
    );
    let snap = Index::open(&idx).unwrap().snapshot();
    let w = snap.find("bbb-180p").unwrap();
    assert_eq!(snap.works()[w as usize].title, "Big Buck Bunny");
    assert!(!snap.work_frames(w).is_empty());
}
