//! `staydown scan <PATH>... --index <DIR>`: check every video under the paths, in parallel.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rayon::prelude::*;
use staydown::check::Checker;
use staydown::index::{Index, Snapshot};
use staydown::matcher::Decision;
use staydown::report::{self, HtmlReport, Outcome, Thumbnails};
use staydown::scan::{Found, WalkOptions, quarantine, walk};

use super::check::PolicyArgs;

/// Rate at which a work is decoded for the report's thumbnails (the nearest frame to each
/// evidence time is shown).
const WORK_THUMB_FPS: f64 = 4.0;

/// Scans files and directories of uploads against the index.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Files and directories to scan (directories recursively).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The index directory.
    #[arg(long, value_name = "DIR")]
    pub index: PathBuf,
    /// Print one JSON object per file (JSON Lines), flushed per line; the summary goes to stderr.
    #[arg(long)]
    pub json: bool,
    /// Write a self-contained HTML evidence report of flagged and review files.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Move flagged files here (keeping their relative paths; nothing is ever deleted).
    #[arg(long, value_name = "DIR")]
    pub quarantine: Option<PathBuf>,
    /// Files checked at once (each runs one decoder) [default: number of cores].
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Also scan hidden files and directories.
    #[arg(long)]
    pub hidden: bool,
    /// Only scan files matching this glob (repeatable), e.g. '*.mp4'.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Skip files and directories matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// What one worker sends back.
struct Done {
    found: Found,
    outcome: Outcome,
    duration_ms: u64,
    thumbs: Thumbnails,
}

#[derive(Default, Clone, Copy)]
struct Tally {
    scanned: usize,
    matched: usize,
    review: usize,
    clean: usize,
    errors: usize,
}

impl Tally {
    fn add(&mut self, outcome: &Outcome) {
        self.scanned += 1;
        match outcome.decision() {
            Some(Decision::Match) => self.matched += 1,
            Some(Decision::Review) => self.review += 1,
            Some(Decision::Clean) => self.clean += 1,
            None => self.errors += 1,
        }
    }
}

/// The error text for a file, without the leading path the library's message already has.
pub fn error_text(path: &Path, err: &anyhow::Error) -> String {
    let full = format!("{err:#}");
    let prefix = format!("{}: ", path.display());
    let text = full.strip_prefix(&prefix).unwrap_or(&full);
    // A decoder's stderr can span lines; one file stays one line of output.
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Thumbnails for the evidence report: the upload's frames at the matched query times, and
/// the works' frames at the matched reference times when their source files are reachable.
fn thumbnails(path: &Path, outcome: &Outcome, query_fps: f64) -> Thumbnails {
    let mut thumbs = Thumbnails::default();
    let Outcome::Verdict { verdict, .. } = outcome else {
        return thumbs;
    };
    let mut up_times = Vec::new();
    let mut work_times: BTreeMap<(String, String), Vec<u64>> = BTreeMap::new();
    for m in &verdict.matches {
        for p in report::shown_pairs(m) {
            up_times.push(p.query_ms);
            if let Some(src) = &m.meta.source {
                work_times
                    .entry((m.meta.id.clone(), src.clone()))
                    .or_default()
                    .push(p.ref_ms);
            }
        }
    }
    if let Ok(map) = report::frames_at(path, &up_times, query_fps) {
        thumbs.upload = map;
    }
    for ((id, src), times) in work_times {
        if let Ok(map) = report::frames_at(Path::new(&src), &times, WORK_THUMB_FPS) {
            thumbs
                .works
                .extend(map.into_iter().map(|(t, uri)| ((id.clone(), t), uri)));
        }
    }
    thumbs
}

/// Runs `scan`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let index = Index::open(&args.index)
        .with_context(|| format!("opening index {}", args.index.display()))?;
    run_on(args, index.snapshot())
}

/// Runs a scan against an open snapshot (the demo calls this too).
pub fn run_on(args: Args, snapshot: Snapshot) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let options = args.policy.check_options()?;
    let query_fps = options.decode.fps.unwrap_or(1.0);
    let checker = Checker::with_options(snapshot, options);
    let walked = walk(
        &args.paths,
        &WalkOptions {
            hidden: args.hidden,
            include: args.include.clone(),
            exclude: args.exclude.clone(),
        },
    )?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("staydown-scan-{i}"))
        .build()
        .context("starting worker threads")?;

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second handler cannot be installed (the demo runs scan once per process);
        // failing to install one only loses the clean partial summary.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }

    let total = walked.files.len() + walked.errors.len();
    let show_progress = !args.no_progress && std::io::stderr().is_terminal();
    let bar = if show_progress {
        let pb = indicatif::ProgressBar::new(total as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} files, {per_sec}, ETA {eta} {msg}",
            )
            .expect("valid template"),
        );
        pb.enable_steady_tick(Duration::from_millis(200));
        pb
    } else {
        indicatif::ProgressBar::hidden()
    };

    let mut per_root = vec![Tally::default(); args.paths.len()];
    let mut all = Tally::default();
    let mut video_ms: u64 = 0;
    let mut html = args
        .report
        .as_ref()
        .map(|_| HtmlReport::new(format!("staydown scan of {}", join_paths(&args.paths))));
    let mut out = std::io::stdout().lock();

    let mut handle = |done: Done, out: &mut std::io::StdoutLock<'_>| -> anyhow::Result<()> {
        let Done {
            found,
            outcome,
            duration_ms,
            thumbs,
        } = done;
        video_ms += duration_ms;
        all.add(&outcome);
        per_root[found.root].add(&outcome);
        if let (Some(qdir), Some(Decision::Match)) = (&args.quarantine, outcome.decision()) {
            let reason = match &outcome {
                Outcome::Verdict { verdict, .. } => verdict
                    .matches
                    .iter()
                    .filter(|m| m.decision == Decision::Match)
                    .map(|m| format!("matches work {} (notice {})", m.meta.id, m.meta.notice))
                    .collect::<Vec<_>>()
                    .join("; "),
                Outcome::Error(_) => String::new(),
            };
            if let Err(e) = quarantine(&found.path, &args.paths[found.root], qdir, &reason) {
                let e = anyhow::Error::from(e);
                bar.suspend(|| eprintln!("staydown: quarantine failed: {e:#}"));
                all.errors += 1;
                per_root[found.root].errors += 1;
            }
        }
        let text = if args.json {
            report::json_line(&found.path, &outcome, false) + "\n"
        } else {
            report::scan_lines(&found.path, &outcome)
        };
        if !text.is_empty() {
            bar.suspend(|| -> std::io::Result<()> {
                out.write_all(text.as_bytes())?;
                out.flush()
            })?;
        }
        if let Some(h) = html.as_mut() {
            h.add(&found.path, &outcome, thumbs);
        }
        bar.inc(1);
        if all.matched + all.review > 0 {
            bar.set_message(format!("{} flagged, {} review", all.matched, all.review));
        }
        Ok(())
    };

    for (found, err) in walked.errors {
        let err = anyhow::Error::from(err);
        let outcome = Outcome::Error(error_text(&found.path, &err));
        handle(
            Done {
                found,
                outcome,
                duration_ms: 0,
                thumbs: Thumbnails::default(),
            },
            &mut out,
        )?;
    }

    let (tx, rx) = mpsc::sync_channel::<Done>(jobs * 2);
    let files = walked.files;
    let with_report = args.report.is_some();
    let mut interrupted = false;
    std::thread::scope(|s| -> anyhow::Result<()> {
        let checker = &checker;
        let stop = &stop;
        s.spawn(move || {
            pool.install(|| {
                files.into_par_iter().for_each_with(tx, |tx, found| {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let (outcome, duration_ms) = match checker.check_path(&found.path) {
                        Ok(checked) => (checked.outcome(), checked.duration_ms()),
                        Err(e) => {
                            let e = anyhow::Error::from(e);
                            (Outcome::Error(error_text(&found.path, &e)), 0)
                        }
                    };
                    // A decode cut short by Ctrl-C is not a verdict on the file.
                    if stop.load(Ordering::SeqCst) && matches!(outcome, Outcome::Error(_)) {
                        return;
                    }
                    let thumbs = if with_report
                        && matches!(outcome.decision(), Some(Decision::Match | Decision::Review))
                    {
                        thumbnails(&found.path, &outcome, query_fps)
                    } else {
                        Thumbnails::default()
                    };
                    let _ = tx.send(Done {
                        found,
                        outcome,
                        duration_ms,
                        thumbs,
                    });
                });
            });
        });
        for done in rx {
            handle(done, &mut out)?;
        }
        Ok(())
    })?;
    if stop.load(Ordering::SeqCst) {
        interrupted = true;
    }
    bar.finish_and_clear();

    let elapsed = started.elapsed();
    let mut summary = String::new();
    if interrupted {
        summary.push_str("interrupted: partial results\n");
    }
    summary.push_str(&format!(
        "scanned {} of {} files ({} of video) in {:.1} s: {} flagged, {} review, {} clean, {} errors; {:.1} s of video per second\n",
        all.scanned,
        total,
        report::clock(video_ms),
        elapsed.as_secs_f64(),
        all.matched,
        all.review,
        all.clean,
        all.errors,
        video_ms as f64 / 1000.0 / elapsed.as_secs_f64().max(1e-9),
    ));
    if args.paths.len() > 1 {
        for (p, t) in args.paths.iter().zip(&per_root) {
            summary.push_str(&format!(
                "  {}: {} of {} videos flagged ({} review, {} errors)\n",
                p.display(),
                t.matched,
                t.scanned,
                t.review,
                t.errors
            ));
        }
    }
    if let (Some(h), Some(path)) = (&html, &args.report) {
        h.write(path)?;
        summary.push_str(&format!("evidence report: {}\n", path.display()));
    }
    if args.json {
        eprint!("{summary}");
    } else {
        out.write_all(summary.as_bytes())?;
        out.flush()?;
    }
    Ok(if interrupted {
        ExitCode::from(130)
    } else {
        exit_code(&all)
    })
}

fn exit_code(t: &Tally) -> ExitCode {
    if t.errors > 0 {
        ExitCode::from(2)
    } else if t.matched > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
