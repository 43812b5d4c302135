//! Index search: multi-index hashing against the brute-force scan of the same segment.
//!
//! Ids: `index_query/mih/{n}` and `index_query/brute/{n}` (radius 31, one iteration = the
//! same 32 queries, one thread), `index_query/seed/{n}` (the matcher's seed search: radius 31,
//! seed bits 15, the same 32 queries), `index_open/mapped/{n}`. Data: works made of shots, each
//! either a cluster (a random centre and near copies 5–20 bits away, like consecutive
//! frames) or uniform hashes, from a seeded RNG. Queries: 16 near copies (0–20 bits) of
//! indexed hashes and 16 uniform hashes that match nothing. Before timing, every query's
//! MIH hits are asserted equal to the brute-force hits. Bytes per hash (on disk, in
//! memory) and the open time are printed as `index_size/...` lines.
//!
//! Queries run on a snapshot opened with `Index::open` (segments read into memory, in
//! transparent huge pages where available); both open modes are timed.
//! `STAYDOWN_BENCH_MAX_N=1000000` skips the larger sizes, `STAYDOWN_BENCH_MIN_N` the smaller.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use staydown::bank::{self, BankOptions};
use staydown::index::{Index, Search};
use staydown::{Fingerprint, FrameHash, Hash256, Hit, WorkMeta};

mod common;
use common::Rng;

const RADIUS: u32 = 31;
/// The matcher's default seed bits.
const SEED_BITS: u32 = 15;
const SIZES: [usize; 3] = [100_000, 1_000_000, 10_000_000];

/// `n` hashes in works of 1000 frames: shots of 8–64 frames, half clusters, half uniform.
fn data(n: usize, rng: &mut Rng) -> Vec<Vec<Hash256>> {
    let mut works = Vec::new();
    let mut total = 0;
    while total < n {
        let len = 1000.min(n - total);
        let w = rng.work_hashes(len);
        total += len;
        works.push(w);
    }
    works
}

fn build(dir: &std::path::Path, works: &[Vec<Hash256>]) {
    let mut index = Index::create(dir).unwrap();
    let mut w = index.writer().unwrap();
    let opts = BankOptions {
        min_quality: 0,
        ..BankOptions::every_frame()
    };
    for (i, hashes) in works.iter().enumerate() {
        let fp = Fingerprint {
            frames: hashes
                .iter()
                .enumerate()
                .map(|(k, h)| FrameHash {
                    pts_ms: k as u64 * 250,
                    hash: *h,
                    quality: 100,
                    mirror: None,
                })
                .collect(),
            ..Fingerprint::default()
        };
        let meta = WorkMeta {
            id: format!("work-{i:06}"),
            title: format!("Work {i}"),
            rightsholder: "Bench Rights".into(),
            notice: format!("N-{i}"),
            added_unix_s: 1_700_000_000,
            ..WorkMeta::default()
        };
        bank::add(&mut w, meta, std::slice::from_ref(&fp), &opts).unwrap();
    }
    w.commit().unwrap();
}

fn sorted(mut v: Vec<Hit>) -> Vec<Hit> {
    v.sort();
    v
}

fn bench(c: &mut Criterion) {
    let env = |k: &str| std::env::var(k).ok().and_then(|s| s.parse::<usize>().ok());
    let max_n = env("STAYDOWN_BENCH_MAX_N").unwrap_or(usize::MAX);
    let min_n = env("STAYDOWN_BENCH_MIN_N").unwrap_or(0);
    for n in SIZES.into_iter().filter(|&n| (min_n..=max_n).contains(&n)) {
        let mut rng = Rng(0x5eed_0000 + n as u64);
        let works = data(n, &mut rng);
        let dir = tempfile::tempdir().unwrap();
        let t = Instant::now();
        build(dir.path(), &works);
        eprintln!("index_build/{n}: {:.1} s", t.elapsed().as_secs_f64());
        let all: Vec<Hash256> = works.iter().flatten().copied().collect();
        drop(works);
        let mut queries = Vec::new();
        for _ in 0..16 {
            let h = all[rng.below(all.len() as u64) as usize];
            let k = rng.below(21) as u32;
            queries.push(rng.near(&h, k));
        }
        for _ in 0..16 {
            queries.push(rng.hash());
        }
        drop(all);

        let t = Instant::now();
        // SAFETY: the bench's temp directory is written only by this process, before.
        #[allow(unsafe_code)]
        let mapped_index = unsafe { Index::open_mapped(dir.path()) }.unwrap();
        let open_s = t.elapsed().as_secs_f64();
        drop(mapped_index);
        // Queries run on the default, safe open: segments read into (huge-page) memory.
        let t = Instant::now();
        let index = Index::open(dir.path()).unwrap();
        let read_s = t.elapsed().as_secs_f64();
        let snap = index.snapshot();
        let disk: u64 = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum();
        let mapped = snap.stats().segment_bytes;
        let meta_heap: usize = snap
            .works()
            .iter()
            .map(|m| {
                std::mem::size_of::<WorkMeta>()
                    + m.id.len()
                    + m.title.len()
                    + m.rightsholder.len()
                    + m.notice.len()
            })
            .sum();
        eprintln!(
            "index_size/{n}: disk {:.2} B/hash ({disk} B), memory {:.2} B/hash (segments {mapped} B + metadata {meta_heap} B), open mapped {:.1} ms, open read {:.1} ms",
            disk as f64 / n as f64,
            (mapped as f64 + meta_heap as f64) / n as f64,
            open_s * 1e3,
            read_s * 1e3
        );

        let mut found = 0;
        for q in &queries {
            let mut a = Vec::new();
            snap.search_into(q, RADIUS, &mut a);
            let mut b = Vec::new();
            snap.search_brute(q, RADIUS, &mut b);
            found += b.len();
            assert_eq!(sorted(a), sorted(b), "mih differs from brute force");
        }
        eprintln!(
            "index_query/{n}: {found} hits for {} queries, mih == brute",
            queries.len()
        );

        let mut group = c.benchmark_group("index_query");
        group.sample_size(10);
        group.throughput(Throughput::Elements(queries.len() as u64));
        group.bench_function(format!("mih/{n}"), |b| {
            let mut out = Vec::new();
            b.iter(|| {
                for q in &queries {
                    out.clear();
                    snap.search_into(black_box(q), RADIUS, &mut out);
                    black_box(&out);
                }
            })
        });
        group.bench_function(format!("seed/{n}"), |b| {
            let mut out = Vec::new();
            b.iter(|| {
                for q in &queries {
                    out.clear();
                    snap.seed(black_box(q), RADIUS, SEED_BITS, &mut out);
                    black_box(&out);
                }
            })
        });
        group.bench_function(format!("brute/{n}"), |b| {
            let mut out = Vec::new();
            b.iter(|| {
                for q in &queries {
                    out.clear();
                    snap.search_brute(black_box(q), RADIUS, &mut out);
                    black_box(&out);
                }
            })
        });
        group.finish();
        if n == *SIZES.last().unwrap() {
            let mut og = c.benchmark_group("index_open");
            og.sample_size(10);
            og.bench_function(format!("mapped/{n}"), |b| {
                b.iter(|| {
                    // SAFETY: as above.
                    #[allow(unsafe_code)]
                    let i = unsafe { Index::open_mapped(dir.path()) }.unwrap();
                    black_box(i.snapshot().generation())
                })
            });
            og.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
