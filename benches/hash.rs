//! PDQ hashing throughput in frames per second (one core), and the two DCT routes.
//!
//! `cargo bench --bench hash -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

use staydown::Pdq;
use staydown::hash::bench_support::{FftDct, dct_matrix};

/// A textured gray frame from a seeded generator (smooth gradients plus noise).
fn frame(w: usize, h: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..w * h)
        .map(|p| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (r, c) = ((p / w) as f32, (p % w) as f32);
            let base = 128.0 + 60.0 * (c * 0.05).sin() * (r * 0.03).cos();
            (base + (x >> 60) as f32 * 4.0).clamp(0.0, 255.0) as u8
        })
        .collect()
}

fn pdq(c: &mut Criterion) {
    let mut group = c.benchmark_group("hash/pdq");
    group.throughput(Throughput::Elements(1));
    for (w, h) in [(64, 64), (256, 256), (1280, 720)] {
        let gray = frame(w, h, 42);
        let mut pdq = Pdq::new();
        group.bench_function(format!("{w}x{h}"), |b| {
            b.iter(|| black_box(pdq.hash_gray(black_box(&gray), w, h).unwrap()))
        });
    }
    group.finish();
}

fn dct(c: &mut Criterion) {
    let mut group = c.benchmark_group("hash/dct");
    group.throughput(Throughput::Elements(1));
    let a: Vec<f32> = frame(64, 64, 7).into_iter().map(f32::from).collect();
    let (mut t, mut out) = (vec![0f32; 16 * 64], vec![0f32; 256]);
    group.bench_function("matrix", |b| {
        b.iter(|| {
            dct_matrix(black_box(&a), &mut t, &mut out);
            black_box(&out);
        })
    });
    let mut fft = FftDct::new();
    group.bench_function("rustfft", |b| {
        b.iter(|| {
            fft.dct(black_box(&a), &mut out);
            black_box(&out);
        })
    });
    group.finish();
}

criterion_group!(benches, pdq, dct);
criterion_main!(benches);
