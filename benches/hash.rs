//! PDQ hashing throughput in frames per second (one core), and the two DCT routes.
//!
//! `cargo bench --bench hash -- --warm-up-time 1 --measurement-time 3`
//!
//! Times are the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`, through rustix), not
//! wall time: the build machine is shared, and CPU time is what "frames/s per core" means.
//! Set `STAYDOWN_BENCH_WALL=1` for criterion's usual wall-clock measurement.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group};
use std::hint::black_box;

use staydown::Pdq;
use staydown::hash::bench_support::{FftDct, dct_matrix};
use staydown::hash::{CropHasher, Rect};

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

/// Nanoseconds this thread has run on a CPU.
fn thread_cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// Thread CPU time as a criterion measurement.
struct CpuTime;

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns() - start
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (div, unit) = if typical < 1e3 {
            (1.0, "ns cpu")
        } else if typical < 1e6 {
            (1e3, "µs cpu")
        } else {
            (1e6, "ms cpu")
        };
        values.iter_mut().for_each(|v| *v /= div);
        unit
    }
    fn scale_throughputs(&self, _typical: f64, t: &Throughput, values: &mut [f64]) -> &'static str {
        let n = match t {
            Throughput::Elements(n) | Throughput::ElementsAndBytes { elements: n, .. } => *n,
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => *n,
            _ => 1,
        } as f64;
        values.iter_mut().for_each(|v| *v = n * 1e9 / *v);
        "elem/s/core"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn pdq<M: Measurement>(c: &mut Criterion<M>) {
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

/// Rectangles of one 256×144 plane (the upload's fast-path size) through `CropHasher`,
/// against copying the rectangle and hashing the copy with `Pdq`.
fn crop<M: Measurement>(c: &mut Criterion<M>) {
    let mut group = c.benchmark_group("hash/crop");
    group.throughput(Throughput::Elements(1));
    let (w, h) = (256usize, 144usize);
    let gray = frame(w, h, 9);
    let rect = Rect {
        x: 38,
        y: 22,
        width: 180,
        height: 101,
    };
    let mut hasher = CropHasher::new();
    group.bench_function("in-place-256x144-centre70", |b| {
        b.iter(|| black_box(hasher.hash(black_box(&gray), w as u32, rect, false)))
    });
    // The source kernel (what uploads and bans of a 1280-wide source hash with): the
    // reference's weights folded onto the plane, about 5 taps an axis instead of 3.
    group.bench_function("source-kernel-256x144-centre70", |b| {
        b.iter(|| black_box(hasher.hash_scaled(black_box(&gray), w as u32, rect, false, 5.0)))
    });
    let mut pdq = Pdq::new();
    group.bench_function("copied-256x144-centre70", |b| {
        b.iter(|| {
            let mut copy = Vec::with_capacity(180 * 101);
            for y in 22..22 + 101 {
                copy.extend_from_slice(&gray[y * w + 38..y * w + 38 + 180]);
            }
            black_box(pdq.hash_gray(black_box(&copy), 180, 101).unwrap())
        })
    });
    group.finish();
}

fn dct<M: Measurement>(c: &mut Criterion<M>) {
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

fn cpu() -> Criterion<CpuTime> {
    Criterion::default().with_measurement(CpuTime)
}

criterion_group! {
    name = cpu_benches;
    config = cpu();
    targets = pdq, crop, dct
}
criterion_group!(wall_benches, pdq<WallTime>, crop<WallTime>, dct<WallTime>);

fn main() {
    if std::env::var_os("STAYDOWN_BENCH_WALL").is_some() {
        wall_benches();
    } else {
        cpu_benches();
    }
    Criterion::default().configure_from_args().final_summary();
}
