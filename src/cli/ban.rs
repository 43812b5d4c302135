//! `staydown ban`: fingerprint videos and add them to the index of removed works.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use staydown::bank::{self, AddStats, BankOptions};
use staydown::hash::Kernel;
use staydown::index::{Index, IndexWriter, WorkMeta};
use staydown::walk::{WalkOptions, walk};

use super::args::bank_options;

/// Arguments of `staydown ban`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Videos to ban, or directories: every video in a directory is banned, with its file
    /// stem as id (or its row of `--manifest`).
    #[arg(value_name = "VIDEO|DIR", required_unless_present = "manifest")]
    paths: Vec<PathBuf>,
    /// The index directory (created on first use).
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
    /// Id of the work (one video only; default: the file stem).
    #[arg(long, value_name = "ID")]
    work: Option<String>,
    /// Title (default: the file stem; with --replace, the replaced work's).
    #[arg(long, value_name = "T")]
    title: Option<String>,
    /// Rights holder who sent the notice.
    #[arg(long, value_name = "R")]
    rightsholder: Option<String>,
    /// Reference of the takedown notice.
    #[arg(long, value_name = "REF")]
    notice: Option<String>,
    /// Free-text note kept with the work.
    #[arg(long, value_name = "N")]
    note: Option<String>,
    /// CSV with columns id,path,title,rightsholder,notice (a header line first); paths are
    /// relative to the CSV's directory. Without VIDEO arguments, every row is banned.
    #[arg(long, value_name = "works.csv")]
    manifest: Option<PathBuf>,
    /// Replace a work already banned under the same id (else that is an error); title,
    /// rights holder, notice and note not given are kept from the replaced work.
    #[arg(long)]
    replace: bool,
    /// Frames per second to decode [default: every frame; the recipe's keyframe rules
    /// choose which are stored].
    #[arg(long, value_name = "F")]
    fps: Option<f64>,
    /// Banking recipe: default (whole frame, central 70%, top and bottom bands, keyframes at
    /// most 6 a second in all), dense (the same regions, every frame within 16 bits), whole (the
    /// whole frame only: no zoomed, cropped, captioned copies), legacy (the recipe of
    /// indexes before keyframes, ~15× larger).
    #[arg(long, value_name = "NAME", default_value = "default")]
    recipe: String,
}

/// One row of the works CSV.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Row {
    id: String,
    path: PathBuf,
    title: String,
    rightsholder: String,
    notice: String,
}

/// Splits one CSV line (RFC 4180 quoting: `"a, b"`, `""` for a quote).
fn csv_fields(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (false, '"') if at_start => {
                quoted = true;
                at_start = false;
            }
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            (true, '"') => quoted = false,
            (false, ',') => {
                fields.push(std::mem::take(&mut cur));
                at_start = true;
            }
            (_, c) => {
                cur.push(c);
                at_start = false;
            }
        }
    }
    if quoted {
        return None;
    }
    fields.push(cur);
    Some(fields)
}

fn read_manifest(path: &Path) -> anyhow::Result<Vec<Row>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading works manifest {}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines
        .next()
        .with_context(|| format!("{}: empty works manifest", path.display()))?;
    let names = csv_fields(header.trim_end_matches('\r')).unwrap_or_default();
    let col = |name: &str| {
        names
            .iter()
            .position(|n| n.trim().eq_ignore_ascii_case(name))
    };
    let (Some(ci), Some(cp)) = (col("id"), col("path")) else {
        bail!(
            "{}: the header must name columns id and path (and title, rightsholder, notice)",
            path.display()
        );
    };
    let (ct, cr, cn) = (col("title"), col("rightsholder"), col("notice"));
    let mut rows = Vec::new();
    for (i, line) in lines {
        let f = csv_fields(line.trim_end_matches('\r'))
            .with_context(|| format!("{}:{}: unbalanced quotes", path.display(), i + 1))?;
        let get = |c: Option<usize>| c.and_then(|c| f.get(c)).map(|s| s.trim().to_string());
        let id = get(Some(ci)).unwrap_or_default();
        let p = get(Some(cp)).unwrap_or_default();
        if id.is_empty() || p.is_empty() {
            bail!("{}:{}: a row needs an id and a path", path.display(), i + 1);
        }
        rows.push(Row {
            id,
            path: base.join(p),
            title: get(ct).unwrap_or_default(),
            rightsholder: get(cr).unwrap_or_default(),
            notice: get(cn).unwrap_or_default(),
        });
    }
    Ok(rows)
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

/// The videos to ban, from the paths given (walked as `scan` walks them) or else from the
/// manifest's rows; unreadable paths are reported on stderr and set `failed`.
fn videos(args: &Args, rows: &[Row], failed: &mut bool) -> anyhow::Result<Vec<PathBuf>> {
    if args.paths.is_empty() {
        return Ok(rows.iter().map(|r| r.path.clone()).collect());
    }
    let found = walk(&args.paths, &WalkOptions::default())?;
    for (f, e) in &found.errors {
        eprintln!("staydown: error: {}: {e}", f.path.display());
        *failed = true;
    }
    Ok(found.files.into_iter().map(|f| f.path).collect())
}

/// The metadata of `video`: flags first, then its manifest row, then (with `--replace`) the
/// replaced work's own fields, then defaults. `replaced` looks a live work up by id.
fn meta_for(
    args: &Args,
    video: &Path,
    row: Option<&&Row>,
    replaced: impl Fn(&str) -> Option<WorkMeta>,
) -> WorkMeta {
    let stem = video
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let given = |flag: &Option<String>, from_row: Option<&str>| {
        flag.clone()
            .or_else(|| from_row.filter(|s| !s.is_empty()).map(str::to_string))
    };
    let id = given(&args.work, row.map(|r| r.id.as_str())).unwrap_or_else(|| stem.clone());
    let old = if args.replace { replaced(&id) } else { None };
    let keep = |field: fn(&WorkMeta) -> &String| {
        old.as_ref()
            .map(|o| field(o).clone())
            .filter(|s| !s.is_empty())
    };
    WorkMeta {
        title: given(&args.title, row.map(|r| r.title.as_str()))
            .or_else(|| keep(|m| &m.title))
            .unwrap_or(stem),
        rightsholder: given(&args.rightsholder, row.map(|r| r.rightsholder.as_str()))
            .or_else(|| keep(|m| &m.rightsholder))
            .unwrap_or_default(),
        notice: given(&args.notice, row.map(|r| r.notice.as_str()))
            .or_else(|| keep(|m| &m.notice))
            .unwrap_or_default(),
        note: args
            .note
            .clone()
            .or_else(|| old.as_ref().and_then(|o| o.note.clone())),
        source: Some(canonical(video).to_string_lossy().into_owned()),
        id,
        ..WorkMeta::default()
    }
}

/// Bans one video with `writer`, replacing a live work of the same id when `replace`.
fn ban_one(
    writer: &mut IndexWriter,
    video: &Path,
    meta: WorkMeta,
    options: &BankOptions,
    replace: bool,
) -> staydown::Result<AddStats> {
    let fps = bank::fingerprints(video, options)?;
    if replace {
        bank::replace(writer, meta, &fps, options)
    } else {
        bank::add(writer, meta, &fps, options)
    }
}

/// Runs `staydown ban`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = bank_options(&args.recipe, args.fps)?;
    let rows = match &args.manifest {
        Some(p) => read_manifest(p)?,
        None => Vec::new(),
    };
    let by_path: HashMap<PathBuf, &Row> = rows.iter().map(|r| (canonical(&r.path), r)).collect();
    let mut failed = false;
    let videos = videos(&args, &rows, &mut failed)?;
    if args.work.is_some() && videos.len() != 1 {
        bail!(
            "--work names one work, but {} videos were given",
            videos.len()
        );
    }
    if videos.is_empty() {
        bail!("no video to ban");
    }

    let mut index = Index::open_or_create(&args.index)
        .with_context(|| format!("opening index {}", args.index.display()))?;
    let before = index.snapshot();
    let replaced = |id: &str| before.find(id).map(|w| before.works()[w as usize].clone());
    let mut writer = index.writer()?;
    let options = options.for_writer(&writer);
    if options.kernel == Kernel::Plane {
        eprintln!(
            "staydown: note: {} hashes frames with the plane kernel of indexes before format 5; \
             its exported hashes sit 15-23 bits from other tools' PDQ (ban into a new index for \
             interop-grade hashes)",
            args.index.display()
        );
    }
    let mut banned = Vec::new();
    for video in &videos {
        let meta = meta_for(&args, video, by_path.get(&canonical(video)), replaced);
        let id = meta.id.clone();
        match ban_one(&mut writer, video, meta, &options, args.replace) {
            Ok(st) => banned.push((id, video, st)),
            Err(e) => {
                eprintln!(
                    "staydown: error: {}: {:#}",
                    video.display(),
                    anyhow::Error::from(e)
                );
                failed = true;
            }
        }
    }
    let snap = writer.commit()?;
    for (id, video, st) in &banned {
        println!(
            "banned {id}: {} frames × {} regions = {} hashes, {} stored ({} below quality) from {}",
            st.frames,
            st.regions,
            st.hashes,
            st.stored,
            st.low_quality,
            video.display()
        );
    }
    for (id, _, _) in &banned {
        let Some(w) = snap.find(id) else { continue };
        for other in snap.duplicates_of(w) {
            let m = &snap.works()[other as usize];
            println!(
                "note: {id} duplicates banked work {} ({:?}, notice {:?}): the same indexed frames; uploads match both",
                m.id, m.title, m.notice
            );
        }
    }
    println!(
        "index {}: generation {}, {} works",
        args.index.display(),
        snap.generation(),
        snap.stats().live_works
    );
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(
            csv_fields(r#"a,"b, c","d ""e""",,f"#).unwrap(),
            ["a", "b, c", "d \"e\"", "", "f"]
        );
        assert!(csv_fields(r#"a,"b"#).is_none());
    }
}
