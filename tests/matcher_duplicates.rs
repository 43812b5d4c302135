//! One film banked twice (two notices, two ids) still matches in full, listing both works,
//! while footage shared by different works (an ident) still counts little.

use staydown::bank::{self, BankOptions};
use staydown::index::Index;
use staydown::{Decision, Fingerprint, FrameHash, Hash256, Matcher, WorkMeta};

use staydown::synth::Rng;

/// `n` frames 200 ms apart from `start_ms`, in shots of 30 drifting frames.
fn frames(rng: &mut Rng, start_ms: u64, n: u64) -> Vec<(u64, Hash256)> {
    let mut h = rng.hash();
    (0..n)
        .map(|k| {
            h = if k % 30 == 0 {
                rng.hash()
            } else {
                rng.flip(h, 3)
            };
            (start_ms + k * 200, h)
        })
        .collect()
}

fn fingerprint(frames: &[(u64, Hash256)]) -> Fingerprint {
    Fingerprint {
        frames: frames
            .iter()
            .map(|&(pts_ms, hash)| FrameHash {
                pts_ms,
                hash,
                quality: 90,
                mirror: None,
            })
            .collect(),
        ..Fingerprint::default()
    }
}

/// A noisy 1 fps copy of `work` from `from_ms`, `secs` long.
fn upload(rng: &mut Rng, work: &[(u64, Hash256)], from_ms: u64, secs: u64) -> Fingerprint {
    Fingerprint {
        frames: (0..secs)
            .map(|s| {
                let t = from_ms + s * 1000 + 370;
                let (_, h) = work.iter().min_by_key(|(pts, _)| pts.abs_diff(t)).unwrap();
                FrameHash {
                    pts_ms: s * 1000,
                    hash: rng.flip(*h, 12),
                    quality: 90,
                    mirror: Some(rng.hash()),
                }
            })
            .collect(),
        duration_ms: secs * 1000,
        ..Fingerprint::default()
    }
}

fn bank(dir: &std::path::Path, works: &[(&str, &[(u64, Hash256)])]) -> staydown::index::Snapshot {
    let mut index = Index::create(dir).unwrap();
    let mut w = index.writer().unwrap();
    let opts = BankOptions {
        min_quality: 0,
        ..BankOptions::every_frame()
    };
    for (id, frames) in works {
        let meta = WorkMeta {
            id: id.to_string(),
            ..WorkMeta::default()
        };
        bank::add(
            &mut w,
            meta,
            std::slice::from_ref(&fingerprint(frames)),
            &opts,
        )
        .unwrap();
    }
    w.commit().unwrap()
}

#[test]
fn a_film_banked_under_two_ids_matches_as_strongly_as_once() {
    let mut rng = Rng(42);
    let film = frames(&mut rng, 0, 600);
    let others: Vec<Vec<(u64, Hash256)>> = (0..3).map(|_| frames(&mut rng, 0, 600)).collect();
    let up = upload(&mut rng, &film, 20_000, 8);

    let once = tempfile::tempdir().unwrap();
    let mut works: Vec<(&str, &[(u64, Hash256)])> = vec![("film-a", &film)];
    works.extend(others.iter().map(|o| ("other", o.as_slice())));
    for (i, w) in works.iter_mut().enumerate().skip(1) {
        w.0 = ["o1", "o2", "o3"][i - 1];
    }
    let snap = bank(once.path(), &works);
    let v = Matcher::new(&snap).match_fingerprint(&up);
    assert_eq!(v.verdict, Decision::Match, "{v:#?}");
    let alone = v.matches[0].score;

    let twice = tempfile::tempdir().unwrap();
    works.push(("film-b", &film));
    let snap = bank(twice.path(), &works);
    let v = Matcher::new(&snap).match_fingerprint(&up);
    assert_eq!(v.verdict, Decision::Match, "{v:#?}");
    let mut matched: Vec<(&str, Decision, f64)> = v
        .matches
        .iter()
        .map(|m| (m.meta.id.as_str(), m.decision, m.score))
        .collect();
    matched.sort_by(|a, b| a.0.cmp(b.0));
    assert_eq!(matched.len(), 2, "{matched:?}");
    for (id, (got, decision, score)) in ["film-a", "film-b"].iter().zip(&matched) {
        assert_eq!((got, *decision), (id, Decision::Match));
        assert!((score - alone).abs() < 1e-9, "{id}: {score} vs {alone}");
    }

    // The library says which banked works a work duplicates.
    let a = snap.find("film-a").unwrap();
    let b = snap.find("film-b").unwrap();
    assert_eq!(snap.duplicates_of(b), [a]);
    assert_eq!(snap.duplicates_of(a), [b]);
    assert!(snap.duplicates_of(snap.find("o1").unwrap()).is_empty());
}

#[test]
fn an_ident_shared_by_different_works_still_counts_little() {
    // Ten different works that open with the same 8 s ident; the upload is the ident
    // followed by footage of its own.
    let mut rng = Rng(7);
    let ident = frames(&mut rng, 0, 40);
    let bodies: Vec<Vec<(u64, Hash256)>> = (0..10)
        .map(|_| {
            let mut w = ident.clone();
            w.extend(frames(&mut rng, 8_000, 300));
            w
        })
        .collect();
    let ids: Vec<String> = (0..10).map(|i| format!("w{i}")).collect();
    let works: Vec<(&str, &[(u64, Hash256)])> = ids
        .iter()
        .zip(&bodies)
        .map(|(id, w)| (id.as_str(), w.as_slice()))
        .collect();
    let d = tempfile::tempdir().unwrap();
    let snap = bank(d.path(), &works);
    let mut wrapped = ident.clone();
    wrapped.extend(frames(&mut rng, 8_000, 300));
    let up = upload(&mut rng, &wrapped, 0, 60);
    let v = Matcher::new(&snap).match_fingerprint(&up);
    assert_eq!(v.verdict, Decision::Clean, "{v:#?}");
    assert!(snap.duplicates_of(0).is_empty());
}
