//! Picture-in-picture copies (16 px from the corner, flush with it, and beside a second
//! inset) and a 5° rotated copy of a synthetic work are flagged `match` by the default
//! query variants (inset crops, frames rotated back), and not without them; a distractor
//! made the same way is never flagged. Skipped (with a message) when ffmpeg is
//! absent.

mod util;

use staydown::Decision;
use staydown::bank::BankOptions;
use staydown::check::{CheckOptions, Checker};
use staydown::eval::{self, EvalConfig};
use staydown::query::QueryVariants;
use util::synthetic_mp4;

/// References as `ban` banks them but at 5 fps (faster); copies are checked as `check` does.
fn recipe() -> BankOptions {
    BankOptions {
        fps: Some(5.0),
        ..BankOptions::default()
    }
}

#[test]
fn pip_and_rotated_copies_match_only_with_the_variants() {
    if !util::have_ffmpeg() {
        eprintln!("skipping: ffmpeg not found (the copies are made with it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let work = synthetic_mp4(dir.path(), 1, 16);
    let distractor = synthetic_mp4(dir.path(), 1001, 16);
    let (index, _, _) = eval::bank_index(
        std::slice::from_ref(&work),
        &dir.path().join("index"),
        &recipe(),
    )
    .unwrap();
    let cfg = EvalConfig::new(dir.path());
    let with = Checker::with_options(index.clone(), CheckOptions::default());
    let without = Checker::with_options(
        index,
        CheckOptions {
            variants: QueryVariants::plain(true),
            ..CheckOptions::default()
        },
    );
    for name in ["pip-half", "pip-corner", "pip-two", "rotate5"] {
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
