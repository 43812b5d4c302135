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
use staydown::check::{CheckOptions, Checker};
use staydown::index::Snapshot;
use staydown::matcher::Decision;
use staydown::quarantine::quarantine;
use staydown::report::{self, HtmlReport, Outcome, Thumbnails};
use staydown::walk::{Found, WalkOptions, walk};

use super::args::PolicyArgs;
use super::open_index;

/// Rate at which a work is decoded for the report's thumbnails (the nearest frame to each
/// evidence time is shown).
const WORK_THUMB_FPS: f64 = 4.0;

/// Scans files and directories of uploads against the index.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Files and directories to scan (directories recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The index directory.
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
    /// Print one JSON object per file (JSON Lines), flushed per line; the summary goes to stderr.
    #[arg(long)]
    json: bool,
    /// Write a self-contained HTML evidence report of flagged and review files.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Move flagged files here (keeping their relative paths; nothing is ever deleted).
    #[arg(long, value_name = "DIR")]
    quarantine: Option<PathBuf>,
    /// Files checked at once (each runs one decoder) [default: number of cores].
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Also scan hidden files and directories.
    #[arg(long)]
    hidden: bool,
    /// Only scan files matching this glob (repeatable), e.g. '*.mp4'.
    #[arg(long, value_name = "GLOB")]
    include: Vec<String>,
    /// Skip files and directories matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Never draw a progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Print only flagged, review and error files: no progress bar, no summary.
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    quiet: bool,
    /// Also print a `CLEAN` line for each clean file (in text mode).
    #[arg(long, short = 'v')]
    verbose: bool,
    /// Colour the verdict words: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    color: ColorWhen,
    #[command(flatten)]
    policy: PolicyArgs,
}

/// When verdict words are coloured.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorWhen {
    /// On a terminal, unless `NO_COLOR` is set or `TERM` is `dumb`.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorWhen {
    fn enabled(self) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }
}

/// `text` with the verdict word at the start of each line in ANSI colour.
fn colour_verdicts(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    for line in text.split_inclusive('\n') {
        let styled = [
            ("MATCH", "1;31"),
            ("REVIEW", "1;33"),
            ("ERROR", "1;35"),
            ("CLEAN", "32"),
        ]
        .into_iter()
        .find_map(|(word, sgr)| {
            line.strip_prefix(word)
                .map(|rest| format!("\x1b[{sgr}m{word}\x1b[0m{rest}"))
        });
        out.push_str(styled.as_deref().unwrap_or(line));
    }
    out
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

impl Args {
    /// The typed scan these flags ask for.
    fn scan(&self) -> anyhow::Result<Scan> {
        Ok(Scan {
            paths: self.paths.clone(),
            index: self.index.clone(),
            walk: WalkOptions {
                hidden: self.hidden,
                include: self.include.clone(),
                exclude: self.exclude.clone(),
            },
            check: self.policy.check_options()?,
            json: self.json,
            report: self.report.clone(),
            quarantine: self.quarantine.clone(),
            jobs: self
                .jobs
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
                .max(1),
            progress: !self.no_progress && !self.quiet && std::io::stderr().is_terminal(),
            quiet: self.quiet,
            color: !self.json && self.color.enabled(),
            verbose: self.verbose,
        })
    }
}

/// A scan, with every option typed (the demo builds one directly).
pub struct Scan {
    /// Files and directories to scan.
    pub paths: Vec<PathBuf>,
    /// The index directory (named in the report).
    pub index: PathBuf,
    /// Which files under `paths` are taken.
    pub walk: WalkOptions,
    /// How each upload is checked.
    pub check: CheckOptions,
    /// JSON Lines on stdout instead of text.
    pub json: bool,
    /// Where to write the HTML evidence report.
    pub report: Option<PathBuf>,
    /// Where to move flagged files.
    pub quarantine: Option<PathBuf>,
    /// Files checked at once.
    pub jobs: usize,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// No summary (only the lines of flagged, review and error files).
    pub quiet: bool,
    /// A line for each clean file too.
    pub verbose: bool,
    /// Colour the verdict words (text mode).
    pub color: bool,
}

/// Runs `scan`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let scan = args.scan()?;
    let index = open_index(&args.index)?;
    run_scan(&scan, index.snapshot())
}

/// Everything printed and counted as files are checked, in the order they finish.
struct Output<'a> {
    scan: &'a Scan,
    bar: indicatif::ProgressBar,
    out: std::io::StdoutLock<'static>,
    per_root: Vec<Tally>,
    all: Tally,
    video_ms: u64,
    html: Option<HtmlReport>,
    /// Files moved to the quarantine directory.
    quarantined: usize,
}

impl Output<'_> {
    /// Counts, quarantines, prints and reports one checked file.
    fn handle(&mut self, done: Done) -> anyhow::Result<()> {
        let Done {
            found,
            outcome,
            duration_ms,
            thumbs,
        } = done;
        self.video_ms += duration_ms;
        self.all.add(&outcome);
        self.per_root[found.root].add(&outcome);
        let mut moved_to = None;
        if let (Some(qdir), Some(Decision::Match)) = (&self.scan.quarantine, outcome.decision()) {
            let root = &self.scan.paths[found.root];
            match quarantine(&found.path, root, qdir, &quarantine_reason(&outcome)) {
                Ok(to) => {
                    self.quarantined += 1;
                    moved_to = Some(to);
                }
                Err(e) => {
                    let e = anyhow::Error::from(e);
                    self.bar
                        .suspend(|| eprintln!("staydown: quarantine failed: {e:#}"));
                    self.all.errors += 1;
                    self.per_root[found.root].errors += 1;
                }
            }
        }
        let text = if self.scan.json {
            report::json_line(&found.path, &outcome, false) + "\n"
        } else {
            let mut text = report::scan_lines(&found.path, &outcome);
            if self.scan.verbose && outcome.decision() == Some(Decision::Clean) {
                text = format!("{:<6} {}\n", "CLEAN", found.path.display());
            }
            if let Some(to) = &moved_to {
                text.push_str(&format!("       quarantined to {}\n", to.display()));
            }
            if self.scan.color {
                text = colour_verdicts(&text);
            }
            text
        };
        if !text.is_empty() {
            let out = &mut self.out;
            self.bar.suspend(|| -> std::io::Result<()> {
                out.write_all(text.as_bytes())?;
                out.flush()
            })?;
        }
        if let Some(h) = self.html.as_mut() {
            h.add(&found.path, &outcome, thumbs);
        }
        self.bar.inc(1);
        if self.all.matched + self.all.review > 0 {
            self.bar.set_message(format!(
                "{} flagged, {} review",
                self.all.matched, self.all.review
            ));
        }
        Ok(())
    }

    /// The closing summary (and the report written), printed to stdout, or to stderr with
    /// `--json`.
    fn finish(mut self, total: usize, elapsed: Duration, interrupted: bool) -> anyhow::Result<()> {
        self.bar.finish_and_clear();
        let all = self.all;
        let mut summary = String::new();
        if interrupted {
            summary.push_str("interrupted: partial results\n");
        }
        summary.push_str(&format!(
            "scanned {} of {} files ({} of video) in {:.1} s: {} flagged, {} review, {} clean, {} error{}; {:.1} s of video per second\n",
            all.scanned,
            total,
            report::clock(self.video_ms),
            elapsed.as_secs_f64(),
            all.matched,
            all.review,
            all.clean,
            all.errors,
            if all.errors == 1 { "" } else { "s" },
            self.video_ms as f64 / 1000.0 / elapsed.as_secs_f64().max(1e-9),
        ));
        if self.scan.paths.len() > 1 {
            for (p, t) in self.scan.paths.iter().zip(&self.per_root) {
                summary.push_str(&format!(
                    "  {}: {} of {} videos flagged ({} review, {} error{})\n",
                    p.display(),
                    t.matched,
                    t.scanned,
                    t.review,
                    t.errors,
                    if t.errors == 1 { "" } else { "s" }
                ));
            }
        }
        if let Some(q) = &self.scan.quarantine {
            summary.push_str(&format!(
                "quarantined {} file{} to {} (manifest: {})\n",
                self.quarantined,
                if self.quarantined == 1 { "" } else { "s" },
                q.display(),
                q.join(staydown::quarantine::MANIFEST_NAME).display()
            ));
        }
        // The summary is printed even when the report cannot be written after all.
        let report = match (&self.html, &self.scan.report) {
            (Some(h), Some(path)) => match h.write(path) {
                Ok(()) => {
                    summary.push_str(&format!("evidence report: {}\n", path.display()));
                    Ok(())
                }
                Err(e) => Err(anyhow::Error::from(e).context("writing the evidence report")),
            },
            _ => Ok(()),
        };
        if total == 0 && !interrupted {
            summary.push_str(&format!(
                "no video files found under {}: nothing was scanned (see --include, --exclude, --hidden)\n",
                join_paths(&self.scan.paths)
            ));
        }
        if self.scan.quiet {
            // Only the files' lines; a report that could not be written is still an error.
        } else if self.scan.json || total == 0 {
            eprint!("{summary}");
        } else {
            self.out.write_all(summary.as_bytes())?;
            self.out.flush()?;
        }
        report
    }
}

/// Why a matched file is quarantined: the works it matches.
fn quarantine_reason(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Verdict { verdict, .. } => verdict
            .matches
            .iter()
            .filter(|m| m.decision == Decision::Match)
            .map(|m| format!("matches work {} (notice {})", m.meta.id, m.meta.notice))
            .collect::<Vec<_>>()
            .join("; "),
        Outcome::Error(_) => String::new(),
    }
}

/// A progress bar on stderr, or a hidden one.
fn progress_bar(shown: bool, total: usize) -> indicatif::ProgressBar {
    if !shown {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(total as u64);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} files, {rate}, ETA {eta} {msg}",
        )
        .expect("valid template")
        .with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.1} files/s", state.per_sec());
            },
        ),
    );
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}

/// Checks one file: the outcome, the duration, and the report's thumbnails when asked.
fn check_one(checker: &Checker<Snapshot>, found: Found, with_report: bool, query_fps: f64) -> Done {
    let (outcome, duration_ms) = match checker.check_path(&found.path) {
        Ok(checked) => (checked.outcome(), checked.duration_ms()),
        Err(e) => {
            let e = anyhow::Error::from(e);
            (Outcome::Error(error_text(&found.path, &e)), 0)
        }
    };
    let thumbs =
        if with_report && matches!(outcome.decision(), Some(Decision::Match | Decision::Review)) {
            thumbnails(&found.path, &outcome, query_fps)
        } else {
            Thumbnails::default()
        };
    Done {
        found,
        outcome,
        duration_ms,
        thumbs,
    }
}

/// Checks, before anything is scanned, that the report can be written and the quarantine
/// directory used, so a long scan never ends on a destination that was wrong from the start.
/// The quarantine directory is created when missing.
fn check_destinations(scan: &Scan) -> anyhow::Result<()> {
    if let Some(report) = &scan.report {
        anyhow::ensure!(
            !report.is_dir(),
            "--report {}: is a directory; name a file, e.g. {}",
            report.display(),
            report.join("report.html").display()
        );
        let parent = match report.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        anyhow::ensure!(
            parent.is_dir(),
            "--report {}: directory {} does not exist; create it or choose another path",
            report.display(),
            parent.display()
        );
        // The report is written through this temporary name at the end: try it now.
        let probe = report.with_extension("html.tmp");
        std::fs::write(&probe, b"")
            .and_then(|()| std::fs::remove_file(&probe))
            .with_context(|| format!("--report {}: cannot write there", report.display()))?;
    }
    if let Some(q) = &scan.quarantine {
        anyhow::ensure!(
            !q.exists() || q.is_dir(),
            "--quarantine {}: is a file, not a directory",
            q.display()
        );
        std::fs::create_dir_all(q).with_context(|| {
            format!("--quarantine {}: cannot create the directory", q.display())
        })?;
        let probe = q.join(".staydown-probe");
        std::fs::write(&probe, b"")
            .and_then(|()| std::fs::remove_file(&probe))
            .with_context(|| format!("--quarantine {}: cannot write there", q.display()))?;
    }
    Ok(())
}

/// Runs a scan against an open snapshot.
pub fn run_scan(scan: &Scan, snapshot: Snapshot) -> anyhow::Result<ExitCode> {
    check_destinations(scan)?;
    let started = Instant::now();
    let query_fps = scan.check.decode.fps.unwrap_or(1.0);
    let checker = Checker::with_options(snapshot, scan.check.clone());
    let walked = walk(&scan.paths, &scan.walk)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(scan.jobs)
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
    let mut output = Output {
        scan,
        bar: progress_bar(scan.progress, total),
        out: std::io::stdout().lock(),
        per_root: vec![Tally::default(); scan.paths.len()],
        all: Tally::default(),
        video_ms: 0,
        quarantined: 0,
        html: scan.report.as_ref().map(|_| {
            let mut h = HtmlReport::new(format!("staydown scan of {}", join_paths(&scan.paths)));
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            h.fact(
                "scanned",
                report::utc(now).replace('T', " ").replace('Z', " UTC"),
            )
            .fact("index", scan.index.display().to_string());
            h
        }),
    };
    for (found, err) in walked.errors {
        let err = anyhow::Error::from(err);
        let outcome = Outcome::Error(error_text(&found.path, &err));
        output.handle(Done {
            found,
            outcome,
            duration_ms: 0,
            thumbs: Thumbnails::default(),
        })?;
    }

    let (tx, rx) = mpsc::sync_channel::<Done>(scan.jobs * 2);
    let files = walked.files;
    let with_report = scan.report.is_some();
    std::thread::scope(|s| -> anyhow::Result<()> {
        let checker = &checker;
        let stop = &stop;
        s.spawn(move || {
            pool.install(|| {
                files.into_par_iter().for_each_with(tx, |tx, found| {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let done = check_one(checker, found, with_report, query_fps);
                    // A decode cut short by Ctrl-C is not a verdict on the file.
                    if stop.load(Ordering::SeqCst) && matches!(done.outcome, Outcome::Error(_)) {
                        return;
                    }
                    let _ = tx.send(done);
                });
            });
        });
        for done in rx {
            output.handle(done)?;
        }
        Ok(())
    })?;
    let interrupted = stop.load(Ordering::SeqCst);
    let all = output.all;
    output.finish(total, started.elapsed(), interrupted)?;
    Ok(if interrupted {
        ExitCode::from(130)
    } else if total == 0 {
        // Nothing was checked: not a clean verdict.
        ExitCode::from(2)
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
