//! `staydown index`: inspect and maintain an index of removed works.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use staydown::bank::{self, BankOptions};
use staydown::index::{AuditAction, Index};
use staydown::{Fingerprint, FrameHash, WorkMeta};

use staydown::report::utc;

use super::open_index;

/// Arguments of `staydown index`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(ClapArgs, Debug)]
struct IndexDir {
    /// The index directory.
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
}

#[derive(Subcommand, Debug)]
enum Action {
    /// Counts: works, hashes, segments, bytes per hash and per second of banked video.
    Stats(IndexDir),
    /// One line per live work: id, title, rights holder, notice, stored hashes, ban time.
    List(IndexDir),
    /// The audit log: every ban, removal and compaction, with time and reason.
    Log(IndexDir),
    /// Checks every byte of every file (checksums and table invariants).
    Verify(IndexDir),
    /// Merges segments and purges the hashes of removed works.
    Compact(IndexDir),
    /// Rebuilds a lost or damaged MANIFEST from the segments that verify (works live per the
    /// audit log); sets damaged files aside, deletes nothing. Exits 1 when something could
    /// not be kept.
    Recover(IndexDir),
    /// Removes a work: it stops matching at once; the reason goes to the audit log.
    Remove {
        /// Id of the work.
        id: String,
        /// Why (counter-notice upheld, mistaken ban, ...).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        dir: IndexDir,
    },
    /// Bans a work from a shared vPDQ hash list (no video needed).
    Import(ImportArgs),
    /// Writes a work's indexed hashes: as vPDQ text (the default: the whole-frame hashes, one
    /// line per frame, numbered at the work's frame rate), or every stored row with its region
    /// (`--format staydown`, JSON lines). Collapsed runs appear as their first frame; frames
    /// below the quality threshold were never indexed and are absent.
    Export {
        /// Id of the work.
        id: String,
        /// The format written.
        #[arg(long, value_enum, default_value = "vpdq")]
        format: ExportFormat,
        /// Same as `--format vpdq`.
        #[arg(long, conflicts_with = "format")]
        vpdq: bool,
        /// The work's frame rate, for frame numbers in vPDQ, when the index does not know it
        /// (works banked by staydown before index format 4).
        #[arg(long, value_name = "RATE")]
        fps: Option<f64>,
        /// Write here instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        dir: IndexDir,
    },
}

/// What `index export` writes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ExportFormat {
    /// vPDQ text: `frameNumber,quality,hash,seconds`, the work's whole frames only.
    Vpdq,
    /// JSON lines, one per stored row: region, time, span, quality, hash.
    Staydown,
}

/// `index import`: a work banked from a shared vPDQ hash list.
#[derive(ClapArgs, Debug)]
struct ImportArgs {
    /// The vPDQ file (`frameNumber,quality,hash,seconds` lines).
    #[arg(long, value_name = "FILE")]
    vpdq: PathBuf,
    /// Id of the work.
    #[arg(long, value_name = "ID")]
    work: String,
    /// Title (default: the id).
    #[arg(long, value_name = "T")]
    title: Option<String>,
    /// Rights holder who sent the notice.
    #[arg(long, value_name = "R", default_value = "")]
    rightsholder: String,
    /// Reference of the takedown notice.
    #[arg(long, value_name = "REF", default_value = "")]
    notice: String,
    /// Free-text note kept with the work.
    #[arg(long, value_name = "N")]
    note: Option<String>,
    /// Replace a work already banned under the same id.
    #[arg(long)]
    replace: bool,
    #[command(flatten)]
    dir: IndexDir,
}

/// Runs `staydown index …`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.action {
        Action::Stats(d) => stats(&d.index, &mut out)?,
        Action::List(d) => list(&d.index, &mut out)?,
        Action::Log(d) => log(&d.index, &mut out)?,
        Action::Verify(d) => verify(&d.index, &mut out)?,
        Action::Compact(d) => compact(&d.index, &mut out)?,
        Action::Recover(d) => return recover(&d.index, &mut out),
        Action::Remove { id, reason, dir } => {
            let mut index = open_index(&dir.index)?;
            let mut w = index.writer()?;
            w.remove_work(&id, &reason)?;
            w.commit()?;
            writeln!(out, "removed {id}: {reason}")?;
        }
        Action::Import(import) => import_vpdq(import, &mut out)?,
        Action::Export {
            id,
            format,
            vpdq: _,
            fps,
            output,
            dir,
        } => export(&dir.index, &id, format, fps, output.as_deref(), &mut out)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn recover(dir: &Path, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let rec = staydown::index::recover(dir)
        .with_context(|| format!("recovering index {}", dir.display()))?;
    for f in &rec.kept {
        writeln!(out, "kept     {f}")?;
    }
    for (f, why) in &rec.dropped {
        writeln!(out, "dropped  {f} (set aside as {f}.damaged): {why}")?;
    }
    for id in &rec.lost {
        writeln!(
            out,
            "lost     {id} (banked per the audit log, in no segment that verifies)"
        )?;
    }
    for (id, why) in &rec.not_live {
        writeln!(out, "not live {id} ({why})")?;
    }
    if let Some(p) = &rec.audit_set_aside {
        writeln!(
            out,
            "audit.log was damaged: set aside as {}, its first {} lines kept",
            p.display(),
            rec.audit_lines - 1
        )?;
    }
    if let Some(p) = &rec.old_manifest {
        writeln!(out, "previous MANIFEST kept as {}", p.display())?;
    }
    writeln!(
        out,
        "recovered {}: generation {}, {} segments, {} works live",
        dir.display(),
        rec.generation,
        rec.kept.len(),
        rec.live_works
    )?;
    if !rec.dropped.is_empty() || !rec.lost.is_empty() || rec.audit_set_aside.is_some() {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn stats(dir: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    let index = open_index(dir)?;
    let snap = index.snapshot();
    let st = snap.stats();
    writeln!(out, "generation        {}", st.generation)?;
    writeln!(out, "segments          {}", st.segments)?;
    for t in index.merge_policy().tiers(&snap) {
        writeln!(
            out,
            "  tier {:<2}         {} segments, {} live hashes (tier from {} hashes)",
            t.tier, t.segments, t.live_rows, t.min_rows
        )?;
    }
    writeln!(out, "works             {}", st.live_works)?;
    writeln!(
        out,
        "removed works     {} (purged by compact)",
        st.removed_works
    )?;
    writeln!(out, "live hashes       {}", st.live_hashes)?;
    writeln!(out, "stored hashes     {}", st.stored_hashes)?;
    writeln!(
        out,
        "stored video      {:.1} s",
        st.stored_ms as f64 / 1000.0
    )?;
    writeln!(out, "segment bytes     {}", st.segment_bytes)?;
    if let Some(b) = st.bytes_per_hash() {
        writeln!(out, "bytes per hash    {b:.1}")?;
    }
    if let Some(b) = st.bytes_per_second() {
        writeln!(out, "bytes per second  {b:.1} (of banked video)")?;
    }
    Ok(())
}

fn list(dir: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    let snap = open_index(dir)?.snapshot();
    writeln!(out, "id\ttitle\trightsholder\tnotice\thashes\tadded")?;
    for w in snap.live_works() {
        let m = &snap.works()[w as usize];
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}",
            m.id,
            m.title,
            m.rightsholder,
            m.notice,
            snap.work_frames(w).len(),
            utc(m.added_unix_s)
        )?;
    }
    Ok(())
}

fn log(dir: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    let snap = open_index(dir)?.snapshot();
    let log = snap
        .audit_log()
        .with_context(|| format!("reading the audit log of {}", dir.display()))?;
    for e in log {
        let action = match e.action {
            AuditAction::Ban => "ban",
            AuditAction::Remove => "remove",
            AuditAction::Compact => "compact",
        };
        writeln!(
            out,
            "{}\tgen {}\t{action}\t{}\t{} hashes\t{}",
            utc(e.time_unix_s),
            e.generation,
            e.work,
            e.frames,
            e.reason
        )?;
    }
    Ok(())
}

fn verify(dir: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    let snap = open_index(dir)?.snapshot();
    snap.verify()
        .with_context(|| format!("verifying index {}", dir.display()))?;
    let st = snap.stats();
    writeln!(
        out,
        "ok: generation {}, {} segments, {} works, {} hashes, every checksum matches",
        st.generation, st.segments, st.live_works, st.stored_hashes
    )?;
    Ok(())
}

fn compact(dir: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    let mut index = open_index(dir)?;
    let before = index.snapshot().stats();
    let mut w = index.writer()?;
    w.compact();
    let after = w.commit()?.stats();
    writeln!(
        out,
        "compacted: {} segments -> {}, purged {} hashes of {} removed works",
        before.segments,
        after.segments,
        before.stored_hashes - after.stored_hashes,
        before.removed_works
    )?;
    Ok(())
}

fn import_vpdq(args: ImportArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let fp = Fingerprint::read_vpdq_file(&args.vpdq)
        .with_context(|| format!("reading {}", args.vpdq.display()))?;
    let mut index = Index::open_or_create(&args.dir.index)
        .with_context(|| format!("opening index {}", args.dir.index.display()))?;
    let mut w = index.writer()?;
    let meta = WorkMeta {
        title: args.title.unwrap_or_else(|| args.work.clone()),
        id: args.work.clone(),
        rightsholder: args.rightsholder,
        notice: args.notice,
        note: args.note,
        source: Some(format!("vpdq:{}", args.vpdq.display())),
        ..WorkMeta::default()
    };
    // A shared list holds whole frames as sampled by whoever made it.
    let options = BankOptions::whole_frames();
    let fps = std::slice::from_ref(&fp);
    let st = if args.replace {
        bank::replace(&mut w, meta, fps, &options)?
    } else {
        bank::add(&mut w, meta, fps, &options)?
    };
    let snap = w.commit()?;
    writeln!(
        out,
        "imported {}: {} hashes, {} stored ({} below quality) from {}",
        args.work,
        st.hashes,
        st.stored,
        st.low_quality,
        args.vpdq.display()
    )?;
    super::print_duplicates(&snap, &args.work, out)?;
    Ok(())
}

fn export(
    dir: &Path,
    id: &str,
    format: ExportFormat,
    fps: Option<f64>,
    output: Option<&Path>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if let Some(f) = fps
        && !(f.is_finite() && f > 0.0)
    {
        anyhow::bail!("--fps {f}: a frame rate must be a positive number");
    }
    let snap = open_index(dir)?.snapshot();
    let w = snap
        .find(id)
        .ok_or_else(|| staydown::Error::NoSuchWork { id: id.to_string() })?;
    let recipe = snap.recipe(w).cloned().unwrap_or_else(BankOptions::legacy);
    let rows = snap.work_frames(w);
    let mut text = Vec::new();
    match format {
        ExportFormat::Vpdq => {
            let Some(whole) = recipe.whole_frame_tag() else {
                anyhow::bail!(
                    "work {id:?} was banked without whole frames, which is all vPDQ holds: \
                     export its hashes with `--format staydown`"
                );
            };
            if rows
                .iter()
                .any(|r| r.region == staydown::index::REGION_UNKNOWN)
            {
                anyhow::bail!(
                    "work {id:?} was banked with {} regions into an index format that did not \
                     record which region each hash is of, so its whole-frame hashes cannot be \
                     told apart for vPDQ: export every hash with `--format staydown`, or ban \
                     the work again",
                    recipe.regions.len()
                );
            }
            let Some(rate) = snap.frame_rate(w).or(fps) else {
                anyhow::bail!(
                    "the frame rate of work {id:?} is unknown (banked before index format 4): \
                     give it with --fps RATE to number the frames"
                );
            };
            let rate = fps.unwrap_or(rate);
            let mut frames: Vec<FrameHash> = Vec::new();
            let mut last_number = None;
            for r in rows.iter().filter(|r| r.region == whole) {
                // One line per frame: rows that round to one frame number keep the first.
                let number = frame_number(r.pts_ms, rate);
                if last_number == Some(number) {
                    continue;
                }
                last_number = Some(number);
                frames.push(FrameHash {
                    pts_ms: u64::from(r.pts_ms),
                    hash: r.hash,
                    quality: r.quality,
                    mirror: None,
                });
            }
            let fp = Fingerprint {
                frames,
                fps: rate,
                duration_ms: snap.works()[w as usize].duration_ms,
                ..Fingerprint::default()
            };
            fp.write_vpdq(&mut text)?;
        }
        ExportFormat::Staydown => {
            for r in &rows {
                let region = match recipe.region_of_tag(r.region) {
                    Some(region) => format!("{region:?}"),
                    None => "unknown".to_string(),
                };
                let line = serde_json::json!({
                    "region": region,
                    "tag": r.region,
                    "pts_ms": r.pts_ms,
                    "span_ms": r.span_ms,
                    "quality": r.quality,
                    "hash": r.hash.to_string(),
                });
                writeln!(text, "{line}")?;
            }
        }
    }
    match output {
        Some(p) => {
            let mut f =
                std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?;
            f.write_all(&text)
                .and_then(|()| f.sync_all())
                .with_context(|| format!("writing {}", p.display()))?;
        }
        None => out.write_all(&text)?,
    }
    Ok(())
}

/// The number of the frame shown at `pts_ms` in a video of `fps` frames a second (vPDQ's
/// `frameNumber`), as [`Fingerprint::write_vpdq`] numbers it.
fn frame_number(pts_ms: u32, fps: f64) -> u64 {
    (f64::from(pts_ms) * fps / 1000.0).round() as u64
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
    }
}
