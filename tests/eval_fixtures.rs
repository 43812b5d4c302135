//! A small run of the accuracy benchmark in the test suite: two generated synthetic works
//! and the real Big Buck Bunny fixture banked, one synthetic distractor, the transformations
//! that must always pass. Skipped (with a message) when ffmpeg is absent.

use std::path::{Path, PathBuf};
use std::process::Command;

use staydown::check::{self, BANK_REGIONS, QueryVariants};
use staydown::decode::{DecodeOptions, FrameSource};
use staydown::eval::{self, EvalConfig, EvalHasher};
use staydown::fingerprint::Fingerprinter;
use staydown::synth::SynthVideo;
use staydown::{Fingerprint, Result};

fn have_ffmpeg() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The product's hashing: references as `staydown ban` banks them (every frame, centre
/// crops and bands), copies as `staydown check` hashes uploads (1 fps, mirrors, bands,
/// inset, rotations).
struct Hasher;

impl EvalHasher for Hasher {
    fn reference(&self, path: &Path) -> Result<Vec<Fingerprint>> {
        let every_frame = DecodeOptions {
            fps: None,
            ..DecodeOptions::default()
        };
        check::reference_fingerprints(path, &every_frame, &Fingerprinter::new(), &BANK_REGIONS)
    }

    fn query(&self, path: &Path) -> Result<Vec<Fingerprint>> {
        check::upload_fingerprints(
            FrameSource::open(path, &DecodeOptions::default())?,
            &Fingerprinter::new(),
            &QueryVariants::default(),
        )
    }
}

fn synthetic(dir: &Path, seed: u64, seconds: u64) -> PathBuf {
    let out = dir.join(format!("synth-{seed}.mp4"));
    let video = SynthVideo::new(seed)
        .size(192, 144)
        .fps(25)
        .duration_ms(seconds * 1000)
        .video();
    staydown::eval::encode_synthetic(Path::new("ffmpeg"), &video, &out).unwrap();
    out
}

#[test]
fn must_pass_transformations_on_synthetic_and_real_clips() {
    if !have_ffmpeg() {
        eprintln!("skipping: ffmpeg not found (the accuracy benchmark needs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bbb = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/video/bbb-180p.webm");
    let refs = vec![
        synthetic(dir.path(), 1, 16),
        synthetic(dir.path(), 2, 16),
        bbb,
    ];
    let distractors = vec![synthetic(dir.path(), 1001, 16)];
    let writer = staydown::index::WriterOptions {
        collapse_max_distance_bits: Some(16),
        ..Default::default()
    };
    let (index, references, banked) =
        eval::bank_index(&Hasher, &refs, &dir.path().join("index"), writer).unwrap();
    assert_eq!(references.len(), refs.len());
    let mut cfg = EvalConfig::new(dir.path().join("copies"));
    // (speed1.1 is left out: sped up, the 5.3 s real clip lasts 4.8 s, 4 frames at 1 fps,
    // below the policy's floor for `match`; the full `staydown eval` measures it on longer
    // works. The cut rows skip the real clip for the same reason.)
    let must = [
        "identity",
        "crop10",
        "letterbox",
        "mirror",
        "caption",
        "logo",
        "middle50",
        "clip10-in-40s",
        "combo",
        "quote3s",
    ];
    cfg.transforms.retain(|t| must.contains(&t.name));
    assert_eq!(cfg.transforms.len(), must.len());
    let report = eval::run(&Hasher, &index, &references, &distractors, banked, &cfg).unwrap();
    eprintln!("{}", report.to_table());
    for row in &report.rows {
        assert_eq!(row.errors, 0, "{row:?}: {:?}", report.notes);
        assert_eq!(row.false_flags, 0, "{row:?}");
        if row.expect_match {
            assert_eq!(row.copies + row.skipped, 3, "{row:?}");
            assert!(row.copies >= 2, "{row:?}");
            assert!(
                row.recall >= 0.99,
                "{}: recall {}",
                row.transform,
                row.recall
            );
        }
    }
    // The baseline's blind spots that alignment removes: mirrored copies.
    let mirror = report
        .rows
        .iter()
        .find(|r| r.transform == "mirror")
        .unwrap();
    assert!(mirror.baseline_recall < mirror.recall);
}
