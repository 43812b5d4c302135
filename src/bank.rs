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
//! Measured on eight real clips (94 s) with the reference PDQ; the scripts and the full tables
//! are in `scripts/economy/FINDINGS.md`.
//! - **Few regions, chosen to be reachable.** PDQ moves about 14–16 bits for every 1% a crop's
//!   edge is off, so a cropped or zoomed copy is found only through a banked region it
//!   still contains, hashed on the upload side with a crop that lands within ~1% of it. The
//!   **central 70% × 70%** ([`Region::Centre`]`(0.70)`) is the largest region that zooms to
//!   80%, crops of up to 15% a side and off-centre crops (15% off one side, 5% off the
//!   others) all still contain; it also misses most bottom captions and corner logos. The
//!   upload side tries a grid of centre and side crops to bring such copies back onto it
//!   ([`crate::query`]). The **top and bottom 75% bands** keep copies with a caption along
//!   the bottom or a logo across the top (a caption reaches into the central 70% often
//!   enough to cost it 15–40 bits), and the **whole frame** keeps exact copies at a few bits
//!   and is the row that exports as vPDQ.
//! - **Keyframes with a rate cap** ([`Keyframes`]): a region's hash is stored when it moved
//!   more than a few bits from the last stored one, or a couple of seconds after it, but
//!   never closer than a minimum gap (a third of a second for the central 70%, a second for
//!   the others). Storing every frame within 16 bits of its run cost
//!   7.3 frames per second per region on real footage (18/s on a pan: PDQ moves ~28 bits
//!   for a 1% shift); the cap bounds what a work costs whatever it shows. Sparse banking
//!   relies on the upload being sampled densely (4 frames a second,
//!   [`crate::decode::DecodeOptions::upload`]): the upload is hashed once, the work is
//!   stored forever.
//!
//! [`BankOptions::legacy`] is the recipe of indexes written before this one (every frame
//! collapsed within 16 bits, the whole frame and five regions: about 58 hashes per second).
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
//! assert_eq!(stats.regions, 4, "the whole frame, the centre 70% and two bands");
//! assert!(stats.stored <= 6 * 6 + 4, "at most 1 + 3 + 1 + 1 hashes per second");
//! let snapshot = writer.commit()?;
//! assert_eq!(snapshot.recipe(0), Some(&BankOptions::default()));
//! # Ok::<(), staydown::Error>(())
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::decode::{DecodeOptions, FrameSource, Region};
use crate::error::{Error, Result};
use crate::fingerprint::{Fingerprint, Fingerprinter, FrameHash, decode_into, with_source_info};
use crate::hash::{CropHasher, Kernel};
use crate::index::format::MAX_SPAN_MS;
use crate::index::{IndexWriter, IndexedFrame, REGION_UNKNOWN, WorkMeta};

/// When a region's hash is stored, frame after frame: a new entry when the hash moved more
/// than `change_bits` from the last stored one, or `max_gap_ms` after it — but never within
/// `min_gap_ms` of it. Frames not stored extend the last entry's time span, so every
/// banked second stays covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keyframes {
    /// A hash more than this many bits from the last stored one starts a new entry.
    pub change_bits: u32,
    /// An entry covers at most this long (0: every frame is its own entry).
    pub max_gap_ms: u32,
    /// No two entries closer than this (the rate cap: 250 ms is at most 4 a second).
    pub min_gap_ms: u32,
}

impl Keyframes {
    /// Every sampled frame stored.
    pub const EVERY_FRAME: Keyframes = Keyframes {
        change_bits: 0,
        max_gap_ms: 0,
        min_gap_ms: 0,
    };

    /// The rule of indexes written before keyframes: runs of consecutive frames within
    /// `bits` of the run's first frame stored once, with no cap.
    pub const fn collapse(bits: u32) -> Keyframes {
        Keyframes {
            change_bits: bits,
            max_gap_ms: MAX_SPAN_MS as u32 + 1,
            min_gap_ms: 0,
        }
    }

    /// A keyframe rule: a new entry past `change_bits` or after `max_gap_ms`, never within
    /// `min_gap_ms` of the last.
    pub const fn new(change_bits: u32, max_gap_ms: u32, min_gap_ms: u32) -> Keyframes {
        Keyframes {
            change_bits,
            max_gap_ms,
            min_gap_ms,
        }
    }

    /// The most entries a second this rule can store (`None`: no cap).
    pub fn max_per_second(&self) -> Option<f64> {
        (self.min_gap_ms > 0).then(|| 1000.0 / f64::from(self.min_gap_ms))
    }
}

/// One region a work is banked with, and when its hash is stored.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BankedRegion {
    /// The part of the (border-cropped) frame hashed.
    pub region: Region,
    /// When a hash of it is stored.
    pub keyframes: Keyframes,
}

/// The default recipe's regions: the whole frame (a new entry past 32 bits or after 2 s, at
/// most one a second), the central 70% (past 24 bits or after 2 s, at most three a second),
/// and the top and bottom 75% bands (as the whole frame). At most six hashes a second
/// whatever the work shows. See the module docs.
pub const BANK_REGIONS: [BankedRegion; 4] = [
    BankedRegion {
        region: Region::Whole,
        keyframes: Keyframes::new(32, 2000, 1000),
    },
    BankedRegion {
        region: Region::Centre(0.70),
        keyframes: Keyframes::new(24, 2000, 333),
    },
    BankedRegion {
        region: Region::Top(0.75),
        keyframes: Keyframes::new(32, 2000, 1000),
    },
    BankedRegion {
        region: Region::Bottom(0.75),
        keyframes: Keyframes::new(32, 2000, 1000),
    },
];

/// The centre crops of indexes written before keyframe banking ([`BankOptions::legacy`]).
pub const LEGACY_CROPS: [f64; 3] = [0.95, 0.90, 0.85];

/// How a work is banked. Recorded with the work in the index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BankOptions {
    /// Frames decoded per second (`None`: every frame). Default every frame: the keyframe
    /// rules choose among them.
    pub fps: Option<f64>,
    /// Frames with a PDQ quality below this are not stored (inclusive: a frame of quality
    /// `min_quality` is stored). Default 50, as the PDQ reference advises.
    pub min_quality: u8,
    /// The regions hashed, each with its keyframe rule. Default [`BANK_REGIONS`].
    pub regions: Vec<BankedRegion>,
    /// How frames are blurred before decimation ([`Kernel`]). Default [`Kernel::Source`];
    /// works of indexes before format 5 have [`Kernel::Plane`].
    pub kernel: Kernel,
}

impl Default for BankOptions {
    fn default() -> Self {
        BankOptions {
            fps: None,
            min_quality: 50,
            regions: BANK_REGIONS.to_vec(),
            kernel: Kernel::Source,
        }
    }
}

/// The recipe as format-2 segments stored it: the whole frame implied, one collapse rule.
#[derive(Deserialize)]
pub(crate) struct RecipeV2 {
    fps: Option<f64>,
    collapse_bits: Option<u32>,
    min_quality: u8,
    regions: Vec<Region>,
}

impl From<RecipeV2> for BankOptions {
    fn from(v: RecipeV2) -> Self {
        let keyframes = v
            .collapse_bits
            .map_or(Keyframes::EVERY_FRAME, Keyframes::collapse);
        BankOptions {
            fps: v.fps,
            min_quality: v.min_quality,
            regions: std::iter::once(Region::Whole)
                .chain(v.regions)
                .map(|region| BankedRegion { region, keyframes })
                .collect(),
            kernel: Kernel::Plane,
        }
    }
}

/// The recipe as format-3 and format-4 segments stored it: no kernel, so [`Kernel::Plane`].
#[derive(Serialize, Deserialize)]
pub(crate) struct RecipeV4 {
    fps: Option<f64>,
    min_quality: u8,
    regions: Vec<BankedRegion>,
}

impl From<&BankOptions> for RecipeV4 {
    /// The recipe as format 4 writes it (tests writing format-4 segments): the kernel is lost.
    fn from(o: &BankOptions) -> Self {
        RecipeV4 {
            fps: o.fps,
            min_quality: o.min_quality,
            regions: o.regions.clone(),
        }
    }
}

impl From<RecipeV4> for BankOptions {
    fn from(v: RecipeV4) -> Self {
        BankOptions {
            fps: v.fps,
            min_quality: v.min_quality,
            regions: v.regions,
            kernel: Kernel::Plane,
        }
    }
}

/// The names [`BankOptions::named`] knows, with what each banks.
pub const RECIPES: [(&str, &str); 4] = [
    (
        "default",
        "whole frame ≤1/s, centre 70% ≤3/s, top and bottom bands ≤1/s (keyframes)",
    ),
    (
        "dense",
        "the default regions, every frame collapsed within 16 bits",
    ),
    ("whole", "the whole frame only, keyframes ≤1/s"),
    (
        "legacy",
        "every frame collapsed within 16 bits; whole frame, centre 95/90/85%, top and bottom bands",
    ),
];

impl BankOptions {
    /// The whole frame only, every frame collapsed within 16 bits.
    pub fn whole_frames() -> Self {
        BankOptions {
            regions: vec![BankedRegion {
                region: Region::Whole,
                keyframes: Keyframes::collapse(16),
            }],
            ..BankOptions::default()
        }
    }

    /// The whole frame only, every sampled frame stored (a vPDQ list as it is).
    pub fn every_frame() -> Self {
        BankOptions {
            regions: vec![BankedRegion {
                region: Region::Whole,
                keyframes: Keyframes::EVERY_FRAME,
            }],
            ..BankOptions::default()
        }
    }

    /// The recipe of indexes written before keyframe banking (format 1 and 2 segments):
    /// every frame collapsed within 16 bits; the whole frame, centre crops keeping 95, 90 and
    /// 85%, and the top and bottom three quarters.
    pub fn legacy() -> Self {
        let collapse = Keyframes::collapse(16);
        let regions = [
            Region::Whole,
            Region::Centre(LEGACY_CROPS[0]),
            Region::Centre(LEGACY_CROPS[1]),
            Region::Centre(LEGACY_CROPS[2]),
            Region::Top(0.75),
            Region::Bottom(0.75),
        ];
        BankOptions {
            fps: None,
            min_quality: 50,
            regions: regions
                .into_iter()
                .map(|region| BankedRegion {
                    region,
                    keyframes: collapse,
                })
                .collect(),
            kernel: Kernel::Plane,
        }
    }

    /// These options with the kernel of the works `writer` holds, when it holds any: one
    /// index keeps one kernel, since an upload is checked against all its works at once.
    pub fn for_writer(&self, writer: &IndexWriter) -> BankOptions {
        BankOptions {
            kernel: writer.kernel().unwrap_or(self.kernel),
            ..self.clone()
        }
    }

    /// A recipe by name (see [`RECIPES`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unknown name, listing the known ones.
    pub fn named(name: &str) -> Result<Self> {
        Ok(match name {
            "default" => BankOptions::default(),
            "dense" => BankOptions {
                regions: BANK_REGIONS
                    .iter()
                    .map(|r| BankedRegion {
                        keyframes: Keyframes::collapse(16),
                        ..*r
                    })
                    .collect(),
                ..BankOptions::default()
            },
            "whole" => BankOptions {
                regions: vec![BANK_REGIONS[0]],
                ..BankOptions::default()
            },
            "legacy" => BankOptions::legacy(),
            _ => {
                let known: Vec<&str> = RECIPES.iter().map(|r| r.0).collect();
                return Err(Error::InvalidArgument(format!(
                    "unknown banking recipe {name:?} (known: {})",
                    known.join(", ")
                )));
            }
        })
    }

    /// The regions alone.
    pub fn region_list(&self) -> Vec<Region> {
        self.regions.iter().map(|r| r.region).collect()
    }

    /// The region that rows tagged `tag` ([`IndexedFrame::region`]) of a work banked with
    /// this recipe hash: tag `k` is the `k`-th fingerprint [`fingerprints`] makes, the
    /// recipe's `k`-th region. `None` for a tag this recipe has no region for (such as
    /// [`REGION_UNKNOWN`]).
    pub fn region_of_tag(&self, tag: u8) -> Option<Region> {
        self.regions.get(usize::from(tag)).map(|r| r.region)
    }

    /// The tag of the rows that hash the whole frame, if the recipe banks it (see
    /// [`BankOptions::region_of_tag`]).
    pub fn whole_frame_tag(&self) -> Option<u8> {
        self.regions
            .iter()
            .position(|r| r.region == Region::Whole)
            .and_then(|k| u8::try_from(k).ok())
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
        if self.regions.is_empty() {
            return Err(Error::InvalidArgument(
                "a banking recipe needs at least one region".into(),
            ));
        }
        for r in &self.regions {
            let keep = r.region.keep();
            if !(keep.is_finite() && keep > 0.0 && keep <= 1.0) {
                return Err(Error::InvalidArgument(format!(
                    "banked region {:?}: the share kept must be in (0, 1]",
                    r.region
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

/// The fingerprints a work is banked with, from one decode of `path`: one per region of
/// `options.regions`, in order, each hashing that region of every sampled frame after the
/// black-border crop.
///
/// *Performance*: one decode; one hashing thread computes every region of a frame from the
/// frame's pixels in place ([`CropHasher`]), no copy per region.
///
/// # Errors
/// The decoder's errors, naming the file; [`Error::Damaged`] when the decoder found it
/// damaged or truncated (a work is banked whole or not at all).
pub fn fingerprints(path: impl AsRef<Path>, options: &BankOptions) -> Result<Vec<Fingerprint>> {
    options.validate()?;
    let source = FrameSource::open(path, &options.decode())?;
    let path = source.path().to_path_buf();
    let fingerprinter = Fingerprinter {
        min_quality: options.min_quality,
        kernel: options.kernel,
        ..Fingerprinter::new()
    };
    let regions = options.region_list();
    let kernel = options.kernel;
    let work = Box::new(|rx: std::sync::mpsc::Receiver<crate::decode::Frame>| {
        let mut hasher = CropHasher::new();
        let mut out: Vec<Vec<FrameHash>> = vec![Vec::new(); regions.len()];
        let mut last_ms = None;
        fingerprinter.for_each_cropped(rx.into_iter().map(Ok), None, |frame| {
            // A decoder may repeat or reorder a last frame's timestamp; keep time order.
            if last_ms.is_some_and(|last| frame.pts_ms <= last) {
                return Ok(());
            }
            last_ms = Some(frame.pts_ms);
            for (region, hashes) in regions.iter().zip(out.iter_mut()) {
                let rect = region.crop(&frame).rect(frame.width, frame.height);
                let scale = kernel.scale(frame.scale, frame.width);
                let h = hasher.hash_scaled(&frame.luma, frame.width, rect, false, scale);
                hashes.push(FrameHash {
                    pts_ms: frame.pts_ms,
                    hash: h.hash,
                    quality: h.quality,
                    mirror: None,
                });
            }
            Ok(())
        })?;
        Ok(out)
    });
    let (mut results, info, damage) = decode_into(source, vec![work])?;
    if let Some(reason) = damage {
        return Err(Error::Damaged { path, reason });
    }
    Ok(results
        .pop()
        .unwrap_or_default()
        .into_iter()
        .map(|frames| {
            with_source_info(
                Fingerprint {
                    frames,
                    ..Fingerprint::default()
                },
                &info,
            )
        })
        .collect())
}

/// The entries stored for a work banked as `fingerprints` (one per region of
/// `options.regions`, as [`fingerprints`] makes them): frames below `options.min_quality`
/// dropped, each region's frames thinned by its [`Keyframes`] rule on its own (a static shot
/// stays one entry per region), then merged in time order (stable: at equal times the
/// regions keep their order). Each entry's [`IndexedFrame::region`] is the ordinal of its
/// fingerprint in `fingerprints` (see [`BankOptions::region_of_tag`]).
///
/// # Errors
/// [`Error::InvalidArgument`] when the fingerprints do not match the regions, a
/// fingerprint's frames are out of time order or a timestamp is past what an index stores
/// (`u32::MAX` ms).
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
    if fingerprints.len() > usize::from(REGION_UNKNOWN) {
        return Err(Error::InvalidArgument(format!(
            "work {id:?}: {} fingerprints, more than region tags can tell apart",
            fingerprints.len()
        )));
    }
    let mut rows = Vec::new();
    if fingerprints.len() != options.regions.len() {
        return Err(Error::InvalidArgument(format!(
            "work {id:?}: {} fingerprints for {} banked regions",
            fingerprints.len(),
            options.regions.len()
        )));
    }
    for (tag, (fp, r)) in fingerprints.iter().zip(&options.regions).enumerate() {
        st.hashes += fp.frames.len();
        rows.extend(collapsed(
            id,
            fp,
            tag as u8,
            r.keyframes,
            options.min_quality,
            &mut st.low_quality,
        )?);
    }
    rows.sort_by_key(|r| r.pts_ms);
    st.stored = rows.len();
    Ok((rows, st))
}

/// One fingerprint's entries, tagged `region`: low-quality frames dropped (counted in
/// `low_quality`), runs of near-identical consecutive frames collapsed into spans.
fn collapsed(
    id: &str,
    fp: &Fingerprint,
    region: u8,
    keyframes: Keyframes,
    min_quality: u8,
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
        if f.quality < min_quality {
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
        if let (true, Some(last)) = (run_open, rows.last_mut()) {
            let span = pts_ms - last.pts_ms;
            let capped = span < keyframes.min_gap_ms;
            let same =
                last.hash.distance(&f.hash) <= keyframes.change_bits && span < keyframes.max_gap_ms;
            if (capped || same) && u64::from(span) <= MAX_SPAN_MS {
                last.span_ms = span as u16;
                continue;
            }
        }
        rows.push(IndexedFrame {
            hash: f.hash,
            pts_ms,
            span_ms: 0,
            quality: f.quality,
            region,
        });
        run_open = true;
    }
    Ok(rows)
}

/// Bans a work from fingerprints made elsewhere (one per region of `options.regions`, as
/// [`fingerprints`] makes them; a vPDQ list is the whole frames alone, with
/// [`BankOptions::every_frame`]). `meta.duration_ms` is taken from the first fingerprint
/// when 0. Visible at the writer's commit.
///
/// # Errors
/// [`Error::WorkExists`] when a live work has this id; [`Error::NoUsableFrames`] when no
/// frame reaches the quality bar (nothing would be banked); [`Error::InvalidArgument`] for
/// no fingerprint, an empty id, frames out of time order, or not one fingerprint per region.
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
    writer.add_work_at_rate(meta, rows, options.clone(), first.fps)?;
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
/// with `meta` ([`add`]). Frames are hashed with the kernel of the works the writer holds
/// ([`IndexWriter::kernel`]) when it holds any, else with `options.kernel`.
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
    let options = &options.for_writer(writer);
    let fps = fingerprints(path, options)?;
    add(writer, meta, &fps, options)
}
