//! End-to-end fingerprinting against ffmpeg's bare decode of the same clip, in the same run.
//!
//! `fingerprint/border/*` is the border tracker alone on 256×144 planes (what the decoder
//! gives a 16:9 upload): `plain` a frame of footage without bars, `letterbox_text` the same
//! picture letterboxed (17-row bars) with white text in the top bar; per frame, i.e. per
//! second of upload at the 1 fps of `check`.
//!
//! `fingerprint/e2e/720p` decodes `fixtures/video/bbb-720p.mp4` (concatenated four times,
//! 21 s of 1280×720 H.264 at 25 fps, outside the timed part) through the ffmpeg path at
//! 1 fps, crops borders and PDQ-hashes each sampled frame; `fingerprint/ffmpeg_null/720p`
//! runs `ffmpeg -i clip -f null -` on the same file. Their ratio is the cost of
//! fingerprinting over decoding alone (target ≤ 1.2). `fingerprint/decode/720p` is the
//! decode path alone (no hashing). `fingerprint/synth/320x240_10s` renders a synthetic video.
//! Throughput is in source frames (528 per run of the clip, 250 for the synthetic video).
//!
//! Wall-clock times on a shared machine depend on the load, so `fingerprint/cpu` also prints
//! the CPU time (this process plus its ffmpeg children, from `/proc/self/stat`, Linux only) of
//! three runs of each, which is what the ratio is about on a busy machine.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use staydown::decode::{BorderDetector, BorderTracker, DecodeOptions, Frame, FrameSource};
use staydown::fingerprint::Fingerprinter;
use staydown::synth::SynthVideo;

const REPEAT: usize = 4;

/// Decodes `clip` with ffmpeg and discards the frames: the bare-decode baseline.
fn decode_to_null(ff: &str, clip: &Path) {
    let status = Command::new(ff)
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(clip)
        .args(["-f", "null", "-"])
        .status()
        .expect("run ffmpeg");
    assert!(status.success());
}

fn ffmpeg_program() -> String {
    std::env::var("STAYDOWN_FFMPEG").unwrap_or_else(|_| "ffmpeg".into())
}

/// The fixture concatenated `REPEAT` times (stream copy), or `None` without ffmpeg.
fn long_clip(dir: &Path) -> Option<PathBuf> {
    let ff = ffmpeg_program();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/video/bbb-720p.mp4");
    let list = dir.join("list.txt");
    let line = format!("file '{}'\n", fixture.display());
    std::fs::write(&list, line.repeat(REPEAT)).ok()?;
    let out = dir.join("bbb-720p-x4.mp4");
    let status = Command::new(&ff)
        .args([
            "-v", "error", "-y", "-nostdin", "-f", "concat", "-safe", "0", "-i",
        ])
        .arg(&list)
        .args(["-c", "copy"])
        .arg(&out)
        .status()
        .ok()?;
    status.success().then_some(out)
}

fn bench_e2e(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(clip) = long_clip(dir.path()) else {
        eprintln!("skipping fingerprint/e2e and ffmpeg_null: ffmpeg not found");
        return;
    };
    let frames = (132 * REPEAT) as u64;
    let opts = DecodeOptions::default();
    let mut group = c.benchmark_group("fingerprint");
    group.sample_size(10);
    group.throughput(Throughput::Elements(frames));
    group.bench_function("e2e/720p", |b| {
        let fingerprinter = Fingerprinter::new();
        b.iter(|| {
            let fp = fingerprinter
                .fingerprint_path(&clip, &opts)
                .expect("fingerprint");
            assert_eq!(fp.frames.len(), 21);
            black_box(fp)
        })
    });
    group.bench_function("ffmpeg_null/720p", |b| {
        let ff = ffmpeg_program();
        b.iter(|| decode_to_null(&ff, &clip))
    });
    group.bench_function("decode/720p", |b| {
        b.iter(|| {
            let n = FrameSource::open(&clip, &opts)
                .expect("open")
                .map(|f| f.expect("frame").luma.len())
                .sum::<usize>();
            black_box(n)
        })
    });
    group.finish();
}

/// CPU seconds used so far by this process and by its waited-for children.
fn cpu_seconds() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // Fields 14..=17 of stat(5): utime, stime, cutime, cstime, in clock ticks (100 Hz).
    let tick = 100.0;
    Some((
        (f.get(11)? + f.get(12)?) as f64 / tick,
        (f.get(13)? + f.get(14)?) as f64 / tick,
    ))
}

fn cpu_ratio(_c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(clip) = long_clip(dir.path()) else {
        return;
    };
    if cpu_seconds().is_none() {
        eprintln!("fingerprint/cpu: skipped (no /proc/self/stat)");
        return;
    }
    let ff = ffmpeg_program();
    let opts = DecodeOptions::default();
    let (mut null_cpu, mut e2e_cpu) = (0.0, 0.0);
    for _ in 0..3 {
        let (s0, c0) = cpu_seconds().unwrap();
        decode_to_null(&ff, &clip);
        let (s1, c1) = cpu_seconds().unwrap();
        let fp = Fingerprinter::new()
            .fingerprint_path(&clip, &opts)
            .expect("fingerprint");
        black_box(fp);
        let (s2, c2) = cpu_seconds().unwrap();
        null_cpu += (s1 - s0) + (c1 - c0);
        e2e_cpu += (s2 - s1) + (c2 - c1);
    }
    eprintln!(
        "fingerprint/cpu/720p: e2e {:.2} s, ffmpeg_null {:.2} s of CPU per run, ratio {:.3}",
        e2e_cpu / 3.0,
        null_cpu / 3.0,
        e2e_cpu / null_cpu
    );
}

fn bench_synth(c: &mut Criterion) {
    let mut group = c.benchmark_group("fingerprint");
    group.sample_size(10);
    group.throughput(Throughput::Elements(250));
    let video = SynthVideo::new(1)
        .size(320, 240)
        .fps(25)
        .duration_ms(10_000)
        .video();
    group.bench_function("synth/320x240_10s", |b| {
        b.iter(|| video.frames().map(|f| f.luma[0] as u64).sum::<u64>())
    });
    group.finish();
}

/// A synthetic frame letterboxed into `w × h` with bars of `bar` rows and, when `text`, a
/// line of white marks in the top bar.
fn barred(picture: &Frame, bar: u32, text: bool) -> Frame {
    let (w, h) = (picture.width, picture.height);
    let inner = staydown::decode::resample_bilinear(picture, w, h - 2 * bar);
    let mut luma = vec![1u8; (w * h) as usize];
    luma[(bar * w) as usize..((h - bar) * w) as usize].copy_from_slice(&inner.luma);
    if text {
        for y in 5..12 {
            for x in (w * 3 / 10)..(w * 7 / 10) {
                if x % 3 != 0 {
                    luma[(y * w + x) as usize] = 235;
                }
            }
        }
    }
    Frame { luma, ..*picture }
}

fn bench_border(c: &mut Criterion) {
    let picture = SynthVideo::new(2)
        .size(256, 144)
        .fps(1)
        .duration_ms(1000)
        .video()
        .frame(0);
    let mut group = c.benchmark_group("fingerprint");
    group.throughput(Throughput::Elements(1));
    for (name, frame) in [
        ("border/plain", picture.clone()),
        ("border/letterbox_text", barred(&picture, 17, true)),
    ] {
        let detector = BorderDetector::default();
        group.bench_function(name, |b| {
            let mut tracker = BorderTracker::new(detector);
            let mut pts = 0;
            b.iter(|| {
                pts += 1000;
                let f = Frame {
                    pts_ms: pts,
                    ..frame.clone()
                };
                black_box(tracker.push(f).map(|f| f.height).sum::<u32>())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_e2e, cpu_ratio, bench_synth, bench_border);
criterion_main!(benches);
