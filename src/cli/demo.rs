//! `staydown demo`: the main job on an embedded default, with no ffmpeg and no files from
//! the user. It generates synthetic works, bans them, makes re-uploads and unrelated
//! uploads, and scans them exactly as `staydown scan` would.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use rayon::prelude::*;
use staydown::bank::{self, BankOptions};
use staydown::check::CheckOptions;
use staydown::index::{Index, Snapshot, WorkMeta};
use staydown::synth::{SynthVideo, Video};
use staydown::walk::WalkOptions;

use super::scan::{Scan, run_scan};

/// Runs the whole job on generated videos: ban works, scan uploads, write the report.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to write the videos, the index and the report [default: a new temporary directory,
    /// kept so you can look at it].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// A work of the demo: id, title, rights holder, notice, generator seed.
const WORKS: &[(&str, &str, &str, &str, u64)] = &[
    (
        "w-001",
        "The Long Harbour",
        "Northlight Pictures",
        "TD-2026-0113",
        11,
    ),
    (
        "w-002",
        "Glass Orchard",
        "Northlight Pictures",
        "TD-2026-0117",
        12,
    ),
    (
        "w-003",
        "Night Market (ep. 4)",
        "Riverside Media",
        "TD-2026-0342",
        13,
    ),
];

fn synth(seed: u64, seconds: u64) -> Video {
    SynthVideo::new(seed)
        .size(320, 240)
        .fps(10)
        .duration_ms(seconds * 1000)
        .video()
}

/// The uploads: (relative path, video, what it is, expected verdict).
fn uploads(works: &[Video]) -> Vec<(&'static str, Video, &'static str, &'static str)> {
    let other = |seed| synth(seed, 40);
    vec![
        (
            "community-a/reupload-cropped.y4m",
            works[0].crop(0.08),
            "w-001 with 8% cropped off each edge",
            "match",
        ),
        (
            "community-a/mirrored-brighter.y4m",
            works[1].mirror().brightness_contrast(18.0, 1.0),
            "w-002 mirrored and brighter",
            "match",
        ),
        (
            "community-a/cat-video.y4m",
            other(101),
            "unrelated footage",
            "clean",
        ),
        (
            "community-b/clip.y4m",
            works[2].trim(6_000, 22_000),
            "a 16 s clip of w-003",
            "match",
        ),
        (
            "community-b/compilation.y4m",
            works[0].trim(2_000, 17_000).embed_in(&other(102), 15_000),
            "15 s of w-001 inside 40 s of other footage",
            "match",
        ),
        (
            "community-b/short-quote.y4m",
            works[1].trim(10_000, 13_000).embed_in(&other(103), 20_000),
            "a 3 s quote of w-002 inside other footage",
            "review or clean",
        ),
        (
            "community-b/holiday.y4m",
            other(104),
            "unrelated footage",
            "clean",
        ),
    ]
}

/// The demo's directory: `dir`, or a new temporary directory that is kept.
fn demo_dir(dir: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match dir {
        Some(d) => {
            std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
            Ok(d)
        }
        None => Ok(tempfile::Builder::new()
            .prefix("staydown-demo-")
            .tempdir()
            .context("creating a temporary directory")?
            .keep()),
    }
}

/// Writes the works and the uploads as Y4M (and a damaged upload).
fn write_videos(
    works: &[Video],
    works_dir: &Path,
    uploads: &[(&str, Video, &str, &str)],
    uploads_dir: &Path,
) -> anyhow::Result<()> {
    let mut to_write: Vec<(PathBuf, &Video)> = WORKS
        .iter()
        .zip(works)
        .map(|(w, v)| (works_dir.join(format!("{}.y4m", w.0)), v))
        .collect();
    to_write.extend(
        uploads
            .iter()
            .map(|(rel, v, _, _)| (uploads_dir.join(rel), v)),
    );
    to_write.par_iter().try_for_each(|(path, video)| {
        std::fs::create_dir_all(path.parent().expect("has a parent"))?;
        video.save_y4m(path)?;
        anyhow::Ok(())
    })?;
    // A damaged upload: the scan reports it and goes on.
    let broken = uploads_dir.join("community-b/broken-upload.y4m");
    let whole = std::fs::read(&to_write[to_write.len() - 1].0)?;
    std::fs::write(&broken, &whole[..whole.len() / 3 + 17])?;
    Ok(())
}

/// Bans the demo's works into a new index at `index_dir` with the default recipe, as
/// `staydown ban` does (hashing the works in parallel).
fn ban_works(works_dir: &Path, index_dir: &Path) -> anyhow::Result<Snapshot> {
    if index_dir.exists() {
        std::fs::remove_dir_all(index_dir)
            .with_context(|| format!("clearing the old demo index {}", index_dir.display()))?;
    }
    let mut index = Index::create(index_dir)?;
    let options = BankOptions::default();
    let fingerprints = WORKS
        .par_iter()
        .map(|w| {
            let path = works_dir.join(format!("{}.y4m", w.0));
            bank::fingerprints(&path, &options).map(|fps| (path, fps))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut writer = index.writer()?;
    for (w, (path, fps)) in WORKS.iter().zip(&fingerprints) {
        let meta = WorkMeta {
            id: w.0.into(),
            title: w.1.into(),
            rightsholder: w.2.into(),
            notice: w.3.into(),
            source: Some(path.display().to_string()),
            ..WorkMeta::default()
        };
        let st = bank::add(&mut writer, meta, fps, &options)?;
        println!(
            "   banned {} \"{}\" ({}, notice {}): {} frames × {} regions, {} hashes stored",
            w.0, w.1, w.2, w.3, st.frames, st.regions, st.stored
        );
    }
    Ok(writer.commit()?)
}

/// Runs `demo`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let dir = demo_dir(args.dir)?;
    let works: Vec<Video> = WORKS.iter().map(|w| synth(w.4, 30)).collect();

    println!("staydown demo in {}", dir.display());
    println!(
        "1. generating {} works and their re-uploads (synthetic Y4M)",
        works.len()
    );
    let works_dir = dir.join("works");
    let uploads_dir = dir.join("uploads");
    let uploads = uploads(&works);
    write_videos(&works, &works_dir, &uploads, &uploads_dir)?;

    let index_dir = dir.join("index");
    println!("2. banning the works into {}", index_dir.display());
    let snapshot = ban_works(&works_dir, &index_dir)?;

    println!("3. the uploads:");
    for (rel, _, what, expect) in &uploads {
        println!("   {rel:<36} {what} (expected: {expect})");
    }
    println!(
        "   {:<36} the first third of a file (expected: error)",
        "community-b/broken-upload.y4m"
    );

    let report = dir.join("report.html");
    println!(
        "4. staydown scan {}/community-a {}/community-b --index {} --report {}\n",
        uploads_dir.display(),
        uploads_dir.display(),
        index_dir.display(),
        report.display()
    );
    let scan = Scan {
        paths: vec![
            uploads_dir.join("community-a"),
            uploads_dir.join("community-b"),
        ],
        index: index_dir.clone(),
        walk: WalkOptions::default(),
        check: CheckOptions::default(),
        json: false,
        report: Some(report.clone()),
        quarantine: None,
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
        progress: false,
        quiet: false,
        verbose: false,
        color: false,
    };
    // The damaged upload makes the scan's own status 2; the demo itself succeeded.
    let _ = run_scan(&scan, snapshot)?;
    println!(
        "\ndemo finished in {:.1} s. The scan exits with status 2 because one upload is damaged.",
        started.elapsed().as_secs_f64()
    );
    println!("  index:   {}", index_dir.display());
    println!("  report:  {}", report.display());
    println!("  uploads: {}", uploads_dir.display());
    println!(
        "Try: {} check {} --index {}",
        how_invoked(),
        uploads_dir.join("community-b/compilation.y4m").display(),
        index_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// How the user can run staydown again, as they ran it: `cargo run --release --` under cargo
/// (which sets `CARGO` for the program it runs), `staydown` when this binary is the one on
/// `PATH`, else its full path.
fn how_invoked() -> String {
    if std::env::var_os("CARGO").is_some() {
        return "cargo run --release --".into();
    }
    let Ok(exe) = std::env::current_exe() else {
        return "staydown".into();
    };
    let on_path = std::env::var_os("PATH").is_some_and(|p| {
        std::env::split_paths(&p).any(|d| {
            d.join("staydown")
                .canonicalize()
                .is_ok_and(|c| exe.canonicalize().is_ok_and(|e| e == c))
        })
    });
    if on_path {
        "staydown".into()
    } else {
        exe.display().to_string()
    }
}
