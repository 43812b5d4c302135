//! Where the picture-in-picture detector finds an inset in videos, as `check` runs it: the
//! first 30 frames sampled as an upload is (4 fps, 256 px wide), as decoded.
//!
//! `cargo run --release --example inset_probe -- VIDEO...`

use staydown::decode::{DecodeOptions, FrameSource};
use staydown::query::InsetDetector;
fn main() {
    for p in std::env::args().skip(1) {
        let src = FrameSource::open(&p, &DecodeOptions::upload()).unwrap();
        let frames = src.map(|f| f.unwrap());
        let v: Vec<_> = frames.take(30).collect();
        let t = std::time::Instant::now();
        let c = InsetDetector::default().detect_all(&v);
        println!(
            "{p}: {}x{}, insets {:?} in {:?}",
            v[0].width,
            v[0].height,
            c,
            t.elapsed()
        );
    }
}
