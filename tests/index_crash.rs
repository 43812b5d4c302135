//! A commit interrupted at any step leaves an index that opens to the old or the new
//! state, never a mixture and never an error; the next writer carries on.

mod util;

use std::path::Path;
use std::process::Command;

use staydown::bank::{self, BankOptions};
use staydown::index::{FailPoint, Index, IndexedFrame};
use staydown::{Fingerprint, Hash256, WorkMeta};

const POINTS: [FailPoint; 8] = [
    FailPoint::SegmentTorn,
    FailPoint::SegmentWritten,
    FailPoint::SegmentRenamed,
    FailPoint::AuditAppended,
    FailPoint::ManifestTorn,
    FailPoint::ManifestWritten,
    FailPoint::ManifestRenamed,
    FailPoint::BeforeCleanup,
];

fn fp(seed: u64, n: usize) -> Fingerprint {
    util::random_fingerprint(seed, n, |_| 90)
}

fn meta(id: &str) -> WorkMeta {
    WorkMeta {
        id: id.into(),
        title: format!("title of {id}"),
        added_unix_s: 1_700_000_000,
        ..WorkMeta::default()
    }
}

type State = Vec<(String, Vec<IndexedFrame>)>;

/// Live works with their indexed frames, and what a search of every frame finds.
fn state(dir: &Path) -> (State, Vec<usize>) {
    let index = Index::open(dir).expect("index opens after a crash");
    let snap = index.snapshot();
    snap.verify().expect("every byte checks out");
    snap.audit_log().expect("audit log reads");
    let works: State = snap
        .live_works()
        .map(|w| (snap.works()[w as usize].id.clone(), snap.work_frames(w)))
        .collect();
    let queries: Vec<Hash256> = (1..=4)
        .flat_map(|s| fp(s, 20).frames)
        .map(|f| f.hash)
        .collect();
    let hits = snap
        .search_batch(&queries, 31)
        .iter()
        .map(|h| h.len())
        .collect();
    (works, hits)
}

/// The starting index: works a and b in two segments.
fn setup(dir: &Path) {
    let mut index = Index::create(dir).unwrap();
    let mut w = index.writer().unwrap();
    bank::add(
        &mut w,
        meta("a"),
        std::slice::from_ref(&fp(1, 20)),
        &BankOptions::whole_frames(),
    )
    .unwrap();
    w.commit().unwrap();
    let mut w = index.writer().unwrap();
    bank::add(
        &mut w,
        meta("b"),
        std::slice::from_ref(&fp(2, 20)),
        &BankOptions::whole_frames(),
    )
    .unwrap();
    w.commit().unwrap();
}

#[derive(Clone, Copy, Debug)]
enum Change {
    Add,
    Remove,
    Compact,
    RemoveAndCompact,
}

fn apply(w: &mut staydown::index::IndexWriter, c: Change) {
    match c {
        Change::Add => {
            bank::add(
                w,
                meta("c"),
                std::slice::from_ref(&fp(3, 20)),
                &BankOptions::whole_frames(),
            )
            .unwrap();
        }
        Change::Remove => w.remove_work("a", "counter-notice upheld").unwrap(),
        Change::Compact => {
            bank::add(
                w,
                meta("d"),
                std::slice::from_ref(&fp(4, 20)),
                &BankOptions::whole_frames(),
            )
            .unwrap();
            w.compact();
        }
        Change::RemoveAndCompact => {
            w.remove_work("b", "mistaken ban").unwrap();
            w.compact();
        }
    }
}

const CHANGES: [Change; 4] = [
    Change::Add,
    Change::Remove,
    Change::Compact,
    Change::RemoveAndCompact,
];

#[test]
fn failure_at_each_commit_step_leaves_old_or_new_state() {
    for change in CHANGES {
        // The new state, reached without failure.
        let good = tempfile::tempdir().unwrap();
        setup(good.path());
        let old = state(good.path());
        let mut index = Index::open(good.path()).unwrap();
        let mut w = index.writer().unwrap();
        apply(&mut w, change);
        w.commit().unwrap();
        let new = state(good.path());
        assert_ne!(old, new);

        for point in POINTS {
            let d = tempfile::tempdir().unwrap();
            setup(d.path());
            let mut index = Index::open(d.path()).unwrap();
            let mut w = index.writer().unwrap();
            apply(&mut w, change);
            w.set_fail_point(Some(point));
            let writes_segment = !matches!(change, Change::Remove);
            let is_segment_step = matches!(
                point,
                FailPoint::SegmentTorn | FailPoint::SegmentWritten | FailPoint::SegmentRenamed
            );
            let result = w.commit();
            if writes_segment || !is_segment_step {
                let err = result.as_ref().unwrap_err();
                assert!(err.to_string().contains("injected"), "{err}");
            }
            let after = state(d.path());
            let committed = result.is_ok()
                || matches!(point, FailPoint::ManifestRenamed | FailPoint::BeforeCleanup);
            if committed {
                assert_eq!(after, new, "{change:?} at {point:?}");
            } else {
                assert_eq!(after, old, "{change:?} at {point:?}");
            }
            // The next writer cleans up and commits on top.
            let mut index = Index::open(d.path()).unwrap();
            let audit_before = index.snapshot().audit_log().unwrap().len();
            let mut w = index.writer().unwrap();
            bank::add(
                &mut w,
                meta("e"),
                std::slice::from_ref(&fp(5, 10)),
                &BankOptions::whole_frames(),
            )
            .unwrap();
            let snap = w.commit().unwrap();
            assert!(snap.find("e").is_some());
            assert_eq!(snap.audit_log().unwrap().len(), audit_before + 1);
            let stray: Vec<String> = std::fs::read_dir(d.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n.ends_with(".tmp"))
                .collect();
            assert!(stray.is_empty(), "{stray:?}");
            snap.verify().unwrap();
        }
    }
}

/// Child mode: run a commit that dies (abort, no destructors: the lock stays behind)
/// at the step named in the environment.
#[test]
fn child_writer() {
    let (Ok(dir), Ok(point)) = (
        std::env::var("STAYDOWN_CRASH_DIR"),
        std::env::var("STAYDOWN_CRASH_POINT"),
    ) else {
        return;
    };
    let point = POINTS[point.parse::<usize>().unwrap()];
    let mut index = Index::open(&dir).unwrap();
    let mut w = index.writer().unwrap();
    apply(&mut w, Change::Add);
    w.set_fail_point(Some(point));
    w.set_abort_at_fail_point(true);
    let _ = w.commit();
}

#[test]
fn killed_writer_process_leaves_old_or_new_state_and_a_stale_lock() {
    let exe = std::env::current_exe().unwrap();
    for (i, point) in POINTS.iter().enumerate() {
        let d = tempfile::tempdir().unwrap();
        setup(d.path());
        let old = state(d.path());
        let status = Command::new(&exe)
            .args(["--exact", "child_writer", "--test-threads=1", "--nocapture"])
            .env("STAYDOWN_CRASH_DIR", d.path())
            .env("STAYDOWN_CRASH_POINT", i.to_string())
            .output()
            .unwrap()
            .status;
        assert!(!status.success(), "child should have died at {point:?}");
        assert!(
            d.path().join(".lock").exists(),
            "the dead writer's lock stays"
        );
        let after = state(d.path());
        if matches!(point, FailPoint::ManifestRenamed | FailPoint::BeforeCleanup) {
            assert_eq!(after.0.len(), old.0.len() + 1, "{point:?}");
        } else {
            assert_eq!(after, old, "{point:?}");
        }
        // The lock of a dead process is stale: a new writer takes it over.
        let mut index = Index::open(d.path()).unwrap();
        let w = index.writer().expect("stale lock is taken over");
        drop(w);
    }
}

#[test]
fn second_writer_gets_locked_error() {
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    let mut a = Index::open(d.path()).unwrap();
    let mut b = Index::open(d.path()).unwrap();
    let w = a.writer().unwrap();
    let err = b.writer().unwrap_err().to_string();
    assert!(err.contains("index is locked by pid="), "{err}");
    assert!(err.contains(".lock"), "{err}");
    drop(w);
    b.writer().unwrap();
}

#[test]
fn readers_keep_their_snapshot_across_commits_and_compaction() {
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    let mut index = Index::open(d.path()).unwrap();
    let before = index.snapshot();
    let q = fp(1, 20).frames[3].hash;
    let mut w = index.writer().unwrap();
    w.remove_work("a", "counter-notice").unwrap();
    w.compact();
    let after = w.commit().unwrap();
    let hits = before.search_batch(&[q], 0);
    assert_eq!(hits[0].len(), 1, "old snapshot still answers");
    assert!(
        after.search_batch(&[q], 0)[0].is_empty(),
        "removal takes effect"
    );
    assert_eq!(after.stats().segments, 1);
    assert_eq!(after.stats().removed_works, 0);
    index.reload().unwrap();
    assert_eq!(index.snapshot().generation(), after.generation());
}
