//! The command-line interface: argument parsing and output only; every decision is the library's.
//!
//! Each subcommand lives in its own file (`cli/<name>.rs`) with an `Args` struct and
//! `run(args) -> anyhow::Result<ExitCode>`. Flags used by several subcommands are in
//! `args.rs`, which turns them into the library's typed options; subcommands do not use each
//! other's code (the demo runs a scan through `scan::run_scan` with typed options).

mod args;
mod ban;
mod check;
mod demo;
mod eval;
mod hash;
mod index;
mod scan;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use staydown::index::Index;

/// staydown: find re-uploads of taken-down video works, with evidence.
#[derive(Parser, Debug)]
#[command(name = "staydown", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the PDQ hash of an image, or the vPDQ hash list of a video.
    Hash(hash::Args),
    /// Ban works: fingerprint videos and add them to the index with their takedown metadata.
    Ban(ban::Args),
    /// Inspect and maintain the index: stats, list, log, verify, compact, recover, remove, import, export.
    Index(index::Args),
    /// Scan files and directories of uploads: a verdict with evidence for each video.
    Scan(scan::Args),
    /// Run the main job on generated videos (no ffmpeg, no files needed): ban, scan, report.
    Demo(demo::Args),
    /// Check one upload against the index, with the full evidence.
    Check(check::Args),
    /// Run the accuracy benchmark: ban references, check transformed copies, print the table.
    Eval(eval::Args),
}

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Hash(args) => hash::run(args),
        Command::Ban(args) => ban::run(args),
        Command::Index(args) => index::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Check(args) => check::run(args),
        Command::Eval(args) => eval::run(args),
    }
}

/// Opens the index in `dir` for reading, naming it in the error. A directory that does not
/// exist, or holds no index at all, is said to be so (not reported as a corrupt index).
fn open_index(dir: &Path) -> anyhow::Result<Index> {
    let create = format!(
        "ban a work into it to create one (staydown ban VIDEO --index {})",
        dir.display()
    );
    anyhow::ensure!(
        dir.exists(),
        "no index at {}: the directory does not exist; check --index, or {create}",
        dir.display()
    );
    anyhow::ensure!(
        !dir.is_dir() || dir.join("MANIFEST").exists() || !is_empty_dir(dir),
        "no index at {}: the directory is empty; check --index, or {create}",
        dir.display()
    );
    Index::open(dir).with_context(|| format!("opening index {}", dir.display()))
}

fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none())
}

/// Says, for the just-banked work `id`, which live works hold the same content (two notices for
/// one film): uploads match each of them in full.
fn print_duplicates(
    snap: &staydown::index::Snapshot,
    id: &str,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let Some(w) = snap.find(id) else {
        return Ok(());
    };
    for other in snap.duplicates_of(w) {
        let m = &snap.works()[other as usize];
        writeln!(
            out,
            "note: {id} duplicates banked work {} ({:?}, notice {:?}): the same indexed frames; uploads match both",
            m.id, m.title, m.notice
        )?;
    }
    Ok(())
}
