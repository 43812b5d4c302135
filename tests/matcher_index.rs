//! The matcher against the real on-disk index, whose writer collapses static shots into spans.

use staydown::bank::{self, BankOptions};
use staydown::index::Index;
use staydown::matcher::{Decision, Matcher};
use staydown::{Fingerprint, FrameHash, Hash256, WorkMeta};

fn h(i: u64) -> Hash256 {
    let mut z = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5555;
    let mut w = [0u64; 4];
    for x in &mut w {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut y = z;
        y = (y ^ (y >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        y = (y ^ (y >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        *x = y ^ (y >> 31);
    }
    Hash256(w)
}

fn fh(pts_ms: u64, hash: Hash256) -> FrameHash {
    FrameHash {
        pts_ms,
        hash,
        quality: 90,
        mirror: None,
    }
}

#[test]
fn static_shots_banked_as_spans_still_align() {
    // A 60 s work at 5 fps made of 6 s static shots: the index keeps one frame per shot.
    let frames: Vec<FrameHash> = (0..300u64).map(|k| fh(k * 200, h(k / 30))).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut index = Index::create(dir.path()).unwrap();
    let mut w = index.writer().unwrap();
    let st = bank::add(
        &mut w,
        WorkMeta {
            id: "slides".into(),
            ..Default::default()
        },
        std::slice::from_ref(&Fingerprint {
            frames,
            ..Default::default()
        }),
        &BankOptions::whole_frames(),
    )
    .unwrap();
    assert_eq!(st.stored, 10, "one stored hash per static shot");
    let snap = w.commit().unwrap();
    // Upload: seconds 12..48 of the work at 1 fps, 500 ms phase.
    let up: Vec<FrameHash> = (0..36u64)
        .map(|s| fh(s * 1000 + 500, h((12 + s) / 6)))
        .collect();
    let v = Matcher::new(&snap).match_fingerprint(&Fingerprint {
        frames: up,
        ..Default::default()
    });
    assert_eq!(v.verdict, Decision::Match, "{v:#?}");
    let m = &v.matches[0];
    assert_eq!(m.matched_frames, 36);
    assert!(
        m.ref_start_ms >= 12_000 && m.ref_start_ms <= 13_500,
        "{}",
        m.ref_start_ms
    );
    assert!(
        m.ref_end_ms >= 46_500 && m.ref_end_ms <= 48_000,
        "{}",
        m.ref_end_ms
    );
    assert!((m.speed - 1.0).abs() < 0.05, "{}", m.speed);
    // Each static shot is one frame of evidence (the same query hash six times over).
    assert!(
        (m.weighted_frames - 6.0).abs() < 1e-9,
        "{}",
        m.weighted_frames
    );
}

/// `h` with exactly `bits` distinct bits flipped, chosen by `seed`.
fn flipped(hash: Hash256, bits: u32, seed: u64) -> Hash256 {
    let mut out = hash;
    let r = h(seed ^ 0xF11F);
    let mut state = r.0[0] | 1;
    let mut done = 0;
    while done < bits {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let k = (state % 256) as usize;
        if (out.0[k / 64] ^ hash.0[k / 64]) >> (k % 64) & 1 == 0 {
            out.0[k / 64] ^= 1 << (k % 64);
            done += 1;
        }
    }
    out
}

fn bank(dir: &std::path::Path, works: &[(&str, Vec<FrameHash>)]) -> staydown::index::Snapshot {
    let mut index = Index::create(dir).unwrap();
    let mut w = index.writer().unwrap();
    for (id, frames) in works {
        bank::add(
            &mut w,
            WorkMeta {
                id: (*id).into(),
                ..Default::default()
            },
            std::slice::from_ref(&Fingerprint {
                frames: frames.clone(),
                ..Default::default()
            }),
            &BankOptions::whole_frames(),
        )
        .unwrap();
    }
    w.commit().unwrap()
}

#[test]
fn flipped_sets_exactly_the_asked_number_of_bits() {
    for bits in [0, 1, 17, 36, 200] {
        assert_eq!(flipped(h(3), bits, 9).distance(&h(3)), bits);
    }
}

#[test]
fn seeding_finds_what_the_exhaustive_search_finds() {
    // Two 60 s works at 4 fps and 20 unrelated ones (distinct frames, so nothing collapses
    // and the segment is large enough to be probed, not scanned); the upload is a
    // compilation: unrelated footage, 40 s of work A mirrored, footage, 30 s of work B at
    // speed 1.1. Most copied frames are 30–38 bits from their work (beyond the seeding
    // radius of 15), one in ten only 6 bits: seeds must be extended to every frame an
    // exhaustive search finds.
    let work =
        |base: u64| -> Vec<FrameHash> { (0..240u64).map(|k| fh(k * 250, h(base + k))).collect() };
    let mut works = vec![("a", work(1_000)), ("b", work(2_000))];
    let others: Vec<(String, Vec<FrameHash>)> = (0..20u64)
        .map(|i| (format!("other{i}"), work(10_000 + 1_000 * i)))
        .collect();
    works.extend(others.iter().map(|(id, f)| (id.as_str(), f.clone())));
    let dir = tempfile::tempdir().unwrap();
    let snap = bank(dir.path(), &works);

    let far = |s: u64| if s % 10 == 3 { 6 } else { 30 + (s % 9) as u32 };
    let mut up = Vec::new();
    let mut t = 0u64;
    for s in 0..15u64 {
        up.push(fh(t, h(900_000 + s)));
        t += 1000;
    }
    for s in 0..40u64 {
        let src = works[0].1[(4 * (10 + s)) as usize].hash;
        let mut f = fh(t, h(800_000 + s));
        f.mirror = Some(flipped(src, far(s), 77 + s));
        up.push(f);
        t += 1000;
    }
    for s in 0..15u64 {
        up.push(fh(t, h(700_000 + s)));
        t += 1000;
    }
    for s in 0..30u64 {
        let r = (s as f64 * 1.1 * 4.0).round() as usize + 20;
        up.push(fh(t, flipped(works[1].1[r].hash, far(s), 99 + s)));
        t += 1000;
    }
    let upload = Fingerprint {
        frames: up,
        ..Default::default()
    };
    let seeded = Matcher::new(&snap).match_fingerprint(&upload);
    let exhaustive = Matcher::new(&snap)
        .with_options(staydown::MatchOptions {
            seed_bits: 40,
            ..Default::default()
        })
        .match_fingerprint(&upload);
    assert_eq!(seeded, exhaustive);
    // The seeds alone are far fewer than the hits.
    let seeds = upload
        .frames
        .iter()
        .filter(|f| {
            let mut hits = Vec::new();
            for q in std::iter::once(f.hash).chain(f.mirror) {
                staydown::Search::seed(&snap, &q, 40, 15, &mut hits);
            }
            !hits.is_empty()
        })
        .count();
    assert!(seeds < 35, "{seeds} of 70 copied frames seeded");
    assert_eq!(seeded.verdict, Decision::Match, "{seeded:#?}");
    let mut found: Vec<(&str, bool)> = seeded
        .matches
        .iter()
        .map(|m| (m.meta.id.as_str(), m.mirrored))
        .collect();
    found.sort();
    assert_eq!(found, vec![("a", true), ("b", false)]);
    // Most copied frames are in the segments, not only the few seeds (one in ten).
    for m in &seeded.matches {
        let copied = if m.mirrored { 40 } else { 30 };
        assert!(m.matched_frames * 5 >= copied * 4, "{m:#?}");
    }
}
