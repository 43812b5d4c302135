//! A picture-in-picture copy and a 5° rotated copy of a synthetic work are flagged `match`
//! by the default query variants (inset crop, frames rotated back), and not without them; a
//! distractor made the same way is never flagged. Skipped (with a message) when ffmpeg is
//! absent.

use std::path::{Path, PathBuf};
use std::process::Command;

use staydown::check::{self, CheckOptions, Checker, QueryVariants};
use staydown::decode::{DecodeOptions, FrameSource};
use staydown::eval::{self, EvalConfig, EvalHasher};
use staydown::fingerprint::Fingerprinter;
use staydown::synth::SynthVideo;
use staydown::{Decision, Fingerprint, Result};

fn have_ffmpeg() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// References as `ban` banks them: 5 fps with the default centre crops.
struct Banker;

impl EvalHasher for Banker {
    fn reference(&self, path: &Path) -> Result<Vec<Fingerprint>> {
        let decode = DecodeOptions {
            fps: Some(5.0),
            ..DecodeOptions::default()
        };
        check::reference_fingerprints(path, &decode, &Fingerprinter::new(), &check::BANK_REGIONS)
    }

    fn query(&self, path: &Path) -> Result<Vec<Fingerprint>> {
        let source = FrameSource::open(path, &DecodeOptions::default())?;
        check::upload_fingerprints(source, &Fingerprinter::new(), &QueryVariants::default())
    }
}

fn synthetic(dir: &Path, seed: u64, seconds: u64) -> PathBuf {
    let out = dir.join(format!("synth-{seed}.mp4"));
    let video = SynthVideo::new(seed)
        .size(192, 144)
        .fps(25)
        .duration_ms(seconds * 1000)
        .video();
    eval::encode_synthetic(Path::new("ffmpeg"), &video, &out).unwrap();
    out
}

#[test]
fn pip_and_rotated_copies_match_only_with_the_variants() {
    if !have_ffmpeg() {
        eprintln!("skipping: ffmpeg not found (the copies are made with it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let work = synthetic(dir.path(), 1, 16);
    let distractor = synthetic(dir.path(), 1001, 16);
    let (index, _) = eval::bank(&Banker, std::slice::from_ref(&work)).unwrap();
    let cfg = EvalConfig::new(dir.path());
    let with = Checker::with_options(index.clone(), CheckOptions::default());
    let without = Checker::with_options(
        index,
        CheckOptions {
            variants: QueryVariants::plain(true),
            ..CheckOptions::default()
        },
    );
    for name in ["pip-half", "rotate5"] {
        let tr = cfg.transforms.iter().find(|t| t.name == name).unwrap();
        for (input, is_work) in [(&work, true), (&distractor, false)] {
            let copy = dir.path().join(format!("{name}-{is_work}.mp4"));
            eval::make_copy(&cfg, tr, input, 16.0, &copy).unwrap();
            let found = with.check_path(&copy).unwrap().verdict;
            let plain = without.check_path(&copy).unwrap().verdict;
            if is_work {
                assert_eq!(found.verdict, Decision::Match, "{name}: {found:?}");
                assert_eq!(found.matches[0].meta.id, "synth-1");
                assert!(
                    found.matches[0].query_end_ms - found.matches[0].query_start_ms >= 12_000,
                    "{name}: {:?}",
                    found.matches[0]
                );
                assert_eq!(plain.verdict, Decision::Clean, "{name} without variants");
            } else {
                assert_eq!(found.verdict, Decision::Clean, "{name} of a distractor");
            }
        }
    }
}
