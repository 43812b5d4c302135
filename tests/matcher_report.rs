//! Golden verdict JSON: the object `check --json` prints (DESIGN.md field names, times in
//! seconds), pinned in `fixtures/report/`. `BLESS=1 cargo test --test matcher_report` rewrites.

use std::path::Path;

use staydown::matcher::Matcher;
use staydown::report::{self, Outcome};
use staydown::{Fingerprint, FrameHash, Hash256, MemoryIndex, WorkMeta};

/// Distinct, reproducible hashes: hash `i` differs from every other in about 128 bits.
fn h(i: u64) -> Hash256 {
    let mut z = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
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

/// `h` with its lowest `bits` bits of the first word flipped.
fn near(x: Hash256, bits: u32) -> Hash256 {
    let mut y = x;
    y.0[0] ^= (1u64 << bits) - 1;
    y
}

fn golden(name: &str, json: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/report")
        .join(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, json).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1)", path.display()));
    assert_eq!(
        json,
        want,
        "{} differs; BLESS=1 rewrites it",
        path.display()
    );
}

#[test]
fn compilation_verdict_json() {
    let mut index = MemoryIndex::new();
    let meta = |id: &str, title: &str| WorkMeta {
        id: id.into(),
        title: title.into(),
        rightsholder: "Example Pictures".into(),
        notice: format!("DMCA-2026-{id}"),
        ..Default::default()
    };
    // Two works of 60 s banked at 2 frames a second.
    index.add(meta("film-a", "Film A"), (0..120).map(|k| (k * 500, h(k))));
    index.add(
        meta("film-b", "Film B"),
        (0..120).map(|k| (k * 500, h(1000 + k))),
    );
    // Upload: 5 s of other footage, film A 20..32 s, 4 s other, film B mirrored 40..48 s,
    // 3 s other, film A 2..5 s (a quote: review).
    let mut frames = Vec::new();
    let mut t = 0;
    let mut other = 5000u64;
    let mut push = |t: &mut u64, hash: Hash256, mirror: Hash256| {
        frames.push(FrameHash {
            pts_ms: *t,
            hash,
            quality: 80,
            mirror: Some(mirror),
        });
        *t += 1000;
    };
    let mut filler = |t: &mut u64, n: u64, push: &mut dyn FnMut(&mut u64, Hash256, Hash256)| {
        for _ in 0..n {
            push(t, h(other), h(other + 500));
            other += 1;
        }
    };
    filler(&mut t, 5, &mut push);
    for s in 20..32 {
        push(&mut t, near(h(s * 2), (s % 5) as u32 + 2), h(9000 + s));
    }
    filler(&mut t, 4, &mut push);
    for s in 40..48 {
        push(&mut t, h(9100 + s), near(h(1000 + s * 2), 6));
    }
    filler(&mut t, 3, &mut push);
    for s in 2..5 {
        push(&mut t, near(h(s * 2), 3), h(9200 + s));
    }
    filler(&mut t, 3, &mut push);
    let upload = Fingerprint {
        frames,
        duration_ms: t,
        width: 640,
        height: 360,
        fps: 30.0,
    };
    let verdict = Matcher::new(&index).match_fingerprint(&upload);
    let json = serde_json::to_string_pretty(&verdict).unwrap() + "\n";
    golden("compilation.json", &json);
    assert_eq!(verdict.matches.len(), 3);
    // What `staydown check --json` prints for it: the DESIGN.md object with evidence pairs.
    let outcome = Outcome::Verdict {
        duration_ms: upload.duration_ms,
        verdict,
    };
    let line = report::json_line(Path::new("upload.mp4"), &outcome, true) + "\n";
    golden("compilation.check.jsonl", &line);
}
