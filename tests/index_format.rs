//! On-disk format: damaged files are refused with an error naming them, and the
//! committed v1 fixture still opens.

mod util;

use std::fs;
use std::path::{Path, PathBuf};

use staydown::bank::{self, BankOptions};
use staydown::hash::Kernel;
use staydown::index::format::{FORMAT_VERSION, MANIFEST_FILE};
use staydown::index::{AuditAction, Index};
use staydown::{Fingerprint, FrameHash, Hash256, WorkMeta};

/// `n` frames 250 ms apart, of a 4 fps source.
fn fp(seed: u64, n: usize) -> Fingerprint {
    Fingerprint {
        fps: 4.0,
        ..util::random_fingerprint(seed, n, |i| 40 + (i % 60) as u8)
    }
}

fn meta(id: &str) -> WorkMeta {
    WorkMeta {
        id: id.into(),
        title: format!("Title {id}"),
        rightsholder: "Rights Inc".into(),
        notice: format!("N-{id}"),
        added_unix_s: 1_700_000_000,
        note: Some("fixture".into()),
        source: None,
        duration_ms: 0,
    }
}

/// Two works in two segments, a third removed by a tombstone.
fn build(dir: &Path) {
    let mut index = Index::create(dir).unwrap();
    let mut w = index.writer().unwrap();
    bank::add(
        &mut w,
        meta("alpha"),
        std::slice::from_ref(&fp(1, 40)),
        &BankOptions::whole_frames(),
    )
    .unwrap();
    bank::add(
        &mut w,
        meta("gone"),
        std::slice::from_ref(&fp(3, 20)),
        &BankOptions::whole_frames(),
    )
    .unwrap();
    w.commit().unwrap();
    let mut w = index.writer().unwrap();
    bank::add(
        &mut w,
        meta("beta"),
        std::slice::from_ref(&fp(2, 40)),
        &BankOptions::whole_frames(),
    )
    .unwrap();
    w.remove_work("gone", "counter-notice upheld").unwrap();
    w.commit().unwrap();
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sdx"))
        .collect();
    v.sort();
    v
}

/// Opens (and searches, and verifies) `dir`; the first error, as text.
fn open_and_verify(dir: &Path) -> Result<(), String> {
    let index = Index::open(dir).map_err(|e| e.to_string())?;
    let snap = index.snapshot();
    // Whatever the damage, searching must not panic.
    let q: Vec<Hash256> = fp(1, 40).frames.iter().map(|f| f.hash).collect();
    let _ = snap.search_batch(&q, 31);
    let _ = snap.search_batch(&q, 48);
    snap.verify().map_err(|e| e.to_string())
}

#[test]
fn damaged_segment_is_refused_naming_it() {
    let d = tempfile::tempdir().unwrap();
    build(d.path());
    open_and_verify(d.path()).unwrap();
    let seg = &segment_files(d.path())[0];
    let name = seg.file_name().unwrap().to_str().unwrap().to_string();
    let good = fs::read(seg).unwrap();
    // Truncated (torn) at several places, and extended.
    for cut in [0, 7, 64, good.len() / 3, good.len() - 5, good.len() - 1] {
        fs::write(seg, &good[..cut]).unwrap();
        let err = Index::open(d.path()).unwrap_err().to_string();
        assert!(err.contains(&name), "cut {cut}: {err}");
    }
    let mut longer = good.clone();
    longer.extend_from_slice(&[0; 16]);
    fs::write(seg, &longer).unwrap();
    assert!(
        Index::open(d.path())
            .unwrap_err()
            .to_string()
            .contains(&name)
    );
    // A bit flipped anywhere: refused at open or at verify, naming the file.
    let step = (good.len() / 400).max(1);
    let mut positions: Vec<usize> = (0..good.len()).step_by(step).collect();
    positions.extend(0..64);
    positions.extend(good.len() - 16..good.len());
    for i in positions {
        let mut bad = good.clone();
        bad[i] ^= 1 << (i % 8);
        fs::write(seg, &bad).unwrap();
        let err = open_and_verify(d.path()).unwrap_err();
        assert!(err.contains(&name), "flip at {i}: {err}");
    }
    fs::write(seg, &good).unwrap();
    open_and_verify(d.path()).unwrap();
}

#[test]
fn damaged_manifest_and_audit_log_are_refused_naming_them() {
    let d = tempfile::tempdir().unwrap();
    build(d.path());
    let path = d.path().join(MANIFEST_FILE);
    let good = fs::read(&path).unwrap();
    for cut in [0, 1, good.len() / 2, good.len() - 1] {
        fs::write(&path, &good[..cut]).unwrap();
        let err = Index::open(d.path()).unwrap_err().to_string();
        assert!(err.contains("MANIFEST"), "cut {cut}: {err}");
    }
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x10;
        fs::write(&path, &bad).unwrap();
        let err = Index::open(d.path()).unwrap_err().to_string();
        assert!(err.contains("MANIFEST"), "flip at {i}: {err}");
    }
    fs::write(&path, &good).unwrap();
    fs::remove_file(d.path().join(MANIFEST_FILE)).unwrap();
    let err = Index::open(d.path()).unwrap_err().to_string();
    // Segments without a manifest: an index that lost it, not an empty directory.
    assert!(
        err.contains("no MANIFEST") && err.contains("staydown index recover"),
        "{err}"
    );
    fs::write(&path, &good).unwrap();

    let log = d.path().join("audit.log");
    let good = fs::read(&log).unwrap();
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x01;
        fs::write(&log, &bad).unwrap();
        let err = open_and_verify(d.path()).unwrap_err();
        assert!(err.contains("audit.log"), "flip at {i}: {err}");
    }
    fs::write(&log, &good[..good.len() - 3]).unwrap();
    assert!(open_and_verify(d.path()).unwrap_err().contains("audit.log"));
}

#[test]
fn a_newer_format_version_is_refused() {
    let d = tempfile::tempdir().unwrap();
    build(d.path());
    let path = d.path().join(MANIFEST_FILE);
    let text = fs::read_to_string(&path).unwrap();
    let json = text.lines().next().unwrap().replace(
        &format!("\"format_version\":{FORMAT_VERSION}"),
        "\"format_version\":99",
    );
    let crc = crc32fast::hash(json.as_bytes());
    fs::write(&path, format!("{json}\ncrc32 {crc:08x}\n")).unwrap();
    let err = Index::open(d.path()).unwrap_err().to_string();
    assert!(err.contains("v99 unsupported"), "{err}");
}

#[test]
fn quality_filter_and_collapse_keep_time_spans() {
    let d = tempfile::tempdir().unwrap();
    let mut index = Index::create(d.path()).unwrap();
    let base = fp(9, 1).frames[0].hash;
    let other = fp(10, 1).frames[0].hash;
    let mut near = base;
    near.0[0] ^= 0b111; // 3 bits from base
    let frame = |pts_ms, hash, quality| FrameHash {
        pts_ms,
        hash,
        quality,
        mirror: None,
    };
    let fpr = Fingerprint {
        frames: vec![
            frame(0, base, 90),
            frame(250, near, 90),
            frame(500, base, 90),
            frame(750, other, 90),
            frame(1000, other, 10), // low quality: not indexed, breaks the run
            frame(1250, other, 90),
        ],
        ..Fingerprint::default()
    };
    let mut w = index.writer().unwrap();
    let st = bank::add(
        &mut w,
        meta("s"),
        std::slice::from_ref(&fpr),
        &BankOptions::whole_frames(),
    )
    .unwrap();
    assert_eq!((st.hashes, st.low_quality, st.stored), (6, 1, 3));
    let snap = w.commit().unwrap();
    let rows = snap.work_frames(0);
    let spans: Vec<(u32, u16)> = rows.iter().map(|r| (r.pts_ms, r.span_ms)).collect();
    assert_eq!(spans, [(0, 500), (750, 0), (1250, 0)]);
    let hits = &snap.search_batch(&[near], 0)[0];
    assert!(
        hits.is_empty(),
        "collapsed frames are found through their run's first"
    );
    let hits = &snap.search_batch(&[near], 31)[0];
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (hits[0].ref_pts_ms, hits[0].ref_end_ms, hits[0].distance),
        (0, 500, 3)
    );

    let mut w = index.writer().unwrap();
    let opts = BankOptions {
        min_quality: 0,
        ..BankOptions::every_frame()
    };
    assert!(
        bank::add(&mut w, meta("s"), std::slice::from_ref(&fpr), &opts)
            .unwrap_err()
            .to_string()
            .contains("already banned")
    );
    bank::add(&mut w, meta("t"), std::slice::from_ref(&fpr), &opts).unwrap();
    let snap = w.commit().unwrap();
    assert_eq!(snap.work_frames(1).len(), 6);
}

/// The fixture written by format version `v`.
fn fixture(v: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/index/v{v}"))
}

/// A fixture is stored with each file gzipped (`<name>.gz`) to keep `fixtures/` small:
/// most of a segment is zero-filled table directories. This unpacks it into `dest`.
fn unpack_fixture(src: &Path, dest: &Path) {
    use std::io::Read;
    let mut n = 0;
    for entry in fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".gz") else {
            continue;
        };
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(fs::File::open(&path).unwrap())
            .read_to_end(&mut bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        fs::write(dest.join(stem), bytes).unwrap();
        n += 1;
    }
    assert!(n > 0, "no *.gz files in {}", src.display());
}

/// Writes each file of the freshly built index `built` gzipped into `dest`.
fn pack_fixture(built: &Path, dest: &Path) {
    use std::io::Write;
    for entry in fs::read_dir(built).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let out = fs::File::create(dest.join(format!("{name}.gz"))).unwrap();
        let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::best());
        gz.write_all(&fs::read(&path).unwrap()).unwrap();
        gz.finish().unwrap();
    }
}

/// `BLESS=1 cargo test --test index_format` writes the fixture of the current format when it
/// is absent (only with a format bump: old fixtures stay and must keep opening).
#[test]
fn fixture_v1_opens() {
    fixture_opens(1, &BankOptions::legacy());
}

#[test]
fn fixture_v2_opens() {
    fixture_opens(2, &plane(BankOptions::whole_frames()));
}

/// `recipe` as formats before 5 read back: hashed with the plane kernel.
fn plane(recipe: BankOptions) -> BankOptions {
    BankOptions {
        kernel: Kernel::Plane,
        ..recipe
    }
}

#[test]
fn fixture_v4_opens() {
    fixture_opens(4, &plane(BankOptions::whole_frames()));
    // Format 4 also keeps each row's region tag (0: the whole frame, the recipe's only
    // fingerprint) and the work's frame rate.
    let tmp = tempfile::tempdir().unwrap();
    unpack_fixture(&fixture(4), tmp.path());
    let snap = Index::open(tmp.path()).unwrap().snapshot();
    let beta = snap.find("beta").unwrap();
    let rows = snap.work_frames(beta);
    assert!(!rows.is_empty() && rows.iter().all(|r| r.region == 0));
    assert_eq!(snap.frame_rate(beta), Some(4.0));
}

#[test]
fn fixture_v5_opens() {
    // Format 5 also keeps format 4's region tags and frame rates, and names the kernel each
    // work was hashed with; a writer holding works of one kernel refuses a work of the other.
    fixture_opens(5, &BankOptions::whole_frames());
    let tmp = tempfile::tempdir().unwrap();
    unpack_fixture(&fixture(5), tmp.path());
    let mut index = Index::open(tmp.path()).unwrap();
    let snap = index.snapshot();
    let beta = snap.find("beta").unwrap();
    let rows = snap.work_frames(beta);
    assert!(!rows.is_empty() && rows.iter().all(|r| r.region == 0));
    assert_eq!(snap.frame_rate(beta), Some(4.0));
    assert_eq!(snap.kernel(), Some(Kernel::Source));
    let mut w = index.writer().unwrap();
    assert_eq!(w.kernel(), Some(Kernel::Source));
    let err = bank::add(
        &mut w,
        meta("plane"),
        std::slice::from_ref(&fp(9, 20)),
        &plane(BankOptions::whole_frames()),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("plane kernel") && err.contains("source kernel"),
        "{err}"
    );
}

/// Opens, verifies and searches the fixture of format `version`, whose works were banked
/// with `recipe`.
fn fixture_opens(version: u32, recipe: &BankOptions) {
    let src = fixture(version);
    let manifest_gz = format!("{MANIFEST_FILE}.gz");
    if version == FORMAT_VERSION
        && std::env::var_os("BLESS").is_some()
        && !src.join(&manifest_gz).exists()
    {
        fs::create_dir_all(&src).unwrap();
        let built = tempfile::tempdir().unwrap();
        build(built.path());
        pack_fixture(built.path(), &src);
    }
    let tmp = tempfile::tempdir().unwrap();
    unpack_fixture(&src, tmp.path());
    let dir = tmp.path();
    let index = Index::open(dir).unwrap_or_else(|e| panic!("the v{version} fixture opens: {e}"));
    let snap = index.snapshot();
    snap.verify().unwrap();
    for w in snap.live_works() {
        assert_eq!(snap.recipe(w), Some(recipe), "v{version}");
    }
    let ids: Vec<&str> = snap
        .live_works()
        .map(|w| snap.works()[w as usize].id.as_str())
        .collect();
    assert_eq!(ids, ["alpha", "beta"]);
    let alpha = snap.find("alpha").unwrap();
    let want = WorkMeta {
        duration_ms: 10_000,
        ..meta("alpha")
    };
    assert_eq!(snap.works()[alpha as usize], want);
    let q: Vec<Hash256> = fp(2, 40).frames.iter().map(|f| f.hash).collect();
    let hits = snap.search_batch(&q, 31);
    let found: usize = hits.iter().map(|h| h.len()).sum();
    let indexed = snap.work_frames(snap.find("beta").unwrap()).len();
    assert_eq!(found, indexed, "each indexed frame of beta finds itself");
    assert!(snap.find("gone").is_none());
    let log = snap.audit_log().unwrap();
    let actions: Vec<(AuditAction, &str)> =
        log.iter().map(|e| (e.action, e.work.as_str())).collect();
    assert_eq!(
        actions,
        [
            (AuditAction::Ban, "alpha"),
            (AuditAction::Ban, "gone"),
            (AuditAction::Ban, "beta"),
            (AuditAction::Remove, "gone")
        ]
    );
}

#[test]
fn a_small_segment_has_no_tables_and_is_searched_by_scanning() {
    let d = tempfile::tempdir().unwrap();
    build(d.path());
    for seg in segment_files(d.path()) {
        let len = fs::metadata(&seg).unwrap().len();
        assert!(len < 8 * 1024, "{}: {len} bytes", seg.display());
    }
    let snap = Index::open(d.path()).unwrap().snapshot();
    let q: Vec<Hash256> = fp(2, 40).frames.iter().map(|f| f.hash).collect();
    let found: usize = snap.search_batch(&q, 31).iter().map(|h| h.len()).sum();
    let stored = snap.work_frames(snap.find("beta").unwrap()).len();
    assert_eq!(found, stored, "each stored hash of beta finds itself");
}
