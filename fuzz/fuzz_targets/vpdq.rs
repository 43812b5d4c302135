//! vPDQ text reader: any bytes parse to a fingerprint or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use staydown::Fingerprint;

fuzz_target!(|data: &[u8]| {
    let _ = Fingerprint::read_vpdq(data, "fuzz.vpdq");
});
