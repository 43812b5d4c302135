//! The cost of the geometric query variants on the hashing side: one upload of 60 frames
//! (a minute at 1 fps, already at the decoder's 256×144), a synthetic work shown as a
//! picture-in-picture inset over other synthetic footage, hashed by
//! `query::upload_fingerprints` from an in-memory Y4M stream.
//!
//! `cargo bench --bench query_variants -- --warm-up-time 1 --measurement-time 3`
//!
//! - `query_variants/plain`: the plain frames and their mirrors (the cost before the variants);
//! - `query_variants/inset`: plus the inset search and the inset crop;
//! - `query_variants/default`: plus the four rotated frames (the default).
//!
//! Times are CPU time of the whole process (all hashing threads, through rustix's
//! `CLOCK_PROCESS_CPUTIME_ID`), not wall time: the machine is shared, and the threads run in
//! parallel. Throughput is in upload frames.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use staydown::bank::BankOptions;
use staydown::decode::{DecodeOptions, Frame, FrameSource};
use staydown::fingerprint::Fingerprinter;
use staydown::query::{QueryVariants, upload_fingerprints};
use staydown::synth::SynthVideo;

const FRAMES: usize = 60;

fn process_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Y4M bytes of `FRAMES` frames at 1 fps: work seed 1 at half size over footage seed 2.
fn pip_upload() -> Vec<u8> {
    let video = |seed| {
        SynthVideo::new(seed)
            .size(256, 144)
            .fps(1)
            .duration_ms(FRAMES as u64 * 1000)
            .video()
    };
    let (work, other) = (video(1), video(2));
    let frames: Vec<Frame> = work
        .frames()
        .zip(other.frames())
        .map(|(fg, mut bg)| {
            for y in 0..72 {
                for x in 0..128 {
                    bg.luma[(8 + y) * 256 + 120 + x] = fg.luma[2 * y * 256 + 2 * x];
                }
            }
            bg
        })
        .collect();
    let mut out = b"YUV4MPEG2 W256 H144 F1:1 Ip A1:1 C420jpeg XCOLORRANGE=FULL\n".to_vec();
    for f in &frames {
        out.extend_from_slice(b"FRAME\n");
        out.extend_from_slice(&f.luma);
        out.extend(std::iter::repeat_n(128u8, 2 * 128 * 72));
    }
    out
}

fn bench(c: &mut Criterion) {
    let y4m = pip_upload();
    let mut group = c.benchmark_group("query_variants");
    group.sample_size(10);
    group.throughput(Throughput::Elements(FRAMES as u64));
    let all = QueryVariants::default();
    let cases = [
        ("plain", QueryVariants::plain(true)),
        (
            "inset",
            QueryVariants {
                rotations_deg: Vec::new(),
                crops: None,
                ..all.clone()
            },
        ),
        ("default", all),
    ];
    for (name, variants) in cases {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let start = process_cpu();
                for _ in 0..iters {
                    let source = FrameSource::y4m_reader(
                        std::io::Cursor::new(y4m.clone()),
                        "upload.y4m",
                        &DecodeOptions::default(),
                    )
                    .expect("y4m");
                    let fps = upload_fingerprints(
                        source,
                        &Fingerprinter::new(),
                        &variants,
                        &BankOptions::default().region_list(),
                        // A clean upload: the crop search finds nothing to vote for.
                        &|_| None,
                    )
                    .expect("hash");
                    assert_eq!(fps.variants[0].fingerprint.frames.len(), FRAMES);
                    black_box(fps);
                }
                process_cpu() - start
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
