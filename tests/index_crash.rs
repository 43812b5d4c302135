//! A commit interrupted at any step leaves an index that opens to the old or the new
//! state, never a mixture and never an error; the next writer carries on.

mod util;

use std::path::Path;
use std::process::Command;

use staydown::bank::{self, BankOptions};
use staydown::index::{FailPoint, Index, IndexedFrame, MergePolicy};
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
            let audit_before = Index::open(d.path())
                .unwrap()
                .snapshot()
                .audit_log()
                .unwrap()
                .len();
            let snap = commit_next(d.path(), None);
            assert_eq!(snap.audit_log().unwrap().len(), audit_before + 1);
            assert_tidy(d.path(), &snap);
        }
    }
}

/// Child mode: run a commit that dies (abort, no destructors: the lock stays behind)
/// at the step named in the environment.
#[test]
fn child_writer() {
    crash_child("STAYDOWN_CRASH_DIR", "STAYDOWN_CRASH_POINT", &POINTS, |w| {
        apply(w, Change::Add)
    });
}

/// The writer after a crash: banks work `e` (under `policy` when given) and commits.
fn commit_next(dir: &Path, policy: Option<MergePolicy>) -> staydown::index::Snapshot {
    let mut index = Index::open(dir).unwrap();
    let mut w = index.writer().unwrap();
    if let Some(policy) = policy {
        w.set_merge_policy(policy).unwrap();
    }
    bank::add(
        &mut w,
        meta("e"),
        std::slice::from_ref(&fp(5, 10)),
        &BankOptions::whole_frames(),
    )
    .unwrap();
    let snap = w.commit().unwrap();
    assert!(snap.find("e").is_some());
    snap
}

/// No temporary file is left in `dir`, and every segment of `snap` verifies.
fn assert_tidy(dir: &Path, snap: &staydown::index::Snapshot) {
    let stray: Vec<String> = files(dir)
        .into_iter()
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
    snap.verify().unwrap();
}

/// Child mode: opens the index in the directory named by `dir_var`, applies `change`, and
/// commits, dying (abort, no destructors: the lock stays behind) at the step of `points`
/// whose position `point_var` names. Does nothing when the variables are not set (the test
/// run as itself).
fn crash_child(
    dir_var: &str,
    point_var: &str,
    points: &[FailPoint],
    change: impl FnOnce(&mut staydown::index::IndexWriter),
) {
    let (Ok(dir), Ok(point)) = (std::env::var(dir_var), std::env::var(point_var)) else {
        return;
    };
    let point = points[point.parse::<usize>().unwrap()];
    let mut index = Index::open(&dir).unwrap();
    let mut w = index.writer().unwrap();
    change(&mut w);
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

/// Every step of a commit that merges, in the order a commit reaches them.
const MERGE_POINTS: [FailPoint; 9] = [
    FailPoint::MergeTorn,
    FailPoint::MergeWritten,
    FailPoint::MergeRenamed,
    FailPoint::AuditAppended,
    FailPoint::ManifestTorn,
    FailPoint::ManifestWritten,
    FailPoint::ManifestRenamed,
    FailPoint::BeforeCleanup,
    FailPoint::RetiredRemoved,
];

/// A policy under which the third small segment makes the setup's two merge with it.
fn eager() -> MergePolicy {
    MergePolicy {
        merge_factor: 3,
        floor_rows: 1000,
        ..MergePolicy::default()
    }
}

#[derive(Clone, Copy, Debug)]
enum MergeChange {
    /// Add c: a, b and c merge into one segment.
    Add,
    /// Remove a and add c: b and c merge, a's hashes are dropped.
    RemoveAndAdd,
    /// Remove a: its segment holds nothing live and is retired, nothing is written.
    Remove,
}

fn apply_merge(w: &mut staydown::index::IndexWriter, c: MergeChange) {
    w.set_merge_policy(eager()).unwrap();
    if matches!(c, MergeChange::RemoveAndAdd | MergeChange::Remove) {
        w.remove_work("a", "counter-notice upheld").unwrap();
    }
    if matches!(c, MergeChange::Add | MergeChange::RemoveAndAdd) {
        apply(w, Change::Add);
    }
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// The live works of the index in `dir` after `index::recover` (on a copy).
fn recovered_works(dir: &Path) -> Vec<String> {
    let copy = tempfile::tempdir().unwrap();
    for f in files(dir) {
        if f != ".lock" {
            std::fs::copy(dir.join(&f), copy.path().join(&f)).unwrap();
        }
    }
    staydown::index::recover(copy.path()).unwrap();
    let (works, _) = state(copy.path());
    works.into_iter().map(|(id, _)| id).collect()
}

#[test]
fn failure_at_each_step_of_a_merge_leaves_old_or_new_state() {
    for change in [
        MergeChange::Add,
        MergeChange::RemoveAndAdd,
        MergeChange::Remove,
    ] {
        let good = tempfile::tempdir().unwrap();
        setup(good.path());
        let old = state(good.path());
        let mut index = Index::open(good.path()).unwrap();
        let mut w = index.writer().unwrap();
        apply_merge(&mut w, change);
        let snap = w.commit().unwrap();
        let new = state(good.path());
        assert_ne!(old, new);
        assert_eq!(snap.stats().segments, 1, "{change:?} merged");
        assert_eq!(snap.stats().removed_works, 0, "{change:?} purged");
        let segs = files(good.path())
            .into_iter()
            .filter(|f| f.starts_with("seg-"))
            .count();
        assert_eq!(segs, 1, "{change:?}: retired segments removed");

        for point in MERGE_POINTS {
            let writes = !matches!(change, MergeChange::Remove);
            let reached = writes
                || !matches!(
                    point,
                    FailPoint::MergeTorn | FailPoint::MergeWritten | FailPoint::MergeRenamed
                );
            let d = tempfile::tempdir().unwrap();
            setup(d.path());
            let mut index = Index::open(d.path()).unwrap();
            let mut w = index.writer().unwrap();
            apply_merge(&mut w, change);
            w.set_fail_point(Some(point));
            let result = w.commit();
            if reached {
                let err = result.as_ref().unwrap_err();
                assert!(err.to_string().contains("injected"), "{err}");
            } else {
                result.as_ref().unwrap();
            }
            let committed = !reached
                || matches!(
                    point,
                    FailPoint::ManifestRenamed
                        | FailPoint::BeforeCleanup
                        | FailPoint::RetiredRemoved
                );
            let after = state(d.path());
            let expect = if committed { &new } else { &old };
            assert_eq!(&after, expect, "{change:?} at {point:?}");
            // Rebuilding the manifest from the files a crash left finds each work once.
            let mut ids: Vec<String> = expect.0.iter().map(|(id, _)| id.clone()).collect();
            let mut rec = recovered_works(d.path());
            ids.sort();
            rec.sort();
            // (Audit lines appended before the crash may make recover keep the new state.)
            let ids_of = |st: &(State, Vec<usize>)| {
                let mut v: Vec<String> = st.0.iter().map(|(id, _)| id.clone()).collect();
                v.sort();
                v
            };
            assert!(
                rec == ids_of(&old) || rec == ids_of(&new),
                "recover after {change:?} at {point:?}: {rec:?}"
            );
            if !matches!(
                point,
                FailPoint::AuditAppended | FailPoint::ManifestTorn | FailPoint::ManifestWritten
            ) {
                assert_eq!(rec, ids, "recover after {change:?} at {point:?}");
            }

            // The next writer carries on, merging again; no temp file stays.
            let snap = commit_next(d.path(), Some(eager()));
            let mut expect_ids = ids.clone();
            expect_ids.push("e".into());
            expect_ids.sort();
            let (works, _) = state(d.path());
            let mut got: Vec<String> = works.into_iter().map(|(id, _)| id).collect();
            got.sort();
            assert_eq!(
                got, expect_ids,
                "{change:?} at {point:?}: no work lost or doubled"
            );
            assert_tidy(d.path(), &snap);
        }
    }
}

/// Child mode: a merging commit that dies (abort) at the step named in the environment.
#[test]
fn child_merging_writer() {
    crash_child(
        "STAYDOWN_MERGE_CRASH_DIR",
        "STAYDOWN_MERGE_CRASH_POINT",
        &MERGE_POINTS,
        |w| apply_merge(w, MergeChange::RemoveAndAdd),
    );
}

#[test]
fn killed_merging_writer_leaves_old_or_new_state() {
    let exe = std::env::current_exe().unwrap();
    let good = tempfile::tempdir().unwrap();
    setup(good.path());
    let mut index = Index::open(good.path()).unwrap();
    let mut w = index.writer().unwrap();
    apply_merge(&mut w, MergeChange::RemoveAndAdd);
    w.commit().unwrap();
    let new = state(good.path());
    for (i, point) in MERGE_POINTS.iter().enumerate() {
        let d = tempfile::tempdir().unwrap();
        setup(d.path());
        let old = state(d.path());
        let status = Command::new(&exe)
            .args([
                "--exact",
                "child_merging_writer",
                "--test-threads=1",
                "--nocapture",
            ])
            .env("STAYDOWN_MERGE_CRASH_DIR", d.path())
            .env("STAYDOWN_MERGE_CRASH_POINT", i.to_string())
            .output()
            .unwrap()
            .status;
        assert!(!status.success(), "child should have died at {point:?}");
        let after = state(d.path());
        let committed = matches!(
            point,
            FailPoint::ManifestRenamed | FailPoint::BeforeCleanup | FailPoint::RetiredRemoved
        );
        assert_eq!(
            after,
            if committed { new.clone() } else { old },
            "{point:?}"
        );
        // The stale lock is taken over and the next merging commit succeeds.
        let mut index = Index::open(d.path()).unwrap();
        let mut w = index.writer().expect("stale lock is taken over");
        w.set_merge_policy(eager()).unwrap();
        w.compact();
        let snap = w.commit().unwrap();
        snap.verify().unwrap();
    }
}

#[test]
fn readers_keep_their_snapshot_across_merges() {
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    // A mapped reader and a reader with the bytes in memory, both on the two-segment state.
    // SAFETY (test): nothing rewrites the segment files; merges only add and unlink.
    #[allow(unsafe_code)]
    let mapped = unsafe { Index::open_mapped(d.path()) }.unwrap();
    let read = Index::open(d.path()).unwrap();
    let (old_map, old_read) = (mapped.snapshot(), read.snapshot());
    let q = fp(1, 20).frames[3].hash;
    let mut index = Index::open(d.path()).unwrap();
    let mut w = index.writer().unwrap();
    apply_merge(&mut w, MergeChange::RemoveAndAdd);
    let after = w.commit().unwrap();
    assert_eq!(after.stats().segments, 1);
    // The retired segments are gone from the directory, the old snapshots still answer.
    assert!(!d.path().join("seg-00000001.sdx").exists());
    for old in [old_map, old_read] {
        assert_eq!(
            old.search_batch(&[q], 0)[0].len(),
            1,
            "old snapshot answers"
        );
        assert_eq!(old.stats().segments, 2);
        old.verify().unwrap();
    }
    assert!(after.search_batch(&[q], 0)[0].is_empty(), "a is removed");
}
