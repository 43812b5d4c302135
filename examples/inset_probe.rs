//! Where the picture-in-picture detector finds an inset in videos, as `check` runs it: the
//! first 30 frames sampled as an upload is (4 fps, 256 px wide), bars removed first by the
//! border tracker.
//!
//! `cargo run --release --example inset_probe -- VIDEO...`

use staydown::decode::{BorderDetector, BorderTracker, DecodeOptions, FrameSource};
use staydown::query::InsetDetector;
fn main() {
    for p in std::env::args().skip(1) {
        let src = FrameSource::open(&p, &DecodeOptions::upload()).unwrap();
        let frames = src.map(|f| f.unwrap());
        let v: Vec<_> = BorderTracker::new(BorderDetector::default())
            .crop_all(frames)
            .take(30)
            .collect();
        let t = std::time::Instant::now();
        let c = InsetDetector::default().detect(&v);
        println!(
            "{p}: {}x{} after bars, inset {:?} in {:?}",
            v[0].width,
            v[0].height,
            c,
            t.elapsed()
        );
    }
}
