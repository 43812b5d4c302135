//! `staydown eval --refs DIR [--distractors DIR] [--json out.json]`: the accuracy benchmark.
//!
//! Bans every video of `--refs` into a temporary on-disk index, makes the transformed copies
//! (`staydown::eval::transforms`) of every reference and distractor with ffmpeg, checks each,
//! and prints one row per transformation for staydown and, beside it, for a vPDQ-style
//! bag-of-frames baseline computed from the same hashes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use staydown::bank::BankOptions;
use staydown::check::Checker;
use staydown::eval::{self, EvalConfig, EvalReport};
use staydown::index::Stats;
use staydown::synth::SynthVideo;

use super::args::{PolicyArgs, bank_options};

/// Runs the accuracy benchmark.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory of reference videos to ban (work id = file name without extension).
    #[arg(long, value_name = "DIR", required_unless_present = "synthetic")]
    pub refs: Option<PathBuf>,
    /// Also ban this many generated synthetic videos (`staydown::synth`, seeds 1..=N).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub synthetic: u32,
    /// Also use this many generated synthetic videos as distractors (seeds 1001..).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub synthetic_distractors: u32,
    /// Length of each generated video, seconds.
    #[arg(long, value_name = "S", default_value_t = 40)]
    pub synthetic_seconds: u64,
    /// Directory of distractor videos, never banned: any flag on their copies is false.
    #[arg(long, value_name = "DIR")]
    pub distractors: Option<PathBuf>,
    /// Also write the table as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Frames decoded per second of each reference, as `staydown ban --fps` [default:
    /// every frame].
    #[arg(long, value_name = "FPS")]
    pub ref_fps: Option<f64>,
    /// Banking recipe of the references, as `staydown ban --recipe` (default, dense, whole,
    /// legacy).
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub recipe: String,
    /// Only run these transformations (comma-separated names).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Print one line per copy: verdict, strongest segment, baseline.
    #[arg(long, short)]
    pub verbose: bool,
    /// Keep the transformed copies in this directory instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

fn videos_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let p = entry?.path();
        let is_video = p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            staydown::walk::VIDEO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str())
        });
        if p.is_file() && is_video {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Writes synthetic video `seed` (320×240, 25 fps) as H.264 at `dir/synth-<seed>.mp4`.
fn synthetic(ffmpeg: &Path, dir: &Path, seed: u64, seconds: u64) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let out = dir.join(format!("synth-{seed}.mp4"));
    let video = SynthVideo::new(seed)
        .size(320, 240)
        .fps(25)
        .duration_ms(seconds * 1000)
        .video();
    staydown::eval::encode_synthetic(ffmpeg, &video, &out)?;
    Ok(out)
}

/// The references and distractors: the directories' videos, then the synthetic ones.
fn inputs(
    args: &Args,
    ffmpeg: &Path,
    synth_dir: &Path,
) -> anyhow::Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let mut refs = match &args.refs {
        Some(d) => videos_in(d)?,
        None => Vec::new(),
    };
    let mut distractors = match &args.distractors {
        Some(d) => videos_in(d)?,
        None => Vec::new(),
    };
    for seed in 1..=u64::from(args.synthetic) {
        refs.push(synthetic(ffmpeg, synth_dir, seed, args.synthetic_seconds)?);
    }
    for seed in 1001..=1000 + u64::from(args.synthetic_distractors) {
        distractors.push(synthetic(ffmpeg, synth_dir, seed, args.synthetic_seconds)?);
    }
    anyhow::ensure!(!refs.is_empty(), "no reference videos");
    Ok((refs, distractors))
}

/// The banking recipe of `--recipe` and `--ref-fps`.
fn recipe(args: &Args) -> anyhow::Result<BankOptions> {
    bank_options(&args.recipe, args.ref_fps)
}

/// Prints the table (and with `--verbose` one line per copy) and the notes.
fn print_report(args: &Args, report: &EvalReport, banked: &Stats) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let seconds = banked.stored_ms as f64 / 1000.0;
    writeln!(
        out,
        "{} references ({} hashes banked from {:.1} s of video, {:.2} per second, recipe {}), \
         {} distractors; staydown | vPDQ-style baseline ({}% of frames within 31 bits)",
        report.references,
        report.banked_hashes,
        seconds,
        report.banked_hashes as f64 / seconds.max(1e-9),
        args.recipe,
        report.distractors,
        report.baseline_percent
    )?;
    out.write_all(report.to_table().as_bytes())?;
    if args.verbose {
        for c in &report.copies {
            let best = c.best.as_ref().map_or_else(
                || "no segment".to_string(),
                |(w, n, wf, secs, d, sc)| {
                    format!("{w}: {n} frames ({wf:.1} weighted) over {secs:.1} s, {d:.1} bits, score {sc:.2}")
                },
            );
            writeln!(
                out,
                "{:<14} {:<40} {:<6} of {:>3} good: {best}; baseline {:?}",
                c.transform,
                Path::new(&c.input)
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                c.verdict,
                c.good_frames,
                c.baseline
            )?;
        }
    }
    for n in &report.notes {
        writeln!(out, "note: {n}")?;
    }
    Ok(())
}

/// Runs `eval`: exit 0 when every row meets its target with no false flag, else 1.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let tmp = tempfile::tempdir().context("creating a temporary directory")?;
    let ffmpeg = EvalConfig::new(tmp.path()).ffmpeg;
    let (refs, distractors) = inputs(&args, &ffmpeg, &tmp.path().join("synthetic"))?;
    let options = recipe(&args)?;
    let (snapshot, references, banked) =
        eval::bank_index(&refs, &tmp.path().join("index"), &options)?;
    anyhow::ensure!(
        references.len() == refs.len(),
        "two references share a file name; work ids must be unique"
    );
    let banked_stats = snapshot.stats();
    let checker = Checker::with_options(snapshot, args.policy.check_options()?);

    let work_dir = args
        .keep
        .clone()
        .unwrap_or_else(|| tmp.path().join("copies"));
    let mut cfg = EvalConfig::new(work_dir);
    if !args.only.is_empty() {
        cfg.transforms
            .retain(|t| args.only.iter().any(|o| o == t.name));
        anyhow::ensure!(!cfg.transforms.is_empty(), "--only names no transformation");
    }
    let report = eval::run(&checker, &references, &distractors, banked, &cfg)?;
    print_report(&args, &report, &banked_stats)?;
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report)? + "\n";
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if report.failures().is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
