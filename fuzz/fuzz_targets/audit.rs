//! Audit log reader. Byte 0 picks the mode: odd, each line's checksum is recomputed, so
//! mutations reach the JSON behind it. Bytes 1..9 give `committed` (modulo the log's length
//! plus 16, so a claim past the end is exercised too); the rest is `audit.log`.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Rewrites every `<crc> <json>` line after the first (the header) with the CRC of its JSON.
fn fix_lines(log: &[u8]) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(log) else {
        return log.to_vec();
    };
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match line.split_once(' ') {
            Some((_, json)) if i > 0 => {
                out.push_str(&format!("{:08x} {json}", crc32fast::hash(json.as_bytes())));
            }
            _ => out.push_str(line),
        }
    }
    out.into_bytes()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (head, log) = rest.split_at(rest.len().min(8));
    let mut word = [0u8; 8];
    word[..head.len()].copy_from_slice(head);
    let log = if mode & 1 == 1 {
        fix_lines(log)
    } else {
        log.to_vec()
    };
    let committed = u64::from_le_bytes(word) % (log.len() as u64 + 16);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("audit.log"), &log).unwrap();
    let _ = staydown::index::audit::read(dir.path(), committed);
});
