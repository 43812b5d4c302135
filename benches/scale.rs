//! Scale run: an index of 10^8 banked hashes on one node (issue 10, goal 4). Skipped unless
//! asked for with `STAYDOWN_SCALE=1`; `cargo test` never runs it.
//!
//! ```text
//! STAYDOWN_SCALE=1 nice -n 10 cargo bench --bench scale
//! STAYDOWN_SCALE=1 STAYDOWN_SCALE_N=20000000 nice -n 10 cargo bench --bench scale
//! ```
//!
//! The index is built once under `target/scale-index-<n>/` (about 72 bytes a hash: 7.2 GB at
//! 10^8) and reused by later runs; `STAYDOWN_SCALE_REBUILD=1` builds it again. Printed: build
//! time, mapped open time, resident memory (`VmRSS`, `RssAnon`, `RssFile` from
//! `/proc/self/status`) after the open and after the searches, a first pass over the queries
//! right after the open (while the segments' checksums are checked in the background), when
//! every segment had passed, and two more passes (wall time, and the time the thread ran on
//! a processor, which a loaded machine does not inflate). Criterion times `scale/seed/<n>`: one iteration is the seed search (seed
//! bits 15, candidates confirmed at radius 31, as the matcher seeds) of the 600 hashes of a
//! 10-minute upload sampled at 1 fps, on one thread.
//!
//! # Data (seeded, reproducible)
//! - Works of 2,400 rows (10 minutes at 4 rows a second, 250 ms apart), made of shots of 8–64
//!   rows. A shot starts at a uniform random hash; each next row is the previous one with 2–6
//!   random bits flipped (positions drawn independently, so a collision flips fewer): rows
//!   drift within a shot as consecutive frames of a moving shot do, and shots are unrelated.
//! - Every 20th work (5%) is a near duplicate of the work before it (the same film banked
//!   under a second notice, re-encoded): each row is that work's row with 0–8 bits flipped.
//! - Works are committed a segment at a time: segments of up to `MAX_SEGMENT_FRAMES` rows
//!   (6,990 works, 16,776,000 rows), so 10^8 rows are 6 segments.
//!
//! # Queries: one 10-minute upload at 1 fps
//! 300 hashes copied from one banked work (every 4th row, 1 s apart, from a random start, each
//! with 0–20 bits flipped: a re-upload) and 300 uniform hashes (footage nobody banked).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use staydown::bank::BankOptions;
use staydown::index::format::MAX_SEGMENT_FRAMES;
use staydown::index::{Index, IndexedFrame, Search};
use staydown::{Hash256, WorkMeta};

mod common;
use common::Rng;

const ROWS_PER_WORK: usize = 2400;
const RADIUS: u32 = 31;
const SEED_BITS: u32 = 15;

/// `h` with `k` random bit positions flipped (a position drawn twice flips back).
fn flip(rng: &mut Rng, h: &Hash256, k: u64) -> Hash256 {
    let mut out = *h;
    for _ in 0..k {
        let b = rng.below(256) as usize;
        out.0[b / 64] ^= 1 << (b % 64);
    }
    out
}

/// The hashes of work `i` given the previous work's (see the module docs).
fn work(rng: &mut Rng, i: usize, prev: &[Hash256]) -> Vec<Hash256> {
    if i % 20 == 19 && prev.len() == ROWS_PER_WORK {
        return prev
            .iter()
            .map(|h| {
                let k = rng.below(9);
                flip(rng, h, k)
            })
            .collect();
    }
    let mut w = Vec::with_capacity(ROWS_PER_WORK);
    while w.len() < ROWS_PER_WORK {
        let shot = (8 + rng.below(57) as usize).min(ROWS_PER_WORK - w.len());
        let mut h = rng.hash();
        for _ in 0..shot {
            w.push(h);
            let k = 2 + rng.below(5);
            h = flip(rng, &h, k);
        }
    }
    w
}

fn rows(hashes: &[Hash256]) -> Vec<IndexedFrame> {
    hashes
        .iter()
        .enumerate()
        .map(|(k, h)| IndexedFrame {
            hash: *h,
            pts_ms: (k * 250) as u32,
            span_ms: 0,
            quality: 100,
            region: 0,
        })
        .collect()
}

fn meta(i: usize) -> WorkMeta {
    WorkMeta {
        id: format!("w{i:06}"),
        title: format!("Work {i}"),
        rightsholder: "Scale Rights".into(),
        notice: format!("N-{i}"),
        added_unix_s: 1_700_000_000,
        duration_ms: (ROWS_PER_WORK * 250) as u64,
        ..WorkMeta::default()
    }
}

/// Builds the index of `works` works in `dir`, a segment a commit.
fn build(dir: &std::path::Path, works: usize) {
    let _ = std::fs::remove_dir_all(dir);
    let t = Instant::now();
    Index::create(dir).unwrap();
    // SAFETY: the directory is written by this process alone, by this writer.
    #[allow(unsafe_code)]
    let mut index = unsafe { Index::open_mapped(dir) }.unwrap();
    let recipe = BankOptions {
        min_quality: 0,
        ..BankOptions::every_frame()
    };
    let mut rng = Rng(0x5ca1_e000);
    let mut prev: Vec<Hash256> = Vec::new();
    let mut i = 0;
    while i < works {
        let mut w = index.writer().unwrap();
        let mut in_segment = 0;
        while i < works && in_segment + ROWS_PER_WORK <= MAX_SEGMENT_FRAMES {
            let hashes = work(&mut rng, i, &prev);
            w.add_work_at_rate(meta(i), rows(&hashes), recipe.clone(), 4.0)
                .unwrap();
            prev = hashes;
            in_segment += ROWS_PER_WORK;
            i += 1;
        }
        w.commit().unwrap();
        eprintln!(
            "scale/build: {i} works, {} rows, {:.0} s",
            i * ROWS_PER_WORK,
            t.elapsed().as_secs_f64()
        );
    }
    std::fs::write(dir.join("BUILT"), format!("{works}\n")).unwrap();
    eprintln!(
        "scale/build/{}: {:.1} s",
        works * ROWS_PER_WORK,
        t.elapsed().as_secs_f64()
    );
}

/// Nanoseconds this thread has run on a processor (`/proc/thread-self/schedstat`, first
/// field): on a loaded machine the wall time of a pass also counts the time the thread
/// waited for a processor, this does not.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// `VmRSS`, `RssAnon` and `RssFile` of this process, as `/proc/self/status` gives them, and
/// how much of the mapped files is mapped in 2 MiB pages (`FilePmdMapped` of
/// `/proc/self/smaps_rollup`).
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    status
        .lines()
        .filter(|l| l.starts_with("VmRSS") || l.starts_with("RssAnon") || l.starts_with("RssFile"))
        .chain(rollup.lines().filter(|l| l.starts_with("FilePmdMapped")))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}

fn main() {
    if std::env::var_os("STAYDOWN_SCALE").is_none() {
        eprintln!("scale: skipped (STAYDOWN_SCALE=1 runs it; see benches/scale.rs)");
        return;
    }
    let n: usize = std::env::var("STAYDOWN_SCALE_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000_000);
    let works = n.div_ceil(ROWS_PER_WORK);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join(format!("scale-index-{n}"));
    let built = std::fs::read_to_string(dir.join("BUILT")).ok();
    if built.as_deref() != Some(&format!("{works}\n"))
        || std::env::var_os("STAYDOWN_SCALE_REBUILD").is_some()
    {
        build(&dir, works);
    } else {
        eprintln!("scale/build: reusing {}", dir.display());
    }

    eprintln!("scale/memory before open: {}", memory());
    let t = Instant::now();
    let cpu = cpu_ns();
    // SAFETY: the bench's index is written only by this bench, before.
    #[allow(unsafe_code)]
    let index = unsafe { Index::open_mapped(&dir) }.unwrap();
    let open_s = t.elapsed().as_secs_f64();
    let open_cpu_s = (cpu_ns() - cpu) as f64 * 1e-9;
    let opened = Instant::now();
    let snap = index.snapshot();
    let st = snap.stats();
    eprintln!(
        "scale/open/{n}: {:.3} s mapped ({:.3} s on a processor), {} segments, {} hashes, \
         {:.2} B/hash on disk; memory: {}",
        open_s,
        open_cpu_s,
        st.segments,
        st.stored_hashes,
        st.bytes_per_hash().unwrap_or(0.0),
        memory()
    );

    // The upload: a copy of one banked work, then footage nobody banked.
    let mut rng = Rng(0x0091_0ad5);
    let pick = rng.below(works as u64) as u32;
    let source: Vec<Hash256> = snap.work_frames(pick).iter().map(|r| r.hash).collect();
    let start = rng.below((source.len() - 1200) as u64) as usize;
    let mut queries: Vec<Hash256> = (0..300)
        .map(|k| {
            let bits = rng.below(21);
            flip(&mut rng, &source[start + 4 * k], bits)
        })
        .collect();
    queries.extend((0..300).map(|_| rng.hash()));

    // Three passes over the upload: the first right after the open (the background check
    // of the segments runs meanwhile, and a row of a segment it has not passed waits for
    // it), then two once every segment has passed.
    let pass = |label: &str| {
        let t = Instant::now();
        let cpu = cpu_ns();
        let mut hits = 0usize;
        let mut found_pick = 0usize;
        let mut out = Vec::new();
        for q in &queries {
            out.clear();
            snap.seed(q, RADIUS, SEED_BITS, &mut out);
            hits += out.len();
            found_pick += usize::from(out.iter().any(|h| h.work == pick));
        }
        let wall = t.elapsed().as_secs_f64();
        let cpu = (cpu_ns() - cpu) as f64 * 1e-9;
        eprintln!(
            "scale/upload/{n}: {label}: {:.1} ms for {} hashes ({:.1} µs a hash; on a processor \
             {:.1} ms, {:.1} µs a hash), {hits} hits, {found_pick} of 300 copied hashes seeded \
             their work; memory: {}",
            wall * 1e3,
            queries.len(),
            wall * 1e6 / queries.len() as f64,
            cpu * 1e3,
            cpu * 1e6 / queries.len() as f64,
            memory()
        );
    };
    pass("first pass, after the open");
    let t = Instant::now();
    snap.wait_verified().unwrap();
    eprintln!(
        "scale/verified/{n}: every segment passed {:.3} s after the open returned \
         ({:.3} s waited here); memory: {}",
        opened.elapsed().as_secs_f64(),
        t.elapsed().as_secs_f64(),
        memory()
    );
    pass("second pass");
    pass("third pass");

    let mut c = Criterion::default().configure_from_args().sample_size(10);
    let mut g = c.benchmark_group("scale");
    g.throughput(Throughput::Elements(queries.len() as u64));
    g.bench_function(format!("seed/{n}"), |b| {
        let mut out = Vec::new();
        b.iter(|| {
            for q in &queries {
                out.clear();
                snap.seed(black_box(q), RADIUS, SEED_BITS, &mut out);
                black_box(&out);
            }
        })
    });
    g.finish();
    eprintln!("scale/memory after searches: {}", memory());
    c.final_summary();
}
