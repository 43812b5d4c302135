//! `staydown check <VIDEO> --index <DIR>`: one upload, the verdict and its full evidence.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use staydown::check::Checker;
use staydown::matcher::Decision;
use staydown::report;
use staydown::walk::{WalkOptions, walk};

use super::args::PolicyArgs;
use super::open_index;

/// Checks one upload against the index.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The upload to check (any video ffmpeg reads, or Y4M).
    pub video: PathBuf,
    /// The index directory.
    #[arg(long, value_name = "DIR")]
    pub index: PathBuf,
    /// Print the JSON object of DESIGN.md (with the matched frame pairs as `evidence`).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// True when `dir` holds a video file, as `scan` would find it.
fn has_videos(dir: &std::path::Path) -> bool {
    walk(&[dir.to_path_buf()], &WalkOptions::default()).is_ok_and(|w| !w.files.is_empty())
}

/// Runs `check`: exit 0 clean or review, 1 match, 2 error.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = args.policy.check_options()?;
    let index = open_index(&args.index)?;
    let checker = Checker::with_options(index.snapshot(), options);
    let checked = match checker.check_path(&args.video) {
        Ok(c) => c,
        Err(_) if args.video.is_dir() && has_videos(&args.video) => anyhow::bail!(
            "{}: a directory of videos; check takes one video (or a directory of numbered \
             image frames): scan a directory with staydown scan {} --index {}",
            args.video.display(),
            args.video.display(),
            args.index.display()
        ),
        Err(e) => return Err(e.into()),
    };
    let flagged = checked.verdict.verdict == Decision::Match;
    let outcome = checked.outcome();
    let text = if args.json {
        report::json_line(&args.video, &outcome, true) + "\n"
    } else {
        report::check_text(&args.video, &outcome)
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(if flagged {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
