//! A ban list is never silently lost or silently wrong: damaged or inconsistent files are
//! refused (naming the file and the way out) before anything is read from them or written
//! next to them, and `recover` rebuilds a lost manifest from the segments that verify.

mod util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use staydown::bank::{self, BankOptions};
use staydown::index::manifest::Manifest;
use staydown::index::{Index, recover};
use staydown::{Fingerprint, WorkMeta};

fn fp(seed: u64, n: usize) -> Fingerprint {
    util::random_fingerprint(seed, n, |_| 90)
}

fn meta(id: &str) -> WorkMeta {
    WorkMeta {
        id: id.into(),
        added_unix_s: 1_700_000_000,
        ..WorkMeta::default()
    }
}

/// Works a and b, each in its own segment (seg-1, seg-2).
fn setup(dir: &Path) {
    let mut index = Index::create(dir).unwrap();
    for (id, seed) in [("a", 1), ("b", 2)] {
        let mut w = index.writer().unwrap();
        bank::add(
            &mut w,
            meta(id),
            std::slice::from_ref(&fp(seed, 20)),
            &BankOptions::whole_frames(),
        )
        .unwrap();
        w.commit().unwrap();
    }
}

/// Every file of the directory with its bytes (the lock excepted).
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

fn live(dir: &Path) -> Vec<String> {
    let snap = Index::open(dir).unwrap().snapshot();
    snap.live_works()
        .map(|w| snap.works()[w as usize].id.clone())
        .collect()
}

fn seg(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("seg-{id:08}.sdx"))
}

/// Rewrites MANIFEST with `change` applied and a valid checksum.
fn tamper(dir: &Path, change: impl FnOnce(&mut Manifest)) {
    let mut m = Manifest::load(dir).unwrap().unwrap();
    change(&mut m);
    std::fs::write(dir.join("MANIFEST"), m.to_bytes()).unwrap();
}

fn add_c(dir: &Path) -> staydown::Result<()> {
    let mut index = Index::open(dir)?;
    let mut w = index.writer()?;
    bank::add(
        &mut w,
        meta("c"),
        std::slice::from_ref(&fp(3, 20)),
        &BankOptions::whole_frames(),
    )?;
    w.commit().map(|_| ())
}

#[test]
fn a_lost_manifest_is_refused_then_recovered() {
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    std::fs::remove_file(d.path().join("MANIFEST")).unwrap();
    let before = files(d.path());
    for err in [
        Index::open_or_create(d.path()).unwrap_err(),
        Index::create(d.path()).unwrap_err(),
        Index::open(d.path()).unwrap_err(),
    ] {
        let msg = err.to_string();
        assert!(
            msg.contains("no MANIFEST") && msg.contains("staydown index recover"),
            "{msg}"
        );
    }
    assert_eq!(files(d.path()), before, "nothing written or deleted");

    let rec = recover(d.path()).unwrap();
    assert_eq!(rec.kept.len(), 2, "{rec:?}");
    assert!(rec.dropped.is_empty() && rec.not_live.is_empty(), "{rec:?}");
    assert_eq!(rec.live_works, 2);
    assert_eq!(live(d.path()), ["a", "b"]);
    let snap = Index::open(d.path()).unwrap().snapshot();
    snap.verify().unwrap();
    assert_eq!(
        snap.audit_log().unwrap().len(),
        3,
        "two bans and the recovery"
    );
    add_c(d.path()).unwrap();
    assert_eq!(live(d.path()), ["a", "b", "c"]);
}

#[test]
fn recover_keeps_removals_drops_damaged_segments_and_sets_a_damaged_log_aside() {
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    let mut index = Index::open(d.path()).unwrap();
    // Keep the emptied segment on disk: this test is about recovering removals, not merges.
    index
        .set_merge_policy(staydown::index::MergePolicy::never())
        .unwrap();
    let mut w = index.writer().unwrap();
    w.remove_work("a", "counter-notice").unwrap();
    bank::add(
        &mut w,
        meta("c"),
        std::slice::from_ref(&fp(3, 20)),
        &BankOptions::whole_frames(),
    )
    .unwrap();
    w.commit().unwrap();
    // seg-3 (work c) damaged, a committed audit line damaged, the manifest gone.
    let mut b = std::fs::read(seg(d.path(), 3)).unwrap();
    b[70] ^= 0x10;
    std::fs::write(seg(d.path(), 3), b).unwrap();
    let log = d.path().join("audit.log");
    let mut b = std::fs::read(&log).unwrap();
    let line2 = b.iter().position(|&c| c == b'\n').unwrap() + 3;
    b[line2] ^= 0x01;
    std::fs::write(&log, &b).unwrap();
    std::fs::remove_file(d.path().join("MANIFEST")).unwrap();

    let rec = recover(d.path()).unwrap();
    assert_eq!(rec.kept, ["seg-00000001.sdx", "seg-00000002.sdx"]);
    assert_eq!(rec.dropped.len(), 1);
    assert!(rec.dropped[0].1.contains("checksum mismatch"), "{rec:?}");
    assert_eq!(rec.lost, ["c"], "banked, but only in the damaged segment");
    let aside = rec.audit_set_aside.clone().expect("damaged log set aside");
    assert_eq!(
        std::fs::read(aside).unwrap(),
        b,
        "the damaged log is kept whole"
    );
    // Line 2 (ban a) is damaged, but "remove a" still verifies: a stays removed.
    assert_eq!(live(d.path()), ["b"]);
    assert!(
        d.path().join("seg-00000003.sdx.damaged").exists(),
        "the damaged segment is set aside"
    );
    Index::open(d.path()).unwrap().snapshot().verify().unwrap();
    // The next segment gets a new id: the damaged one is never overwritten.
    add_c(d.path()).unwrap();
    assert!(seg(d.path(), 4).exists());
}

#[test]
fn every_flipped_bit_of_a_segment_is_refused_at_open() {
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    let path = seg(d.path(), 1);
    let good = std::fs::read(&path).unwrap();
    // Every byte of the header, hash, time, span, quality and work sections, then a
    // stride through the tables and metadata, and the footer.
    let head = good.len().min(1600);
    let mut offsets: Vec<usize> = (0..head).collect();
    offsets.extend((head..good.len()).step_by(4099));
    offsets.extend(good.len() - 8..good.len());
    offsets.sort_unstable();
    offsets.dedup();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    let put = |o: usize, byte: u8| {
        use std::os::unix::fs::FileExt;
        file.write_all_at(&[byte], o as u64).unwrap();
    };
    for (k, &o) in offsets.iter().enumerate() {
        put(o, good[o] ^ (1u8 << (k % 8)));
        let err = Index::open(d.path()).unwrap_err().to_string();
        assert!(err.contains("seg-00000001.sdx"), "byte {o}: {err}");
        if k % 97 == 0 {
            // A mapped open checks the bulk sections after it returns: the damage is refused
            // at open or by the wait for that check, naming the file either way.
            // SAFETY: only this test writes the directory, and not while it is mapped.
            #[allow(unsafe_code)]
            let mapped = unsafe { Index::open_mapped(d.path()) }
                .and_then(|i| i.snapshot().wait_verified())
                .unwrap_err()
                .to_string();
            assert!(
                mapped.contains("seg-00000001.sdx"),
                "byte {o} mapped: {mapped}"
            );
        }
        put(o, good[o]);
    }
    Index::open(d.path()).unwrap().snapshot().verify().unwrap();
}

/// A mapped open reads the header, metadata and directories, and leaves the bulk of each
/// segment (hashes, records, table entries) to a check after it returns. A bit flipped there
/// is caught before a verdict relies on it: the segment's rows are withheld from searches,
/// and a check fails naming the file instead of giving a verdict.
#[test]
fn a_flipped_bulk_byte_of_a_mapped_segment_is_caught_before_a_verdict() {
    let work = staydown::synth::SynthVideo::new(11)
        .size(160, 120)
        .fps(8)
        .duration_ms(24_000)
        .video();
    let fp = staydown::fingerprint::Fingerprinter::new()
        .fingerprint_frames(work.frames().step_by(2))
        .unwrap();
    let d = tempfile::tempdir().unwrap();
    let mut index = Index::create(d.path()).unwrap();
    let mut w = index.writer().unwrap();
    bank::add(
        &mut w,
        meta("w11"),
        std::slice::from_ref(&fp),
        &BankOptions::whole_frames(),
    )
    .unwrap();
    w.commit().unwrap();
    drop(index);
    let check = |snap: staydown::index::Snapshot| {
        let checker = staydown::check::Checker::new(snap);
        let mut s = checker.session();
        for f in work.frames() {
            s.push(f).unwrap();
        }
        s.finish()
    };
    let open = || {
        // SAFETY: only this test writes the directory, and not while it is mapped.
        #[allow(unsafe_code)]
        unsafe { Index::open_mapped(d.path()) }.unwrap()
    };
    let intact = check(open().snapshot()).unwrap();
    assert_eq!(intact.verdict.verdict, staydown::Decision::Match);

    let path = seg(d.path(), 1);
    let good = std::fs::read(&path).unwrap();
    let n = u64::from_le_bytes(good[24..32].try_into().unwrap()) as usize;
    let records = (64 + 32 * n).div_ceil(64) * 64;
    // A bit of the hash of row 3, of its time, and of the last row's region tag.
    for offset in [64 + 32 * 3 + 5, records + 8 * 3 + 1, records + 8 * n - 1] {
        let mut bad = good.clone();
        bad[offset] ^= 0x10;
        std::fs::write(&path, &bad).unwrap();
        // Check before the background verifier can have finished, and after it has.
        for wait in [false, true] {
            let index = open();
            let snap = index.snapshot();
            if wait {
                assert!(snap.wait_verified().is_err(), "byte {offset}");
            }
            let err = check(snap.clone()).unwrap_err().to_string();
            assert!(
                err.contains("seg-00000001.sdx") && err.contains("checksum mismatch"),
                "byte {offset}: {err}"
            );
            let hits = snap.search_batch(&[fp.frames[3].hash], 31);
            assert!(hits[0].is_empty(), "byte {offset}: rows of a bad segment");
            assert!(snap.work_frames(0).is_empty(), "byte {offset}");
        }
    }
    std::fs::write(&path, &good).unwrap();
    assert_eq!(
        check(open().snapshot()).unwrap().verdict.verdict,
        staydown::Decision::Match
    );
}

#[test]
fn a_manifest_with_a_valid_checksum_but_inconsistent_content_is_refused() {
    type Case = (&'static str, fn(&mut Manifest), &'static str);
    let cases: [Case; 4] = [
        (
            "next_segment names a live segment",
            |m| m.next_segment = 2,
            "next_segment 2",
        ),
        (
            "a segment listed twice",
            |m| m.segments.push(m.segments[0].clone()),
            "listed twice",
        ),
        (
            "a missing segment",
            |m| {
                let mut e = m.segments[1].clone();
                e.id = 7;
                e.file = "seg-00000007.sdx".into();
                m.segments.push(e);
                m.next_segment = 8;
            },
            "missing",
        ),
        (
            "a work live twice",
            |m| {
                let mut e = m.segments[0].clone();
                e.id = 7;
                e.file = "seg-00000007.sdx".into();
                m.segments.push(e);
                m.next_segment = 8;
            },
            "live twice",
        ),
    ];
    for (what, change, expect) in cases {
        let d = tempfile::tempdir().unwrap();
        setup(d.path());
        if what == "a work live twice" {
            std::fs::copy(seg(d.path(), 1), seg(d.path(), 7)).unwrap();
        }
        tamper(d.path(), change);
        let before = files(d.path());
        let err = Index::open(d.path()).unwrap_err().to_string();
        assert!(
            err.contains(expect) && err.contains("staydown index recover"),
            "{what}: {err}"
        );
        let err = add_c(d.path()).unwrap_err().to_string();
        assert!(err.contains(expect), "{what}: {err}");
        assert_eq!(
            files(d.path()),
            before,
            "{what}: nothing written or deleted"
        );
        recover(d.path()).unwrap();
        let mut ids = live(d.path());
        ids.sort();
        assert_eq!(ids, ["a", "b"], "{what}");
        add_c(d.path()).unwrap();
    }
}

#[test]
fn a_manifest_that_forgot_its_segments_is_refused_before_writing() {
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    tamper(d.path(), |m| m.segments.clear());
    let before = files(d.path());
    let err = add_c(d.path()).unwrap_err().to_string();
    assert!(
        err.contains("seg-00000001.sdx")
            && err.contains("neither live nor removed")
            && err.contains("staydown index recover"),
        "{err}"
    );
    assert_eq!(files(d.path()), before, "no segment deleted");
    recover(d.path()).unwrap();
    assert_eq!(live(d.path()), ["a", "b"]);
}

#[test]
fn an_audit_log_that_does_not_check_out_is_never_appended_to() {
    // audit_bytes cut to 0: the committed history lies past it.
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    tamper(d.path(), |m| m.audit_bytes = 0);
    let before = files(d.path());
    let err = add_c(d.path()).unwrap_err().to_string();
    assert!(
        err.contains("audit.log") && err.contains("staydown index recover"),
        "{err}"
    );
    assert_eq!(files(d.path()), before, "the log is not cut");

    // A flipped byte in a committed line.
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    let log = d.path().join("audit.log");
    let mut b = std::fs::read(&log).unwrap();
    let n = b.len();
    b[n - 10] ^= 0x02;
    std::fs::write(&log, &b).unwrap();
    let before = files(d.path());
    let err = add_c(d.path()).unwrap_err().to_string();
    assert!(
        err.contains("audit.log") && err.contains("line 3 is damaged"),
        "{err}"
    );
    assert_eq!(files(d.path()), before, "nothing appended after the damage");
    let rec = recover(d.path()).unwrap();
    assert!(rec.audit_set_aside.is_some());
    add_c(d.path()).unwrap();
}

#[test]
fn leftovers_of_crashed_commits_are_never_overwritten_nor_mistaken_for_lost_works() {
    use staydown::index::FailPoint;
    // A commit that died after renaming its segment: seg-3 is uncommitted.
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    let mut index = Index::open(d.path()).unwrap();
    let mut w = index.writer().unwrap();
    bank::add(
        &mut w,
        meta("c"),
        std::slice::from_ref(&fp(3, 20)),
        &BankOptions::whole_frames(),
    )
    .unwrap();
    w.set_fail_point(Some(FailPoint::SegmentRenamed));
    assert!(w.commit().is_err());
    let leftover = std::fs::read(seg(d.path(), 3)).unwrap();
    let mut w = index.writer().unwrap();
    bank::add(
        &mut w,
        meta("d"),
        std::slice::from_ref(&fp(4, 20)),
        &BankOptions::whole_frames(),
    )
    .unwrap();
    w.commit().unwrap();
    assert_eq!(std::fs::read(seg(d.path(), 3)).unwrap(), leftover);
    assert!(seg(d.path(), 4).exists());
    assert_eq!(live(d.path()), ["a", "b", "d"]);

    // A merge that died before removing its inputs: they hold only works that are live
    // elsewhere or removed, so the next writer carries on; recover agrees.
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    let mut index = Index::open(d.path()).unwrap();
    // Keep the emptied segment on disk: this test is about recovering removals, not merges.
    index
        .set_merge_policy(staydown::index::MergePolicy::never())
        .unwrap();
    let mut w = index.writer().unwrap();
    w.remove_work("a", "counter-notice").unwrap();
    w.compact();
    w.set_fail_point(Some(FailPoint::BeforeCleanup));
    assert!(w.commit().is_err());
    assert!(seg(d.path(), 1).exists() && seg(d.path(), 2).exists());
    add_c(d.path()).unwrap();
    assert_eq!(live(d.path()), ["b", "c"]);
    let rec = recover(d.path()).unwrap();
    assert_eq!(rec.kept.len(), 4, "{rec:?}");
    let mut ids = live(d.path());
    ids.sort();
    assert_eq!(ids, ["b", "c"], "{rec:?}");
}

#[test]
fn an_older_manifest_put_back_is_refused_before_its_audit_tail_is_cut() {
    let d = tempfile::tempdir().unwrap();
    let mut index = Index::create(d.path()).unwrap();
    let mut w = index.writer().unwrap();
    bank::add(
        &mut w,
        meta("a"),
        std::slice::from_ref(&fp(1, 20)),
        &BankOptions::whole_frames(),
    )
    .unwrap();
    w.commit().unwrap();
    let old = std::fs::read(d.path().join("MANIFEST")).unwrap();
    for (id, seed) in [("b", 2), ("c", 3)] {
        let mut w = index.writer().unwrap();
        bank::add(
            &mut w,
            meta(id),
            std::slice::from_ref(&fp(seed, 20)),
            &BankOptions::whole_frames(),
        )
        .unwrap();
        w.commit().unwrap();
    }
    std::fs::write(d.path().join("MANIFEST"), old).unwrap();
    let before = files(d.path());
    let err = add_c(d.path()).unwrap_err().to_string();
    assert!(
        err.contains("audit.log") && err.contains("not of generation 2"),
        "{err}"
    );
    assert_eq!(files(d.path()), before, "the audit history is not cut");
    recover(d.path()).unwrap();
    assert_eq!(live(d.path()), ["a", "b", "c"]);
}
