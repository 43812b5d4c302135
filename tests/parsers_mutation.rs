//! Bounded mutation tests of the five parsers the fuzz targets in `fuzz/` cover: the Y4M
//! reader, the vPDQ reader, the manifest, the audit log and segment open. Each takes a valid
//! input, flips, sets, inserts, deletes or truncates a few random bytes, and asserts that the
//! parser returns (no panic) and that every error names the file it read.

use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use staydown::bank::BankOptions;
use staydown::decode::{DecodeOptions, Limits};
use staydown::index::format::{AUDIT_FILE, Layout, MANIFEST_FILE, segment_file};
use staydown::index::manifest::{Manifest, SegmentEntry};
use staydown::index::{Index, IndexedFrame, WorkMeta};
use staydown::synth::SynthVideo;
use staydown::{Fingerprint, FrameSource, Hash256};

/// The valid inputs every mutation starts from.
struct Valid {
    y4m: Vec<u8>,
    vpdq: Vec<u8>,
    manifest: Vec<u8>,
    audit: Vec<u8>,
    audit_committed: u64,
    segment: Vec<u8>,
    /// A segment of [`staydown::index::format::MIN_INDEXED_HASHES`] hashes, so it has search
    /// tables (2 MiB of directories: too large for the fuzz target's inputs).
    segment_tables: Vec<u8>,
}

/// Rows of distinct pseudo-random hashes, one a second.
fn rows(seed: u64, n: u64) -> Vec<IndexedFrame> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = || {
        // xorshift64
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|i| IndexedFrame {
            hash: Hash256([next(), next(), next(), next()]),
            pts_ms: (i * 1000) as u32,
            span_ms: 500,
            quality: 90,
            region: 0,
        })
        .collect()
}

/// Bans one work per entry of `sizes` into a new index in `dir`; returns its manifest.
fn build_index(dir: &Path, sizes: &[u64]) -> Manifest {
    let mut index = Index::create(dir).unwrap();
    let mut writer = index.writer().unwrap();
    for (w, &n) in sizes.iter().enumerate() {
        let meta = WorkMeta {
            id: format!("w{w}"),
            notice: "TD-1".into(),
            ..WorkMeta::default()
        };
        writer
            .add_work(meta, rows(w as u64 + 11, n), BankOptions::default())
            .unwrap();
    }
    writer.commit().unwrap();
    let bytes = std::fs::read(dir.join(MANIFEST_FILE)).unwrap();
    Manifest::from_bytes(Path::new(MANIFEST_FILE), &bytes).unwrap()
}

fn valid() -> &'static Valid {
    static VALID: OnceLock<Valid> = OnceLock::new();
    VALID.get_or_init(|| {
        let video = SynthVideo::new(3)
            .size(32, 24)
            .fps(4)
            .duration_ms(2_000)
            .video();
        let mut y4m = Vec::new();
        video.write_y4m(&mut y4m).unwrap();

        let fp = staydown::fingerprint::Fingerprinter::default()
            .fingerprint_frames(video.frames())
            .unwrap();
        let vpdq = fp.to_vpdq().into_bytes();

        let dir = tempfile::tempdir().unwrap();
        let parsed = build_index(dir.path(), &[5, 5]);
        let manifest = std::fs::read(dir.path().join(MANIFEST_FILE)).unwrap();
        let audit = std::fs::read(dir.path().join(AUDIT_FILE)).unwrap();
        let segment = std::fs::read(dir.path().join(&parsed.segments[0].file)).unwrap();
        let big = tempfile::tempdir().unwrap();
        let n = staydown::index::format::MIN_INDEXED_HASHES as u64;
        let parsed_big = build_index(big.path(), &[n - 10, 10]);
        let segment_tables = std::fs::read(big.path().join(&parsed_big.segments[0].file)).unwrap();
        Valid {
            y4m,
            vpdq,
            manifest,
            audit,
            audit_committed: parsed.audit_bytes,
            segment,
            segment_tables,
        }
    })
}

/// One edit of a byte string.
#[derive(Clone, Debug)]
enum Edit {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<usize>(), 0u8..8).prop_map(|(p, b)| Edit::Flip(p, b)),
        3 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Set(p, b)),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Insert(p, b)),
        2 => any::<usize>().prop_map(Edit::Delete),
        1 => any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(edit(), 1..6)
}

/// Applies `edits`; positions are taken modulo the length. Edits near the start and end of
/// a file matter most (headers, trailers), so half the positions count from the end.
fn mutate(valid: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut b = valid.to_vec();
    let at = |p: usize, len: usize| {
        if len == 0 {
            0
        } else if p % 2 == 0 {
            (p / 2) % len
        } else {
            len - 1 - (p / 2) % len
        }
    };
    for e in edits {
        match *e {
            Edit::Flip(p, bit) if !b.is_empty() => {
                let i = at(p, b.len());
                b[i] ^= 1 << bit;
            }
            Edit::Set(p, v) if !b.is_empty() => {
                let i = at(p, b.len());
                b[i] = v;
            }
            Edit::Insert(p, v) => {
                let i = at(p, b.len() + 1);
                b.insert(i, v);
            }
            Edit::Delete(p) if !b.is_empty() => {
                let i = at(p, b.len());
                b.remove(i);
            }
            Edit::Truncate(p) => b.truncate(at(p, b.len() + 1)),
            _ => {}
        }
    }
    b
}

fn names(err: &staydown::Error, what: &str) -> bool {
    format!("{err}").contains(what)
}

/// Small limits, as in the fuzz target, so a mutated header cannot allocate much.
fn y4m_options() -> DecodeOptions {
    DecodeOptions {
        limits: Limits {
            max_width: 1024,
            max_height: 1024,
            max_pixels: 1 << 18,
            max_frames: 1000,
        },
        ..DecodeOptions::default()
    }
}

/// Reads all of a Y4M stream; the error, if any, must name it.
fn check_y4m(bytes: &[u8]) -> Result<usize, String> {
    let r = FrameSource::y4m_reader(Cursor::new(bytes.to_vec()), "input.y4m", &y4m_options());
    let mut src = match r {
        Ok(s) => s,
        Err(e) if names(&e, "input.y4m") => return Ok(0),
        Err(e) => return Err(format!("error does not name the file: {e}")),
    };
    let mut n = 0;
    loop {
        match src.next_frame() {
            Ok(Some(_)) => n += 1,
            Ok(None) => return Ok(n),
            Err(e) if names(&e, "input.y4m") => return Ok(n),
            Err(e) => return Err(format!("error does not name the file: {e}")),
        }
    }
}

fn check_vpdq(bytes: &[u8]) -> Result<(), String> {
    match Fingerprint::read_vpdq(bytes, "input.vpdq") {
        Ok(_) => Ok(()),
        Err(e) if names(&e, "input.vpdq") => Ok(()),
        Err(e) => Err(format!("error does not name the file: {e}")),
    }
}

fn check_manifest(bytes: &[u8]) -> Result<(), String> {
    let path = Path::new("idx/MANIFEST");
    match Manifest::from_bytes(path, bytes).and_then(|m| m.check(path)) {
        Ok(()) => Ok(()),
        Err(e) if names(&e, "idx/MANIFEST") => Ok(()),
        Err(e) => Err(format!("error does not name the file: {e}")),
    }
}

fn check_audit(bytes: &[u8], committed: u64) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(AUDIT_FILE), bytes).unwrap();
    match staydown::index::audit::read(dir.path(), committed) {
        Ok(_) => Ok(()),
        Err(e) if names(&e, AUDIT_FILE) => Ok(()),
        Err(e) => Err(format!("error does not name the file: {e}")),
    }
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().unwrap())
}

/// Makes a segment's header and trailing CRCs agree with its bytes where its header
/// describes a layout of its length (as the `segment` fuzz target does), so mutations reach
/// the checks behind the checksums.
fn fix_crcs(b: &mut [u8]) {
    if b.len() >= 64 {
        let (m, works) = (u32_at(b, 12) as usize, u32_at(b, 20) as usize);
        let (n, meta_len) = (u64_at(b, 24), u64_at(b, 32));
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

/// Writes `bytes` as the one segment of an index whose manifest names it with its length
/// and CRC; returns the directory.
fn segment_index(bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let file = segment_file(1);
    std::fs::write(dir.path().join(&file), bytes).unwrap();
    let at = |i: usize, n: usize| bytes.get(i..i + n).map(|s| s.to_vec());
    let mut manifest = Manifest::empty();
    manifest.generation = 1;
    manifest.next_segment = 2;
    manifest.segments.push(SegmentEntry {
        id: 1,
        file,
        frames: at(24, 8).map_or(0, |_| u64_at(bytes, 24)),
        works: at(20, 4).map_or(0, |_| u32_at(bytes, 20)),
        bytes: bytes.len() as u64,
        crc32: bytes.len().checked_sub(8).map_or(0, |i| u32_at(bytes, i)),
    });
    std::fs::write(dir.path().join(MANIFEST_FILE), manifest.to_bytes()).unwrap();
    dir
}

/// Opens `bytes` as a segment and uses it as the fuzz target does.
fn check_segment(bytes: &[u8]) -> Result<(), String> {
    let dir = segment_index(bytes);
    let named = |e: &staydown::Error| names(e, &dir.path().display().to_string());
    let index = match Index::open(dir.path()) {
        Ok(i) => i,
        Err(e) if named(&e) => return Ok(()),
        Err(e) => return Err(format!("error does not name the file: {e}")),
    };
    let snap = index.snapshot();
    if let Err(e) = snap.verify() {
        if !named(&e) {
            return Err(format!("error does not name the file: {e}"));
        }
    }
    let _ = snap.stats();
    let mut queries = vec![Hash256([0; 4])];
    let works: Vec<u32> = snap.live_works().collect();
    for w in works {
        queries.extend(snap.work_frames(w).iter().take(4).map(|f| f.hash));
        let _ = snap.recipe(w);
    }
    let _ = snap.search_batch(&queries, 31);
    Ok(())
}

#[test]
fn valid_inputs_parse() {
    let v = valid();
    // 2 s at 4 fps, sampled at the default 1 fps.
    assert_eq!(check_y4m(&v.y4m), Ok(2));
    assert!(Fingerprint::read_vpdq(&v.vpdq[..], "v.vpdq").is_ok());
    assert!(Manifest::from_bytes(Path::new("MANIFEST"), &v.manifest).is_ok());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(AUDIT_FILE), &v.audit).unwrap();
    assert!(
        !staydown::index::audit::read(dir.path(), v.audit_committed)
            .unwrap()
            .is_empty()
    );
    let dir = segment_index(&v.segment);
    let index = Index::open(dir.path()).unwrap();
    index.snapshot().verify().unwrap();
    assert_eq!(index.snapshot().works().len(), 2);
    let dir = segment_index(&v.segment_tables);
    Index::open(dir.path())
        .unwrap()
        .snapshot()
        .verify()
        .unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_y4m_never_panics(e in edits()) {
        let b = mutate(&valid().y4m, &e);
        prop_assert!(check_y4m(&b).is_ok(), "{:?}", check_y4m(&b));
    }

    #[test]
    fn mutated_vpdq_never_panics(e in edits()) {
        let b = mutate(&valid().vpdq, &e);
        let r = check_vpdq(&b);
        prop_assert!(r.is_ok(), "{:?}", r);
    }

    #[test]
    fn mutated_manifest_never_panics(e in edits()) {
        let b = mutate(&valid().manifest, &e);
        let r = check_manifest(&b);
        prop_assert!(r.is_ok(), "{:?}", r);
    }

    #[test]
    fn mutated_audit_log_never_panics(e in edits(), extra in 0u64..64) {
        let b = mutate(&valid().audit, &e);
        let committed = (valid().audit_committed + extra).saturating_sub(32);
        let r = check_audit(&b, committed);
        prop_assert!(r.is_ok(), "{:?}", r);
    }

    #[test]
    fn mutated_segment_never_panics(e in edits(), fix in any::<bool>()) {
        let mut b = mutate(&valid().segment, &e);
        if fix {
            fix_crcs(&mut b);
        }
        let r = check_segment(&b);
        prop_assert!(r.is_ok(), "{:?}", r);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() })]

    /// Fewer cases: each writes and checks 2 MiB.
    #[test]
    fn mutated_segment_with_tables_never_panics(e in edits(), fix in any::<bool>()) {
        let mut b = mutate(&valid().segment_tables, &e);
        if fix {
            fix_crcs(&mut b);
        }
        let r = check_segment(&b);
        prop_assert!(r.is_ok(), "{:?}", r);
    }
}
