//! Scan throughput against bare decode (issue 5: scan ≤ 1.3× the `ffmpeg -f null` time).
//!
//! Setup, outside timing and cached under `target/scan-bench/` so reruns skip it:
//! - `videos/clip-{0..8}.mp4`: `fixtures/video/bbb-720p.mp4` looped 4× (≈21 s, 1280×720),
//!   each with its own crop and hue, re-encoded with libx264 veryfast crf 23;
//! - `index/`: 1,000 works × 240 synthetic frame hashes (shots of near copies of a centre and
//!   uniform hashes, like `benches/index.rs`), quality 100, pts 0, 250, 500, … ms.
//!
//! Ids: `scan/720p/jobs2` runs the release binary `target/release/staydown scan <videos>
//! --index <index> --jobs 2 --json --no-progress` (build it first: `cargo build --release`,
//! or run `scripts/scan_bench.sh`); `scan/720p/ffmpeg_null_jobs2` runs
//! `ffmpeg -v error -i <f> -f null -` over the same files, two threads each decoding half.
//! Throughput is in seconds of video (criterion's "elements").

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use staydown::bank::{self, BankOptions};
use staydown::index::Index;
use staydown::{Fingerprint, FrameHash, WorkMeta};

mod common;
use common::Rng;

const FILES: usize = 8;
const WORKS: usize = 1000;
const FRAMES_PER_WORK: usize = 240;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/scan-bench")
}

fn build_index(dir: &Path) {
    if dir.join(staydown::index::format::MANIFEST_FILE).exists() {
        return;
    }
    let _ = std::fs::remove_dir_all(dir);
    let mut index = Index::create(dir).expect("create bench index");
    let mut w = index.writer().expect("bench index writer");
    let opts = BankOptions {
        min_quality: 0,
        ..BankOptions::every_frame()
    };
    let mut rng = Rng(0x5ca7);
    for i in 0..WORKS {
        let fp = Fingerprint {
            frames: rng
                .work_hashes(FRAMES_PER_WORK)
                .into_iter()
                .enumerate()
                .map(|(k, hash)| FrameHash {
                    pts_ms: k as u64 * 250,
                    hash,
                    quality: 100,
                    mirror: None,
                })
                .collect(),
            duration_ms: FRAMES_PER_WORK as u64 * 250,
            ..Fingerprint::default()
        };
        let meta = WorkMeta {
            id: format!("work-{i:04}"),
            title: format!("Work {i}"),
            rightsholder: "Bench Rights".into(),
            notice: format!("N-{i}"),
            added_unix_s: 1_700_000_000,
            duration_ms: fp.duration_ms,
            ..WorkMeta::default()
        };
        bank::add(&mut w, meta, std::slice::from_ref(&fp), &opts).expect("add bench work");
    }
    w.commit().expect("commit bench index");
}

fn run(cmd: &mut Command) {
    let status = cmd.status().expect("spawn");
    assert!(status.success(), "{cmd:?} failed: {status}");
}

/// Generates the clips that are missing; returns them with their total duration in seconds.
fn videos(dir: &Path) -> (Vec<PathBuf>, f64) {
    std::fs::create_dir_all(dir).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/video/bbb-720p.mp4");
    let mut files = Vec::new();
    let mut total = 0.0;
    for i in 0..FILES {
        let f = dir.join(format!("clip-{i}.mp4"));
        if !f.exists() {
            let tmp = dir.join(format!("clip-{i}.mp4.tmp.mp4"));
            let crop = i * 16;
            let vf = format!(
                "crop=iw-{crop}:ih-{crop}:{h}:{h},scale=1280:720,hue=h={hue}",
                h = crop / 2,
                hue = i * 40
            );
            run(Command::new("ffmpeg")
                .args(["-v", "error", "-y", "-stream_loop", "3", "-i"])
                .arg(&src)
                .args(["-an", "-vf", &vf, "-c:v", "libx264", "-preset", "veryfast"])
                .args(["-crf", "23", "-pix_fmt", "yuv420p"])
                .arg(&tmp));
            std::fs::rename(&tmp, &f).unwrap();
        }
        total += staydown::eval::probe_duration(Path::new("ffmpeg"), &f).expect("ffprobe duration");
        files.push(f);
    }
    (files, total)
}

fn decode_null(files: &[PathBuf]) {
    for f in files {
        run(Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(f)
            .args(["-f", "null", "-"]));
    }
}

fn bench(c: &mut Criterion) {
    if Command::new("ffmpeg").arg("-version").output().is_err() {
        eprintln!("scan bench skipped: ffmpeg is not installed");
        return;
    }
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/staydown");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --release` first (scripts/scan_bench.sh does)",
        bin.display()
    );
    let root = root();
    let (files, seconds) = videos(&root.join("videos"));
    let index = root.join("index");
    build_index(&index);
    eprintln!(
        "scan bench: {} files, {seconds:.1} s of 720p video, {WORKS} works × {FRAMES_PER_WORK} hashes",
        files.len()
    );

    let mut g = c.benchmark_group("scan/720p");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(seconds.round() as u64));
    g.bench_function("jobs2", |b| {
        b.iter(|| {
            run(Command::new(&bin)
                .arg("scan")
                .arg(root.join("videos"))
                .arg("--index")
                .arg(&index)
                .args(["--jobs", "2", "--json", "--no-progress"])
                .stdout(Stdio::null()));
        })
    });
    let (a, b2) = files.split_at(files.len().div_ceil(2));
    g.bench_function("ffmpeg_null_jobs2", |b| {
        b.iter(|| {
            std::thread::scope(|s| {
                s.spawn(|| decode_null(a));
                s.spawn(|| decode_null(b2));
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
