//! Banking: the one recipe that turns a removed work into what the index stores.
//!
//! A [`BankOptions`] says how a work is banked: which frames are sampled, which regions of
//! each frame are hashed beside the whole frame, how close consecutive hashes must be to be
//! stored once, and below which quality a frame is not stored. [`ban`] bans a video file with
//! its metadata, [`add`] bans fingerprints made elsewhere (a vPDQ list), [`replace`] replaces
//! a live work. `staydown ban`, `index import`, the demo and the accuracy benchmark all bank
//! through these calls with [`BankOptions::default`].
//!
//! The recipe is recorded with every work in the index
//! ([`Snapshot::recipe`](crate::index::Snapshot::recipe)), so checking reads what it needs
//! (which bands and centre crops were banked:
//! [`Search::banked_regions`](crate::index::Search::banked_regions)) instead of
//! restating it.
//!
//! # Why this recipe
//! - **Every frame, runs collapsed within 16 bits.** An upload cut at an arbitrary time
//!   samples frames *between* the frames a work was banked with. Hashing every frame and
//!   storing a run of consecutive frames within 16 bits of the run's first frame once (with
//!   its time span) puts every frame of the work within 16 bits of a banked one; banking at
//!   4 fps left 10% of the frames of the real fixture more than 30 bits away (README,
//!   "Banking density").
//! - **Regions** ([`BANK_REGIONS`]): PDQ moves 22–26 bits for a 3% centre crop and 40–50
//!   bits for 5%, so a cropped or zoomed re-upload is found only if a crop close to it was
//!   banked: three centre crops (95/90/85%). A caption burned in along the bottom or a logo
//!   in a corner moves PDQ 30–50 bits for the whole frame, but the band of the frame without
//!   it stays within a few bits (measured on the real fixture with the reference `pdqhash`:
//!   a bottom caption, 32.7 bits for the frame, 1.5 for its top 78%; a top-right logo, 41.5
//!   bits for the frame, 0.9 for its bottom 75%): the top and bottom three quarters.
//!
//! Together about 58 hashes per second of banked video on the real fixture; see the README
//! for the measured recall and cost.
//!
//! ```
//! use staydown::bank::{self, BankOptions};
//! use staydown::index::{Index, WorkMeta};
//! use staydown::synth::SynthVideo;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let work = dir.path().join("work.y4m");
//! SynthVideo::new(5).size(160, 120).fps(10).duration_ms(6_000).video().save_y4m(&work)?;
//! let mut index = Index::create(dir.path().join("index"))?;
//! let mut writer = index.writer()?;
//! let meta = WorkMeta { id: "w1".into(), notice: "TD-1".into(), ..WorkMeta::default() };
//! let stats = bank::ban(&mut writer, &work, meta, &BankOptions::default())?;
//! assert_eq!(stats.frames, 60, "every frame of a 6 s, 10 fps work");
//! assert_eq!(stats.regions, 6, "the whole frame and five regions");
//! let snapshot = writer.commit()?;
//! assert_eq!(snapshot.recipe(0), Some(&BankOptions::default()));
//! # Ok::<(), staydown::Error>(())
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::decode::{DecodeOptions, Frame, FrameSource, Region};
use crate::error::{Error, Result};
use crate::fingerprint::{Fingerprint, Fingerprinter, FrameMap, fingerprint_each};
use crate::index::format::MAX_SPAN_MS;
use crate::index::{IndexWriter, IndexedFrame, WorkMeta};

/// Centre crops banked beside every frame, as the share of width and height kept (the
/// [`Region::Centre`] entries of [`BANK_REGIONS`]).
pub const BANK_CROPS: [f64; 3] = [0.95, 0.90, 0.85];

/// The regions banked beside every frame by default: three centre crops (crops and zooms up
/// to 15%) and the top and bottom three quarters (captions, logos). See the module docs.
pub const BANK_REGIONS: [Region; 5] = [
    Region::Centre(BANK_CROPS[0]),
    Region::Centre(BANK_CROPS[1]),
    Region::Centre(BANK_CROPS[2]),
    Region::Top(0.75),
    Region::Bottom(0.75),
];

/// How a work is banked. Recorded with the work in the index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BankOptions {
    /// Frames sampled per second (`None`: every frame). Default every frame.
    pub fps: Option<f64>,
    /// Consecutive hashes of one region within this many bits of their run's first hash are
    /// stored once, as the run's first frame with the run's time span (`None`: every sampled
    /// frame is stored). Default 16.
    pub collapse_bits: Option<u32>,
    /// Frames with a PDQ quality below this are not stored (inclusive: a frame of quality
    /// `min_quality` is stored). Default 50, as the PDQ reference advises.
    pub min_quality: u8,
    /// Regions hashed and stored beside the whole frame. Default [`BANK_REGIONS`].
    pub regions: Vec<Region>,
}

impl Default for BankOptions {
    fn default() -> Self {
        BankOptions {
            fps: None,
            collapse_bits: Some(16),
            min_quality: 50,
            regions: BANK_REGIONS.to_vec(),
        }
    }
}

impl BankOptions {
    /// The default recipe with the whole frame only (no regions): an index 6× smaller that
    /// misses crops of 5% or more and most burned-in captions and logos.
    pub fn whole_frames() -> Self {
        BankOptions {
            regions: Vec::new(),
            ..BankOptions::default()
        }
    }

    /// What a work of an index written before recipes were recorded (format v1) is taken to
    /// have been banked with: `staydown ban`'s recipe of that format (every frame, collapse
    /// 16, the five regions of [`BANK_REGIONS`]). Assuming more regions than were banked
    /// only costs a few query variants that find nothing.
    pub fn format_v1() -> Self {
        BankOptions {
            fps: None,
            collapse_bits: Some(16),
            min_quality: 50,
            regions: BANK_REGIONS.to_vec(),
        }
    }

    /// How the work's video is decoded.
    pub fn decode(&self) -> DecodeOptions {
        DecodeOptions {
            fps: self.fps,
            ..DecodeOptions::default()
        }
    }

    /// Checks the sampling rate and the regions.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the bad value.
    pub fn validate(&self) -> Result<()> {
        self.decode().validate()?;
        for r in &self.regions {
            let keep = match *r {
                Region::Centre(k) | Region::Top(k) | Region::Bottom(k) => k,
            };
            if !(keep.is_finite() && keep > 0.0 && keep <= 1.0) {
                return Err(Error::InvalidArgument(format!(
                    "banked region {r:?}: the share kept must be in (0, 1]"
                )));
            }
        }
        Ok(())
    }
}

/// What banking one work stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddStats {
    /// Frames sampled from the work.
    pub frames: usize,
    /// Hashes per sampled frame: the whole frame and each banked region.
    pub regions: usize,
    /// Hashes made (`frames × regions`).
    pub hashes: usize,
    /// Hashes of frames below the quality threshold (not stored).
    pub low_quality: usize,
    /// Hashes stored after collapsing runs.
    pub stored: usize,
}

/// The fingerprints a work is banked with, from one decode of `path`: the whole frames
/// first, then one per region of `options.regions`.
///
/// # Errors
/// The decoder's errors, naming the file; [`Error::Damaged`] when the decoder found it
/// damaged or truncated (a work is banked whole or not at all).
pub fn fingerprints(path: impl AsRef<Path>, options: &BankOptions) -> Result<Vec<Fingerprint>> {
    options.validate()?;
    let source = FrameSource::open(path, &options.decode())?;
    let plain = Fingerprinter {
        min_quality: options.min_quality,
        ..Fingerprinter::new()
    };
    let mut variants: Vec<(Fingerprinter, FrameMap)> =
        vec![(plain.clone(), Box::new(|f: &Frame| f.clone()))];
    for &region in &options.regions {
        variants.push((
            plain.clone(),
            Box::new(move |f: &Frame| f.cropped(&region.crop(f))),
        ));
    }
    fingerprint_each(source, variants)
}

/// The entries stored for a work banked as `fingerprints` (the whole frames and each
/// region, as [`fingerprints`] makes them): frames below `options.min_quality` dropped, each
/// fingerprint's runs of near-identical consecutive hashes collapsed on their own (a static
/// shot stays one entry per region), then merged in time order (stable: at equal times the
/// regions keep their order).
///
/// # Errors
/// [`Error::InvalidArgument`] when a fingerprint's frames are out of time order or a
/// timestamp is past what an index stores (`u32::MAX` ms).
pub fn entries(
    id: &str,
    fingerprints: &[Fingerprint],
    options: &BankOptions,
) -> Result<(Vec<IndexedFrame>, AddStats)> {
    let mut st = AddStats {
        frames: fingerprints.first().map_or(0, |f| f.frames.len()),
        regions: fingerprints.len(),
        ..AddStats::default()
    };
    let mut rows = Vec::new();
    for fp in fingerprints {
        st.hashes += fp.frames.len();
        rows.extend(collapsed(id, fp, options, &mut st.low_quality)?);
    }
    rows.sort_by_key(|r| r.pts_ms);
    st.stored = rows.len();
    Ok((rows, st))
}

/// One fingerprint's entries: low-quality frames dropped (counted in `low_quality`), runs
/// of near-identical consecutive frames collapsed into spans.
fn collapsed(
    id: &str,
    fp: &Fingerprint,
    options: &BankOptions,
    low_quality: &mut usize,
) -> Result<Vec<IndexedFrame>> {
    let mut rows: Vec<IndexedFrame> = Vec::new();
    let mut run_open = false;
    let mut last_pts = 0u64;
    for f in &fp.frames {
        if f.pts_ms < last_pts {
            return Err(Error::InvalidArgument(format!(
                "work {id:?}: frames are not in time order ({} ms after {} ms)",
                f.pts_ms, last_pts
            )));
        }
        last_pts = f.pts_ms;
        if f.quality < options.min_quality {
            *low_quality += 1;
            run_open = false;
            continue;
        }
        let pts_ms = u32::try_from(f.pts_ms).map_err(|_| {
            Error::InvalidArgument(format!(
                "work {id:?}: timestamp {} ms is past the {} ms an index can store",
                f.pts_ms,
                u32::MAX
            ))
        })?;
        if let (true, Some(max), Some(last)) = (run_open, options.collapse_bits, rows.last_mut()) {
            let span = u64::from(pts_ms - last.pts_ms);
            if last.hash.distance(&f.hash) <= max && span <= MAX_SPAN_MS {
                last.span_ms = span as u16;
                continue;
            }
        }
        rows.push(IndexedFrame {
            hash: f.hash,
            pts_ms,
            span_ms: 0,
            quality: f.quality,
        });
        run_open = true;
    }
    Ok(rows)
}

/// Bans a work from fingerprints made elsewhere (the whole frames first, then one per region
/// of `options.regions`, as [`fingerprints`] makes them; a vPDQ list is the whole frames
/// alone, with `options.regions` empty). `meta.duration_ms` is taken from the first
/// fingerprint when 0. Visible at the writer's commit.
///
/// # Errors
/// [`Error::WorkExists`] when a live work has this id; [`Error::NoUsableFrames`] when no
/// frame reaches the quality bar (nothing would be banked); [`Error::InvalidArgument`] for
/// no fingerprint, an empty id, frames out of time order, or more fingerprints than regions.
pub fn add(
    writer: &mut IndexWriter,
    mut meta: WorkMeta,
    fingerprints: &[Fingerprint],
    options: &BankOptions,
) -> Result<AddStats> {
    let Some(first) = fingerprints.first() else {
        return Err(Error::InvalidArgument(format!(
            "work {:?}: no fingerprint to ban",
            meta.id
        )));
    };
    if fingerprints.len() != options.regions.len() + 1 {
        return Err(Error::InvalidArgument(format!(
            "work {:?}: {} fingerprints for the whole frame and {} regions",
            meta.id,
            fingerprints.len(),
            options.regions.len()
        )));
    }
    if meta.duration_ms == 0 {
        meta.duration_ms = first.duration_or_estimate_ms();
    }
    let (rows, st) = entries(&meta.id, fingerprints, options)?;
    if rows.is_empty() {
        return Err(Error::NoUsableFrames {
            what: format!("work {:?}", meta.id),
            frames: st.frames,
            min_quality: options.min_quality,
        });
    }
    writer.add_work(meta, rows, options.clone())?;
    Ok(st)
}

/// As [`add`], replacing the live work of the same id if there is one (its removal is
/// audited as replaced by a new ban).
///
/// # Errors
/// As [`add`], but for [`Error::WorkExists`].
pub fn replace(
    writer: &mut IndexWriter,
    meta: WorkMeta,
    fingerprints: &[Fingerprint],
    options: &BankOptions,
) -> Result<AddStats> {
    match add(writer, meta.clone(), fingerprints, options) {
        Err(Error::WorkExists { id }) => {
            writer.remove_work(&id, "replaced by a new ban of the same id")?;
            add(writer, meta, fingerprints, options)
        }
        r => r,
    }
}

/// Decodes and hashes the video at `path` as `options` says ([`fingerprints`]) and bans it
/// with `meta` ([`add`]).
///
/// *Performance*: one decode of every sampled frame and one PDQ hash per frame and region,
/// each region on its own thread.
///
/// # Errors
/// The decoder's errors naming the file; as [`add`].
pub fn ban(
    writer: &mut IndexWriter,
    path: impl AsRef<Path>,
    meta: WorkMeta,
    options: &BankOptions,
) -> Result<AddStats> {
    let fps = fingerprints(path, options)?;
    add(writer, meta, &fps, options)
}
