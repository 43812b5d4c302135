//! Segment open: the input is `seg-00000001.sdx`, named by a valid MANIFEST with its length
//! and CRC. The header and trailing CRCs are set to match the bytes first (when the header
//! describes a layout of this length), so mutations reach the structural checks and the
//! metadata instead of stopping at a checksum; then the index is opened, verified, searched
//! and read whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use staydown::Hash256;
use staydown::index::Index;
use staydown::index::format::{Layout, MANIFEST_FILE, segment_file};
use staydown::index::manifest::{Manifest, SegmentEntry};

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().unwrap())
}

/// Makes both CRCs of a segment agree with its bytes, where the header allows.
fn fix_crcs(b: &mut [u8]) {
    if b.len() >= 64 {
        let m = u32_at(b, 12) as usize;
        let works = u32_at(b, 20) as usize;
        let n = u64_at(b, 24);
        let meta_len = u64_at(b, 32);
        if n < 1 << 24 && meta_len <= b.len() as u64 {
            if let Some(l) = Layout::new(n as usize, works, meta_len as usize, m) {
                if l.len == b.len() && l.meta + l.meta_len <= b.len() {
                    let mut h = crc32fast::Hasher::new();
                    h.update(&b[..40]);
                    h.update(&b[l.meta..l.meta + l.meta_len]);
                    let head = h.finalize();
                    b[40..44].copy_from_slice(&head.to_le_bytes());
                }
            }
        }
    }
    if b.len() >= 8 {
        let at = b.len() - 8;
        let crc = crc32fast::hash(&b[..at]);
        b[at..at + 4].copy_from_slice(&crc.to_le_bytes());
    }
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = data.to_vec();
    fix_crcs(&mut bytes);
    let crc32 = if bytes.len() >= 8 {
        u32_at(&bytes, bytes.len() - 8)
    } else {
        0
    };
    let (works, frames) = if bytes.len() >= 32 {
        (u32_at(&bytes, 20), u64_at(&bytes, 24))
    } else {
        (0, 0)
    };
    let dir = tempfile::tempdir().unwrap();
    let file = segment_file(1);
    std::fs::write(dir.path().join(&file), &bytes).unwrap();
    let mut manifest = Manifest::empty();
    manifest.generation = 1;
    manifest.next_segment = 2;
    manifest.segments.push(SegmentEntry {
        id: 1,
        file,
        frames,
        works,
        bytes: bytes.len() as u64,
        crc32,
    });
    std::fs::write(dir.path().join(MANIFEST_FILE), manifest.to_bytes()).unwrap();
    let Ok(index) = Index::open(dir.path()) else {
        return;
    };
    let snap = index.snapshot();
    let _ = snap.verify();
    let _ = snap.stats();
    let mut queries = vec![Hash256([0; 4]), Hash256([u64::MAX; 4])];
    let works: Vec<u32> = snap.live_works().collect();
    for &w in &works {
        for f in snap.work_frames(w).into_iter().take(4) {
            queries.push(f.hash);
        }
        let _ = snap.recipe(w);
        let _ = snap.duplicates_of(w);
    }
    for r in [0, 31, 64] {
        let _ = snap.search_batch(&queries, r);
    }
    let _ = snap.audit_log();
});
