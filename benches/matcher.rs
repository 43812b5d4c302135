//! Matcher benchmarks.
//!
//! `matcher/align/1000000`: a 10-minute upload (600 frame hashes, each with its mirror) that
//! is a noisy copy of one banked work, against 10^6 banked frame hashes (the work banked at
//! 5 frames a second among random others). The index answers from a table of precomputed
//! hits, so this times the matcher's own work (hit bookkeeping, chaining, scoring) alone.
//! `matcher/check/1000000`: the same upload against the same 10^6 frame hashes banked in a
//! real on-disk index ([`staydown::index::Snapshot`], multi-index hashing), searches included,
//! with the default options (radius 40 bits, seeds within 15 bits, then extension);
//! `matcher/check-default/1000000` searches all the hashes `check` makes of each frame by
//! default (the frame and its mirror, four rotations, two bands and their mirrors: five
//! times the hashes); `matcher/check-exhaustive/1000000` is `check` with every frame
//! searched at the full radius.
//!
//! One core: both run inside a rayon pool of one thread.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use staydown::bank::{self, BankOptions};
use staydown::{Fingerprint, FrameHash, Hash256, Hit, Matcher, MemoryIndex, Search, WorkMeta};

use staydown::synth::Rng;

type Works = Vec<(WorkMeta, Vec<(u64, Hash256)>)>;

/// The banked work (10 min at 5 fps, drifting within shots), 10^6 frames in all, and an
/// upload that is a noisy 1 fps copy with mirrors.
pub fn setup(total: usize) -> (Works, Fingerprint) {
    let mut rng = Rng(42);
    let mut works: Works = Vec::new();
    let mut work = Vec::new();
    let mut h = rng.hash();
    for k in 0..3000u64 {
        h = if k % 30 == 0 {
            rng.hash()
        } else {
            rng.flip(h, 3)
        };
        work.push((k * 200, h));
    }
    let meta = |id: String| WorkMeta {
        id,
        ..Default::default()
    };
    works.push((meta("target".into()), work.clone()));
    let mut banked = work.len();
    let mut i = 0;
    while banked < total {
        let n = 3000.min(total - banked);
        let frames: Vec<(u64, Hash256)> = (0..n as u64).map(|k| (k * 200, rng.hash())).collect();
        works.push((meta(format!("other{i}")), frames));
        banked += n;
        i += 1;
    }
    let frames = (0..600u64)
        .map(|s| FrameHash {
            pts_ms: s * 1000 + 370,
            hash: rng.flip(work[(s * 5 + 2) as usize].1, 12),
            quality: 90,
            mirror: Some(rng.hash()),
        })
        .collect();
    let upload = Fingerprint {
        frames,
        duration_ms: 600_000,
        ..Default::default()
    };
    (works, upload)
}

/// Answers searches from a table filled beforehand by brute force.
struct Precomputed<'a> {
    inner: &'a MemoryIndex,
    table: HashMap<(Hash256, u32), Vec<Hit>>,
}

impl<'a> Precomputed<'a> {
    fn new(inner: &'a MemoryIndex, upload: &Fingerprint, radius: u32) -> Self {
        let mut table = HashMap::new();
        for f in &upload.frames {
            for h in std::iter::once(f.hash).chain(f.mirror) {
                let mut out = Vec::new();
                inner.search(&h, radius, &mut out);
                table.insert((h, radius), out);
            }
        }
        Precomputed { inner, table }
    }
}

impl Search for Precomputed<'_> {
    fn search(&self, hash: &Hash256, radius_bits: u32, out: &mut Vec<Hit>) {
        match self.table.get(&(*hash, radius_bits)) {
            Some(hits) => out.extend_from_slice(hits),
            None => self.inner.search(hash, radius_bits, out),
        }
    }
    fn work(&self, work: u32) -> Option<&WorkMeta> {
        self.inner.work(work)
    }
    fn work_count(&self) -> u32 {
        self.inner.work_count()
    }
}

fn bench(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    let n = 1_000_000;
    let (works, upload) = setup(n);
    let mut index = MemoryIndex::new();
    for (meta, frames) in &works {
        index.add(meta.clone(), frames.iter().copied());
    }
    let radius = staydown::MatchOptions::default().radius_bits;
    let pre = Precomputed::new(&index, &upload, radius);
    let matcher = Matcher::new(&pre);
    let v = matcher.match_fingerprint(&upload);
    assert_eq!(v.verdict, staydown::Decision::Match);
    let mut group = c.benchmark_group("matcher");
    group.sample_size(10);
    group.throughput(Throughput::Elements(upload.frames.len() as u64));
    group.bench_function(format!("align/{n}"), |b| {
        b.iter(|| pool.install(|| black_box(matcher.match_fingerprint(black_box(&upload)))))
    });

    // The same frames in an on-disk index.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut disk = staydown::index::Index::create(dir.path()).expect("an index");
    let mut writer = disk.writer().expect("the writer");
    for (meta, frames) in &works {
        let frames = frames
            .iter()
            .map(|&(pts_ms, hash)| FrameHash {
                pts_ms,
                hash,
                quality: 90,
                mirror: None,
            })
            .collect();
        let fp = Fingerprint {
            frames,
            ..Default::default()
        };
        bank::add(
            &mut writer,
            meta.clone(),
            std::slice::from_ref(&fp),
            &BankOptions::whole_frames(),
        )
        .expect("banked");
    }
    let snapshot = writer.commit().expect("committed");
    let matcher = Matcher::new(&snapshot);
    let v = pool.install(|| matcher.match_fingerprint(&upload));
    assert_eq!(v.verdict, staydown::Decision::Match);
    group.bench_function(format!("check/{n}"), |b| {
        b.iter(|| pool.install(|| black_box(matcher.match_fingerprint(black_box(&upload)))))
    });
    // As `check` hashes uploads by default: the whole frame and its mirror, the frame turned
    // back by four angles, the top and bottom bands with their mirrors (10 hashes a frame;
    // for this copy only the whole frame matches: 6,000 hashes searched).
    let variant = |salt: u64, mirrored: bool| Fingerprint {
        frames: upload
            .frames
            .iter()
            .map(|f| {
                let mut g = *f;
                g.hash.0[0] ^= salt.wrapping_mul(f.pts_ms | 1);
                g.hash.0[2] = g.hash.0[2].rotate_left(29) ^ salt;
                g.mirror = f
                    .mirror
                    .filter(|_| mirrored)
                    .map(|m| Hash256([m.0[3], m.0[1] ^ salt, m.0[0], !m.0[2]]));
                g
            })
            .collect(),
        ..upload.clone()
    };
    let others: Vec<Fingerprint> = (1..=6u64)
        .map(|k| variant(k.wrapping_mul(0x9E37_79B9_7F4A_7C15), k > 4))
        .collect();
    let variants: Vec<&Fingerprint> = std::iter::once(&upload).chain(&others).collect();
    let vb = pool.install(|| matcher.match_variants(&variants));
    assert_eq!(vb.verdict, staydown::Decision::Match);
    group.bench_function(format!("check-default/{n}"), |b| {
        b.iter(|| pool.install(|| black_box(matcher.match_variants(black_box(&variants)))))
    });
    // Every frame searched at the full radius (no seeding): the same verdict, for the cost.
    let exhaustive = matcher.with_options(staydown::MatchOptions {
        seed_bits: radius,
        ..Default::default()
    });
    let ve = pool.install(|| exhaustive.match_fingerprint(&upload));
    assert_eq!(ve, v, "seeding must find what the exhaustive search finds");
    group.bench_function(format!("check-exhaustive/{n}"), |b| {
        b.iter(|| pool.install(|| black_box(exhaustive.match_fingerprint(black_box(&upload)))))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
