//! Y4M reader: any bytes decode to frames or an error, within small limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use staydown::FrameSource;
use staydown::decode::{DecodeOptions, Limits};

fuzz_target!(|data: &[u8]| {
    let opts = DecodeOptions {
        limits: Limits {
            max_width: 1024,
            max_height: 1024,
            max_pixels: 1 << 18,
            max_frames: 1000,
        },
        ..DecodeOptions::default()
    };
    let Ok(mut src) =
        FrameSource::y4m_reader(std::io::Cursor::new(data.to_vec()), "fuzz.y4m", &opts)
    else {
        return;
    };
    while let Ok(Some(_)) = src.next_frame() {}
});
