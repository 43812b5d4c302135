//! The matcher against the real on-disk index, whose writer collapses static shots into spans.

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
    let st = w
        .add_work(
            WorkMeta {
                id: "slides".into(),
                ..Default::default()
            },
            &Fingerprint {
                frames,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(st.indexed, 10, "one indexed frame per static shot");
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
