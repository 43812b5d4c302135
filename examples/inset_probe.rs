//! Where the picture-in-picture detector finds an inset in videos, as `check` runs it: the
//! first 30 frames at 1 fps, 256 px wide, black bars removed first.
//!
//! `cargo run --release --example inset_probe -- VIDEO...`

use staydown::decode::{BorderDetector, DecodeOptions, FrameSource};
use staydown::query::InsetDetector;
fn main() {
    for p in std::env::args().skip(1) {
        let mut src = FrameSource::open(&p, &DecodeOptions::default()).unwrap();
        let mut v = Vec::new();
        while let Some(f) = src.next_frame().unwrap() {
            v.push(f);
            if v.len() == 30 {
                break;
            }
        }
        let t = std::time::Instant::now();
        let bars = BorderDetector::default().detect(&v);
        let u: Vec<_> = v.iter().map(|f| f.cropped(&bars)).collect();
        let c = InsetDetector::default().detect(&u);
        println!(
            "{p}: {}x{} bars {:?} inset {:?} in {:?}",
            v[0].width,
            v[0].height,
            bars,
            c,
            t.elapsed()
        );
    }
}
