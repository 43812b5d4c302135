//! The matcher on fingerprints built in the test: random frame hashes that drift slowly within
//! a shot (as real video hashes do) and jump at cuts; copies are noisy samples of a work at
//! another phase, speed, offset, orientation.

use staydown::matcher::{Decision, MatchOptions, Matcher, Policy};
use staydown::{Fingerprint, FrameHash, Hash256, MemoryIndex, WorkMeta};

use staydown::synth::Rng;

/// A work: a hash every `step_ms`, drifting 3 bits a step within a shot, a new shot every 4–8 s.
fn work(rng: &mut Rng, duration_ms: u64, step_ms: u64) -> Vec<(u64, Hash256)> {
    let mut out = Vec::new();
    let mut h = rng.hash();
    let mut next_cut = 4000 + rng.below(4000);
    let mut t = 0;
    while t < duration_ms {
        if t >= next_cut {
            h = rng.hash();
            next_cut = t + 4000 + rng.below(4000);
        } else {
            h = rng.flip(h, 3);
        }
        out.push((t, h));
        t += step_ms;
    }
    out
}

/// The frame of `w` nearest to `t_ms`.
fn at(w: &[(u64, Hash256)], t_ms: f64) -> Option<Hash256> {
    let last = w.last()?.0 as f64;
    if t_ms < 0.0 || t_ms > last {
        return None;
    }
    w.iter()
        .min_by_key(|(t, _)| (*t as f64 - t_ms).abs() as u64)
        .map(|(_, h)| *h)
}

fn frame(pts_ms: u64, hash: Hash256) -> FrameHash {
    FrameHash {
        pts_ms,
        hash,
        quality: 90,
        mirror: None,
    }
}

/// Piece of an upload: `len_ms` of query time starting at `q0_ms` showing `w` from `r0_ms` at
/// `speed`, with `noise` bits flipped per frame; `None` for unrelated footage.
struct Piece<'a> {
    w: Option<&'a [(u64, Hash256)]>,
    q0_ms: u64,
    len_ms: u64,
    r0_ms: f64,
    speed: f64,
    noise: u32,
    mirrored: bool,
}

/// An upload sampled once a second with a 370 ms phase, from pieces in time order.
fn upload(rng: &mut Rng, pieces: &[Piece<'_>], duration_ms: u64) -> Fingerprint {
    let mut frames = Vec::new();
    let mut t = 370;
    while t < duration_ms {
        let p = pieces
            .iter()
            .find(|p| t >= p.q0_ms && t < p.q0_ms + p.len_ms);
        let content = p.and_then(|p| {
            let w = p.w?;
            let h = at(w, p.r0_ms + p.speed * (t - p.q0_ms) as f64)?;
            Some((rng.flip(h, p.noise), p.mirrored))
        });
        let f = match content {
            Some((h, false)) => FrameHash {
                mirror: Some(rng.hash()),
                ..frame(t, h)
            },
            Some((h, true)) => FrameHash {
                mirror: Some(h),
                ..frame(t, rng.hash())
            },
            None => FrameHash {
                mirror: Some(rng.hash()),
                ..frame(t, rng.hash())
            },
        };
        frames.push(f);
        t += 1000;
    }
    Fingerprint {
        frames,
        duration_ms,
        ..Default::default()
    }
}

fn meta(id: &str) -> WorkMeta {
    WorkMeta {
        id: id.into(),
        title: format!("Title {id}"),
        rightsholder: "Studio".into(),
        notice: format!("DMCA-{id}"),
        ..Default::default()
    }
}

struct World {
    index: MemoryIndex,
    works: Vec<Vec<(u64, Hash256)>>,
}

/// Five works of 10 minutes each, banked at 5 frames a second.
fn world(rng: &mut Rng) -> World {
    let mut index = MemoryIndex::new();
    let mut works = Vec::new();
    for i in 0..5 {
        let w = work(rng, 600_000, 200);
        index.add(meta(&format!("w{i}")), w.iter().copied());
        works.push(w);
    }
    World { index, works }
}

fn piece(w: &[(u64, Hash256)], q0_ms: u64, len_ms: u64, r0_ms: f64) -> Piece<'_> {
    Piece {
        w: Some(w),
        q0_ms,
        len_ms,
        r0_ms,
        speed: 1.0,
        noise: 12,
        mirrored: false,
    }
}

#[test]
fn full_copy_is_a_match_with_time_ranges() {
    let mut rng = Rng(1);
    let wd = world(&mut rng);
    let up = upload(&mut rng, &[piece(&wd.works[2], 0, 600_000, 0.0)], 600_000);
    let v = Matcher::new(&wd.index).match_fingerprint(&up);
    assert_eq!(v.verdict, Decision::Match);
    assert_eq!(v.matches.len(), 1, "{:?}", v.matches.len());
    let m = &v.matches[0];
    assert_eq!(m.meta.id, "w2");
    assert!(
        m.query_start_ms <= 2_000 && m.query_end_ms >= 598_000,
        "{m:?}"
    );
    assert!(m.ref_start_ms <= 2_500 && m.ref_end_ms >= 597_000);
    assert!((m.speed - 1.0).abs() < 0.01, "{}", m.speed);
    assert!(m.matched_frames >= 590);
    assert!(m.score > 0.8, "{}", m.score);
    assert!(!m.mirrored);
}

#[test]
fn clip_speed_and_mirror_are_found() {
    let mut rng = Rng(2);
    let wd = world(&mut rng);
    // A 10 s clip from minute 7.
    let up = upload(
        &mut rng,
        &[piece(&wd.works[1], 0, 10_000, 420_000.0)],
        10_000,
    );
    let v = Matcher::new(&wd.index).match_fingerprint(&up);
    assert_eq!(v.verdict, Decision::Match, "{:#?}", v);
    let m = &v.matches[0];
    assert_eq!(m.meta.id, "w1");
    assert!(
        m.ref_start_ms.abs_diff(420_370) <= 600,
        "{}",
        m.ref_start_ms
    );

    // Sped up by 10%: the work's 110 s in 100 s of upload.
    let p = Piece {
        speed: 1.1,
        ..piece(&wd.works[3], 0, 100_000, 30_000.0)
    };
    let up = upload(&mut rng, &[p], 100_000);
    let v = Matcher::new(&wd.index).match_fingerprint(&up);
    assert_eq!(v.verdict, Decision::Match);
    assert!(
        (v.matches[0].speed - 1.1).abs() < 0.02,
        "{}",
        v.matches[0].speed
    );
    assert_eq!(v.matches.len(), 1);

    // Slowed to 0.85 and mirrored.
    let p = Piece {
        speed: 0.85,
        mirrored: true,
        ..piece(&wd.works[0], 0, 60_000, 100_000.0)
    };
    let up = upload(&mut rng, &[p], 60_000);
    let v = Matcher::new(&wd.index).match_fingerprint(&up);
    assert_eq!(v.verdict, Decision::Match);
    assert!(v.matches[0].mirrored);
    assert!((v.matches[0].speed - 0.85).abs() < 0.02);
    assert_eq!(v.matches.len(), 1);
}

#[test]
fn compilation_gives_every_segment_of_every_work() {
    let mut rng = Rng(3);
    let wd = world(&mut rng);
    let pieces = [
        Piece {
            w: None,
            ..piece(&wd.works[0], 0, 30_000, 0.0)
        },
        piece(&wd.works[0], 30_000, 20_000, 100_000.0),
        Piece {
            w: None,
            ..piece(&wd.works[0], 50_000, 30_000, 0.0)
        },
        piece(&wd.works[4], 80_000, 25_000, 500_000.0),
        Piece {
            w: None,
            ..piece(&wd.works[0], 105_000, 30_000, 0.0)
        },
        piece(&wd.works[0], 135_000, 15_000, 300_000.0),
    ];
    let up = upload(&mut rng, &pieces, 160_000);
    let v = Matcher::new(&wd.index).match_fingerprint(&up);
    assert_eq!(v.verdict, Decision::Match);
    let mut found: Vec<(String, u64, u64)> = v
        .matches
        .iter()
        .map(|m| {
            (
                m.meta.id.clone(),
                m.query_start_ms / 1000,
                m.ref_start_ms / 1000,
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("w0".into(), 30, 100),
            ("w0".into(), 135, 300),
            ("w4".into(), 80, 500)
        ],
        "{found:?}"
    );
    assert!(v.matches.iter().all(|m| m.decision == Decision::Match));
}

#[test]
fn short_quote_is_never_a_match_and_unrelated_is_clean() {
    let mut rng = Rng(4);
    let wd = world(&mut rng);
    for q0 in [5_000u64, 20_000, 41_000] {
        let pieces = [
            Piece {
                w: None,
                ..piece(&wd.works[0], 0, q0, 0.0)
            },
            piece(&wd.works[2], q0, 3_000, 200_000.0),
            Piece {
                w: None,
                ..piece(&wd.works[0], q0 + 3_000, 60_000, 0.0)
            },
        ];
        let up = upload(&mut rng, &pieces, 60_000);
        let v = Matcher::new(&wd.index).match_fingerprint(&up);
        assert_ne!(v.verdict, Decision::Match, "{v:#?}");
    }
    let up = upload(&mut rng, &[], 300_000);
    let v = Matcher::new(&wd.index).match_fingerprint(&up);
    assert_eq!(v.verdict, Decision::Clean);
    assert!(v.matches.is_empty());
}

#[test]
fn one_frame_repeated_is_not_a_segment() {
    let mut rng = Rng(5);
    let wd = world(&mut rng);
    let h = wd.works[1][1000].1;
    let frames = (0..60).map(|i| frame(i * 1000, rng.flip(h, 3))).collect();
    let up = Fingerprint {
        frames,
        ..Default::default()
    };
    let v = Matcher::new(&wd.index).match_fingerprint(&up);
    assert_eq!(v.verdict, Decision::Clean, "{v:#?}");
}

#[test]
fn low_quality_frames_are_never_evidence() {
    let mut rng = Rng(6);
    let wd = world(&mut rng);
    let mut up = upload(&mut rng, &[piece(&wd.works[2], 0, 60_000, 0.0)], 60_000);
    for f in &mut up.frames {
        f.quality = 49;
    }
    let v = Matcher::new(&wd.index).match_fingerprint(&up);
    assert_eq!(v.verdict, Decision::Clean);
    // Half of them low quality (a fade, say): still found, from the good half only.
    for f in up.frames.iter_mut().skip(30) {
        f.quality = 80;
    }
    let v = Matcher::new(&wd.index).match_fingerprint(&up);
    assert_eq!(v.verdict, Decision::Match);
    assert!(v.matches[0].pairs.iter().all(|p| p.query_ms >= 30_000));
}

#[test]
fn hashes_shared_by_many_works_count_less() {
    // Ten works that all open with the same 8 s studio ident.
    let mut rng = Rng(7);
    let ident = work(&mut rng, 8_000, 200);
    let mut index = MemoryIndex::new();
    for i in 0..10 {
        let body = work(&mut rng, 120_000, 200);
        let frames = ident
            .iter()
            .copied()
            .chain(body.iter().map(|(t, h)| (t + 8_000, *h)));
        index.add(meta(&format!("w{i}")), frames);
    }
    let mut wrapped = ident.clone();
    wrapped.extend(
        work(&mut rng, 60_000, 200)
            .iter()
            .map(|(t, h)| (t + 8_000, *h)),
    );
    // The upload opens with the ident, then shows footage of its own.
    let up = upload(&mut rng, &[piece(&wrapped, 0, 68_000, 0.0)], 68_000);
    let v = Matcher::new(&index).match_fingerprint(&up);
    assert_eq!(v.verdict, Decision::Clean, "{v:#?}");
    // Without the down-weighting the ident alone would be a match of all ten works.
    let policy = Policy {
        match_min_frames: 0.5,
        match_min_score: 0.0,
        ..Policy::default()
    };
    let v = Matcher::new(&index)
        .with_policy(policy)
        .match_fingerprint(&up);
    assert_eq!(v.verdict, Decision::Match);
    assert_eq!(v.matches.len(), 10);
}

#[test]
fn options_are_honoured() {
    let mut rng = Rng(8);
    let wd = world(&mut rng);
    let p = Piece {
        speed: 2.0,
        ..piece(&wd.works[3], 0, 60_000, 0.0)
    };
    let up = upload(&mut rng, &[p], 60_000);
    // At radius 31 this model's hashes stay close for about ±2 s within a shot.
    let narrow = MatchOptions {
        radius_bits: 31,
        ..MatchOptions::default()
    };
    let m = Matcher::new(&wd.index).with_options(narrow);
    let v = m.match_fingerprint(&up);
    assert_ne!(
        v.verdict,
        Decision::Match,
        "{:#?}",
        v.matches
            .iter()
            .map(|m| (
                m.query_start_ms,
                m.query_end_ms,
                m.ref_start_ms,
                m.ref_end_ms,
                m.speed,
                m.matched_frames
            ))
            .collect::<Vec<_>>()
    );
    let wide = MatchOptions {
        max_speed: 2.1,
        ..narrow
    };
    let v = m.with_options(wide).match_fingerprint(&up);
    assert_eq!(v.verdict, Decision::Match);
    // Mirror search off: a mirrored copy is not found.
    let p = Piece {
        mirrored: true,
        ..piece(&wd.works[3], 0, 60_000, 0.0)
    };
    let up = upload(&mut rng, &[p], 60_000);
    let no_mirror = MatchOptions {
        mirrored: false,
        ..narrow
    };
    assert_eq!(m.match_fingerprint(&up).verdict, Decision::Match);
    assert_eq!(
        m.with_options(no_mirror).match_fingerprint(&up).verdict,
        Decision::Clean
    );
}
