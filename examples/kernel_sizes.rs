//! How far apart the same content at two sizes hashes with each kernel: every frame of two
//! videos decoded as staydown decodes them (area-scaled to at most 256 px wide), the whole
//! plane hashed with the plane kernel and with the source kernel, frames paired in order.
//!
//! ```text
//! cargo run --release --example kernel_sizes -- A B
//! ```
//! e.g. `fixtures/video/bbb-720p.mp4 fixtures/video/bbb-180p.webm`. Needs ffmpeg for
//! anything but Y4M.

use staydown::decode::{DecodeOptions, Frame, FrameSource};
use staydown::hash::{CropHasher, Kernel, Rect};

fn frames(path: &str) -> Vec<Frame> {
    let opts = DecodeOptions {
        fps: None,
        ..DecodeOptions::default()
    };
    FrameSource::open(path, &opts)
        .expect("opens")
        .collect::<Result<_, _>>()
        .expect("decodes")
}

fn hash(h: &mut CropHasher, f: &Frame, kernel: Kernel) -> staydown::Hash256 {
    let whole = Rect {
        x: 0,
        y: 0,
        width: f.width,
        height: f.height,
    };
    let scale = kernel.scale(f.scale, f.width);
    h.hash_scaled(&f.luma, f.width, whole, false, scale).hash
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    assert_eq!(args.len(), 2, "usage: kernel_sizes A B");
    let (a, b) = (frames(&args[0]), frames(&args[1]));
    let n = a.len().min(b.len());
    let mut h = CropHasher::new();
    for kernel in [Kernel::Plane, Kernel::Source] {
        let total: u32 = a
            .iter()
            .zip(&b)
            .map(|(x, y)| hash(&mut h, x, kernel).distance(&hash(&mut h, y, kernel)))
            .sum();
        println!(
            "{:6} kernel: {n} frames, mean {:.2} bits ({}x{} scale {} vs {}x{} scale {})",
            kernel.name(),
            f64::from(total) / n as f64,
            a[0].width,
            a[0].height,
            a[0].scale,
            b[0].width,
            b[0].height,
            b[0].scale
        );
    }
}
