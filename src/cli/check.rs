//! `staydown check <VIDEO> --index <DIR>`: one upload, the verdict and its full evidence.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use staydown::check::Checker;
use staydown::matcher::Decision;
use staydown::report;

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

/// Runs `check`: exit 0 clean or review, 1 match, 2 error.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = args.policy.check_options()?;
    let index = open_index(&args.index)?;
    let checker = Checker::with_options(index.snapshot(), options);
    let checked = checker.check_path(&args.video)?;
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
