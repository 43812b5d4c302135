//! The command-line interface: argument parsing and output only; every decision is the library's.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod ban;
mod index;

/// staydown: find re-uploads of taken-down video works, with evidence.
#[derive(Parser, Debug)]
#[command(name = "staydown", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    // Each subcommand lives in its own file (cli/<name>.rs) with an `Args` struct and
    // `run(args) -> anyhow::Result<ExitCode>`.
    /// Fingerprint videos and add them to the index of removed works.
    Ban(ban::Args),
    /// Inspect and maintain the index of removed works (stats, list, log, verify, compact, remove).
    Index(index::Args),
}

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Ban(args) => ban::run(args),
        Command::Index(args) => index::run(args),
    }
}
