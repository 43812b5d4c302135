//! `staydown ban`: fingerprint videos and add them to the index of removed works.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use staydown::Error;
use staydown::check::{BANK_REGIONS, Region, reference_fingerprints};
use staydown::decode::DecodeOptions;
use staydown::fingerprint::Fingerprinter;
use staydown::index::{Index, IndexWriter, WorkMeta};
use staydown::scan::{WalkOptions, walk};

/// Frames per second sampled from a banned video (`None`: every frame). The matcher needs
/// every frame of a work to have a close banked frame, whatever the sampling phase of the
/// upload: banking every frame and collapsing runs within [`BAN_COLLAPSE_BITS`] puts every
/// frame within 16 bits of a banked one, where 4 fps left 10% of the frames of the real
/// fixture more than 30 bits away (measured in the README). `--fps` overrides it per run.
pub const BAN_FPS: Option<f64> = None;

/// Consecutive banked frames within this many bits of their run's first frame are stored
/// once (see [`staydown::index::WriterOptions`]).
pub const BAN_COLLAPSE_BITS: u32 = 16;

/// Writer options for banking with `collapse` bits (0: keep every frame).
pub(crate) fn writer_options(collapse: u32) -> staydown::index::WriterOptions {
    staydown::index::WriterOptions {
        collapse_max_distance_bits: (collapse > 0).then_some(collapse),
        ..Default::default()
    }
}

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
    /// Title (default: the file stem).
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
    /// Replace a work already banned under the same id (else that is an error).
    #[arg(long)]
    replace: bool,
    /// Frames per second to sample [default: every frame].
    #[arg(long, value_name = "F")]
    fps: Option<f64>,
    /// Collapse consecutive frames within this many bits of their run's first frame into
    /// one indexed frame with a time span (0 keeps every sampled frame).
    #[arg(long, value_name = "BITS", default_value_t = BAN_COLLAPSE_BITS)]
    collapse: u32,
    /// Bank the plain frames only, without the centre crops and bands that let cropped,
    /// zoomed, captioned or logoed copies be found (the index is 6× smaller; crops of 5% or
    /// more and most burned-in captions and logos are missed).
    #[arg(long)]
    no_crops: bool,
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

/// Adds `meta` banked as `fps` (see [`IndexWriter::add_work_variants`]), replacing a live
/// work of the same id when `replace`.
pub(crate) fn add(
    w: &mut IndexWriter,
    meta: WorkMeta,
    fps: &[staydown::Fingerprint],
    replace: bool,
) -> staydown::Result<staydown::index::AddStats> {
    let variants: Vec<&staydown::Fingerprint> = fps.iter().collect();
    match w.add_work_variants(meta.clone(), &variants) {
        Err(Error::WorkExists { id }) if replace => {
            w.remove_work(&id, "replaced by a new ban of the same id")?;
            w.add_work_variants(meta, &variants)
        }
        r => r,
    }
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

/// Runs `staydown ban`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(fps) = args.fps
        && !(fps.is_finite() && fps > 0.0)
    {
        bail!("--fps must be a positive number, got {fps}");
    }
    let rows = match &args.manifest {
        Some(p) => read_manifest(p)?,
        None => Vec::new(),
    };
    let by_path: HashMap<PathBuf, &Row> = rows.iter().map(|r| (canonical(&r.path), r)).collect();
    let mut failed = false;
    let videos: Vec<PathBuf> = if args.paths.is_empty() {
        rows.iter().map(|r| r.path.clone()).collect()
    } else {
        let found = walk(&args.paths, &WalkOptions::default())?;
        for (f, e) in &found.errors {
            eprintln!("staydown: error: {}: {e}", f.path.display());
            failed = true;
        }
        found.files.into_iter().map(|f| f.path).collect()
    };
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
    let mut writer = index.writer()?;
    writer.set_options(writer_options(args.collapse));
    let fingerprinter = Fingerprinter::new();
    let decode = DecodeOptions {
        fps: args.fps.or(BAN_FPS),
        ..DecodeOptions::default()
    };
    let mut banned = Vec::new();
    for video in &videos {
        let stem = video
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let row = by_path.get(&canonical(video));
        let pick = |flag: &Option<String>, from_row: Option<&str>, default: &str| {
            flag.clone()
                .or_else(|| from_row.filter(|s| !s.is_empty()).map(str::to_string))
                .unwrap_or_else(|| default.to_string())
        };
        let meta = WorkMeta {
            id: pick(&args.work, row.map(|r| r.id.as_str()), &stem),
            title: pick(&args.title, row.map(|r| r.title.as_str()), &stem),
            rightsholder: pick(&args.rightsholder, row.map(|r| r.rightsholder.as_str()), ""),
            notice: pick(&args.notice, row.map(|r| r.notice.as_str()), ""),
            note: args.note.clone(),
            source: Some(canonical(video).to_string_lossy().into_owned()),
            ..WorkMeta::default()
        };
        let crops: &[Region] = if args.no_crops { &[] } else { &BANK_REGIONS };
        let result = reference_fingerprints(video, &decode, &fingerprinter, crops)
            .map_err(anyhow::Error::from)
            .and_then(|fps| {
                add(&mut writer, meta.clone(), &fps, args.replace).map_err(anyhow::Error::from)
            });
        match result {
            Ok(st) => banned.push((meta.id, video, st)),
            Err(e) => {
                eprintln!("staydown: error: {}: {e:#}", video.display());
                failed = true;
            }
        }
    }
    let snap = writer.commit()?;
    for (id, video, st) in &banned {
        println!(
            "banned {id}: {} frames, {} indexed ({} below quality) from {}",
            st.frames,
            st.indexed,
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
