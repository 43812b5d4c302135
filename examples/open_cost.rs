//! What opening an index and its first `check` cost, in a fresh process.
//!
//!     cargo run --release --example open_cost -- build DIR N   # an index of N frame hashes
//!     cargo run --release --example open_cost -- read DIR      # Index::open, then 2 checks
//!     cargo run --release --example open_cost -- map DIR       # Index::open_mapped, then 2 checks
//!
//! The index is the one of `benches/matcher.rs`: a 10-minute target work (3,000 frames) among
//! random works of 3,000 frames, N hashes in all, in one commit. The upload is a noisy 1 fps
//! copy of the target (600 frames with mirrors); every check must say `match`. Times are
//! wall-clock; run `read` and `map` more than once to see the files in the page cache.

use std::path::Path;
use std::time::Instant;

use staydown::bank::{self, BankOptions};
use staydown::index::Index;
use staydown::{Decision, Fingerprint, FrameHash, Hash256, Matcher, WorkMeta};

use staydown::synth::Rng;

fn target() -> Vec<(u64, Hash256)> {
    let mut rng = Rng(42);
    let mut h = rng.hash();
    (0..3000u64)
        .map(|k| {
            h = if k % 30 == 0 {
                rng.hash()
            } else {
                rng.flip(h, 3)
            };
            (k * 200, h)
        })
        .collect()
}

fn fingerprint(frames: impl Iterator<Item = (u64, Hash256)>) -> Fingerprint {
    Fingerprint {
        frames: frames
            .map(|(pts_ms, hash)| FrameHash {
                pts_ms,
                hash,
                quality: 90,
                mirror: None,
            })
            .collect(),
        ..Fingerprint::default()
    }
}

fn build(dir: &Path, total: usize) {
    let mut index = Index::create(dir).expect("a new index");
    let mut w = index.writer().expect("the writer");
    let opts = BankOptions {
        min_quality: 0,
        ..BankOptions::every_frame()
    };
    let meta = |id: String| WorkMeta {
        id,
        ..WorkMeta::default()
    };
    let work = target();
    bank::add(
        &mut w,
        meta("target".into()),
        std::slice::from_ref(&fingerprint(work.iter().copied())),
        &opts,
    )
    .expect("banked");
    let mut rng = Rng(43);
    let mut banked = work.len();
    let mut i = 0;
    while banked < total {
        let n = 3000.min(total - banked);
        let fp = fingerprint((0..n as u64).map(|k| (k * 200, rng.hash())));
        bank::add(
            &mut w,
            meta(format!("other{i}")),
            std::slice::from_ref(&fp),
            &opts,
        )
        .expect("banked");
        banked += n;
        i += 1;
    }
    w.commit().expect("committed");
}

fn upload() -> Fingerprint {
    let work = target();
    let mut rng = Rng(44);
    Fingerprint {
        frames: (0..600u64)
            .map(|s| FrameHash {
                pts_ms: s * 1000 + 370,
                hash: rng.flip(work[(s * 5 + 2) as usize].1, 12),
                quality: 90,
                mirror: Some(rng.hash()),
            })
            .collect(),
        duration_ms: 600_000,
        ..Fingerprint::default()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, dir) = match args.as_slice() {
        [m, d, ..] => (m.as_str(), Path::new(d)),
        _ => {
            eprintln!("usage: open_cost build DIR N | read DIR | map DIR");
            std::process::exit(2);
        }
    };
    if mode == "build" {
        let n: usize = args.get(2).and_then(|s| s.parse().ok()).expect("N hashes");
        let t = Instant::now();
        build(dir, n);
        println!("built {n} hashes in {:.1} s", t.elapsed().as_secs_f64());
        return;
    }
    let up = upload();
    let t = Instant::now();
    let index = match mode {
        "read" => Index::open(dir),
        // SAFETY: the directory is written by `build` only, before this process runs.
        #[allow(unsafe_code)]
        "map" => unsafe { Index::open_mapped(dir) },
        _ => panic!("mode is build, read or map"),
    }
    .expect("the index opens");
    let open_ms = t.elapsed().as_secs_f64() * 1e3;
    let snap = index.snapshot();
    let mut checks = Vec::new();
    for _ in 0..2 {
        let t = Instant::now();
        let v = Matcher::new(&snap).match_fingerprint(&up);
        checks.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(v.verdict, Decision::Match);
    }
    println!(
        "{mode} {} hashes: open {open_ms:.1} ms, first check {:.1} ms, second check {:.1} ms",
        snap.stats().stored_hashes,
        checks[0],
        checks[1]
    );
}
