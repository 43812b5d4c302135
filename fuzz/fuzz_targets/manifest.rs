//! MANIFEST parser. The first byte picks the mode: even, the rest is the whole file; odd, the
//! rest is the JSON line and its correct checksum line is appended, so mutations reach the
//! JSON and the consistency checks behind the checksum.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use staydown::index::manifest::Manifest;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut bytes = rest.to_vec();
    if mode & 1 == 1 {
        let crc = crc32fast::hash(rest);
        bytes.extend_from_slice(format!("\ncrc32 {crc:08x}\n").as_bytes());
    }
    let path = Path::new("fuzz/MANIFEST");
    if let Ok(m) = Manifest::from_bytes(path, &bytes) {
        let _ = m.check(path);
        let _ = Manifest::from_bytes(path, &m.to_bytes());
    }
});
