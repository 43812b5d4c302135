//! Query variants: the ways an upload's frames are hashed besides the plain frame, so that
//! copies PDQ cannot see through are brought back into register with a banked frame. All of
//! them live on the upload side (the upload is hashed once; the index is stored forever):
//!
//! - **Banked regions** ([`Variant::Region`]): every region the index banked (its recipe
//!   says which: [`crate::bank::BankOptions::regions`]) is hashed on every sampled frame, so
//!   an unchanged copy meets each banked region at a few bits.
//! - **Crop search** ([`grid`]): centre crops, side cuts and rotations tried on a probe
//!   frame every two seconds; those that find banked frames vote, and the most-voted are hashed
//!   on every frame ([`Variant::Cut`], [`Variant::Rotated`]). Zooms, crops, off-centre crops
//!   and rotated copies are found this way, with no more banked regions.
//! - **Mirror**: the plain frame, the bands and the centre crops are also hashed from the
//!   flipped pixels (the mirror derived from the DCT is up to ~28 bits off, because PDQ's
//!   box filter is not symmetric).
//! - **Inset** ([`Variant::Inset`], [`InsetDetector`]): the frame cropped to each detected
//!   picture-in-picture inset (up to two) and scaled back to the frame's width (see
//!   [`inset`]); each inset found gives its own fingerprints.
//! - **Rotations** ([`ROTATION_GRID_DEG`]): measured on the 720p Big Buck Bunny fixture with
//!   `scripts/rotation_tolerance.py` (11 frames, median/max PDQ bits against the banked 0.85
//!   crop): a residual angle of 0.5° costs 12/16 bits, 1° 24/30, 1.5° 34/40, 2° 44/50. One
//!   angle covers about ±1.5°, so a grid at 3° steps (±3°, ±6°) covers rotations up to about
//!   7.5° either way; the plain frame covers the first ±1.5°.
//!
//! [`QueryVariants`] says which variants to search; [`upload_fingerprints`] decodes once and
//! hashes every variant (the crop search on one thread that spreads its probe frames over
//! the cores, the inset search on another), each result carrying its [`Variant`].

pub mod grid;
pub mod inset;

use std::sync::mpsc;

use crate::decode::{Frame, FrameSource, Region, inscribed_keep};
use crate::error::Result;
use crate::fingerprint::{Fingerprint, Fingerprinter, Worker, decode_into, with_source_info};

pub use grid::{CropGrid, Cut, Probe};
use grid::{GridSearch, Job};
pub use inset::InsetDetector;

/// Rotations of a copy (degrees, counter-clockwise on screen; ffmpeg's `rotate` filter turns
/// clockwise for positive angles) that the upload's frames are turned back from: each
/// frame is also hashed rotated by minus each angle. Spaced 3° apart, twice the measured
/// ±1.5° tolerance.
pub const ROTATION_GRID_DEG: [f64; 4] = [-6.0, -3.0, 3.0, 6.0];

/// One way of hashing an upload's frames.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Variant {
    /// The frame as decoded (after the black-border crop).
    Plain,
    /// A region of the frame (a band the index banked, for captions and logos).
    Region(Region),
    /// The frame cropped to a detected picture-in-picture inset, scaled back to its width
    /// (an upload with two insets has a fingerprint of this variant for each).
    Inset,
    /// The frame rotated back by this many degrees and cropped to a banked centre crop.
    Rotated(f64),
    /// A rectangle of the frame from the crop search ([`grid`]).
    Cut(Cut),
    /// A banked region of the picture-in-picture inset.
    InsetRegion(Region),
}

/// An upload's fingerprint as one variant hashed it. When mirrors were asked for, each
/// frame's [`FrameHash::mirror`](crate::FrameHash::mirror) holds the hash of the same
/// variant of the flipped frame (none for the inset and the rotations).
#[derive(Clone, Debug, PartialEq)]
pub struct VariantFingerprint {
    /// How the frames were hashed.
    pub variant: Variant,
    /// The hashes, at the plain frames' times.
    pub fingerprint: Fingerprint,
}

/// An upload hashed with its query variants.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryFingerprints {
    /// One fingerprint per variant, the plain frames first.
    pub variants: Vec<VariantFingerprint>,
    /// Set when the decoder found the upload damaged or truncated (see
    /// [`FrameSource::damage`]): the variants hold what could be decoded.
    pub damage: Option<String>,
}

impl QueryFingerprints {
    /// The plain frames' fingerprint.
    pub fn plain(&self) -> Option<&Fingerprint> {
        self.variants
            .iter()
            .find(|v| v.variant == Variant::Plain)
            .map(|v| &v.fingerprint)
    }
}

/// Which variants of its frames an upload is searched with, besides the plain frames.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryVariants {
    /// Carry each frame's mirror hash, hashed from the flipped pixels (plain frames, banked
    /// regions, centre crops). Default true.
    pub mirror: bool,
    /// Look for picture-in-picture insets over the first frames (see [`inset`]) and hash
    /// every frame cropped to each one found and scaled back to the frame's width.
    /// `None` turns it off. Default on.
    pub inset: Option<InsetDetector>,
    /// Also try each probe frame rotated back by these angles, in degrees (see
    /// [`ROTATION_GRID_DEG`], the default), cropped to the largest banked centre crop that
    /// leaves out the black corners. Empty turns it off.
    pub rotations_deg: Vec<f64>,
    /// Also hash the regions the index banked (bands, centre crops) on every frame, each
    /// with its mirror when `mirror`. Default true.
    pub bands: bool,
    /// The crop search ([`grid`]); `None` turns it off. Default [`CropGrid::default`].
    pub crops: Option<CropGrid>,
}

impl Default for QueryVariants {
    fn default() -> Self {
        QueryVariants {
            mirror: true,
            inset: Some(InsetDetector::default()),
            rotations_deg: ROTATION_GRID_DEG.to_vec(),
            bands: true,
            crops: Some(CropGrid::default()),
        }
    }
}

impl QueryVariants {
    /// The plain frames only (with mirrors when `mirror`).
    pub fn plain(mirror: bool) -> Self {
        QueryVariants {
            mirror,
            inset: None,
            rotations_deg: Vec::new(),
            bands: false,
            crops: None,
        }
    }

    /// The variants hashed on every frame against an index that banked `banked`, each with
    /// whether its mirror is hashed: the plain frame, then each banked region but the whole
    /// frame (when `bands`).
    pub fn every_frame(&self, banked: &[Region]) -> Vec<(Variant, bool)> {
        let mut plan = vec![(Variant::Plain, self.mirror)];
        if self.bands {
            for &r in banked {
                if r != Region::Whole && !plan.contains(&(Variant::Region(r), self.mirror)) {
                    plan.push((Variant::Region(r), self.mirror));
                }
            }
        }
        plan
    }
}

/// The centre crop to hash a frame rotated back by `degrees` with: the largest of `banked`
/// (the centre crops references are banked with) that fits inside the rotation's inscribed
/// rectangle, with 1% of slack (a sliver of black corner costs less than the next crop
/// down); the smallest banked crop when none fits; the inscribed rectangle itself when
/// nothing is banked.
pub fn rotation_keep(width: u32, height: u32, degrees: f64, banked: &[f64]) -> f64 {
    let inscribed = inscribed_keep(width, height, degrees);
    let fitting = banked
        .iter()
        .copied()
        .filter(|&k| k <= inscribed + 0.01)
        .fold(None, |best: Option<f64>, k| {
            Some(best.map_or(k, |b| b.max(k)))
        });
    fitting
        .or_else(|| banked.iter().copied().reduce(f64::min))
        .unwrap_or(inscribed)
}

/// A hashing thread's work: every decoded frame in, the variants it hashed out.
pub(crate) type QueryWorker<'a> = Worker<'a, Vec<VariantFingerprint>>;

/// The hashing threads for an upload checked against an index that banked `banked`: the
/// crop search (plain frames, banked regions, the probe grid; [`grid`]) and, when asked
/// for, the inset search. `probe` answers whether a hash finds a banked frame.
pub(crate) fn workers<'a>(
    fingerprinter: &Fingerprinter,
    variants: &QueryVariants,
    banked: &[Region],
    probe: Probe<'a>,
) -> Vec<QueryWorker<'a>> {
    let plain = Fingerprinter {
        with_mirror: false,
        ..fingerprinter.clone()
    };
    let core_jobs: Vec<Job> = variants
        .every_frame(banked)
        .into_iter()
        .map(|(variant, mirror)| Job { variant, mirror })
        .collect();
    let core = core_jobs.clone();
    let grid = variants.crops.clone();
    let search = GridSearch::new(
        core,
        grid,
        &variants.rotations_deg,
        banked,
        variants.mirror,
        &plain,
        probe,
    );
    let mut out: Vec<QueryWorker<'a>> = vec![search_worker(plain.clone(), search)];
    if let Some(detector) = variants.inset {
        // The inset's frames are hashed as the plain frames are: whole and banked regions.
        let core: Vec<Job> = core_jobs
            .iter()
            .map(|j| Job {
                variant: match j.variant {
                    Variant::Region(r) => Variant::InsetRegion(r),
                    _ => Variant::Inset,
                },
                mirror: false,
            })
            .collect();
        // One search per inset found (two works side by side, a work and a facecam), each
        // its own set of fingerprints.
        out.push(Box::new(move |rx: mpsc::Receiver<Frame>| {
            let mut searches: Vec<GridSearch<'_>> = Vec::new();
            inset::inset_frames(rx, &detector, |i, frame| {
                while searches.len() <= i {
                    let jobs = core.clone();
                    searches.push(GridSearch::new(jobs, None, &[], &[], false, &plain, probe));
                }
                searches[i].push(frame);
            })?;
            Ok(searches.into_iter().flat_map(fingerprints).collect())
        }));
    }
    out
}

/// The variants a crop search hashed, as fingerprints without source metadata.
fn fingerprints(search: GridSearch<'_>) -> Vec<VariantFingerprint> {
    search
        .finish()
        .into_iter()
        .map(|(variant, frames)| VariantFingerprint {
            variant,
            fingerprint: Fingerprint {
                frames,
                ..Fingerprint::default()
            },
        })
        .collect()
}

/// The variants of a second, denser look at part of an upload (`source` opened with a
/// [`DecodeOptions::window_ms`](crate::decode::DecodeOptions::window_ms)): every frame it gives
/// is hashed as the first look (`first`) hashed each of its frames — the plain frame, the
/// banked regions, and the rectangles and rotations the crop search chose, each with its
/// mirror when the first look had one — with no crop search of its own and no inset search.
///
/// # Errors
/// The decoder's errors, naming the file.
pub fn second_look_fingerprints(
    source: FrameSource,
    fingerprinter: &Fingerprinter,
    first: &[VariantFingerprint],
    banked: &[Region],
) -> Result<Vec<VariantFingerprint>> {
    let jobs: Vec<Job> = first
        .iter()
        .filter(|v| {
            matches!(
                v.variant,
                Variant::Plain | Variant::Region(_) | Variant::Cut(_) | Variant::Rotated(_)
            )
        })
        .map(|v| Job {
            variant: v.variant,
            mirror: v.fingerprint.frames.iter().any(|f| f.mirror.is_some()),
        })
        .collect();
    let plain = Fingerprinter {
        with_mirror: false,
        ..fingerprinter.clone()
    };
    let no_probe = |_: &crate::hash::Hash256| None;
    let search = GridSearch::new(jobs, None, &[], banked, false, &plain, &no_probe);
    Ok(decode_variants(source, vec![search_worker(plain, search)])?.variants)
}

/// A hashing thread that feeds every frame, its borders cropped by `plain`, to `search`.
fn search_worker<'a>(plain: Fingerprinter, mut search: GridSearch<'a>) -> QueryWorker<'a> {
    Box::new(move |rx: mpsc::Receiver<Frame>| {
        plain.for_each_cropped(rx.into_iter().map(Ok), None, |frame| {
            search.push(frame);
            Ok(())
        })?;
        Ok(fingerprints(search))
    })
}

/// Decodes `source` once through `workers` and gathers the variants they hashed, with the
/// source's metadata.
fn decode_variants(
    source: FrameSource,
    workers: Vec<QueryWorker<'_>>,
) -> Result<QueryFingerprints> {
    let (results, info, damage) = decode_into(source, workers)?;
    Ok(QueryFingerprints {
        variants: results
            .into_iter()
            .flatten()
            .map(|v| VariantFingerprint {
                fingerprint: with_source_info(v.fingerprint, &info),
                ..v
            })
            .collect(),
        damage,
    })
}

/// The fingerprints an upload is checked with against an index that banked `banked`
/// ([`crate::index::Search::banked_regions`]), `probe` answering whether a hash finds a
/// banked frame (the crop search votes with it): the plain frames first, then the banked
/// regions, the crop search's rectangles that found something, and the inset when one was
/// found. All share the plain frames' times: match them with
/// [`Matcher::match_variants`](crate::matcher::Matcher::match_variants).
///
/// *Performance*: one decode; per sampled frame one PDQ hash per every-frame variant and
/// chosen rectangle, computed in place ([`crate::hash::CropHasher`]), and every two seconds
/// the probe grid (~640 rectangles and their seed searches, spread over the cores).
///
/// # Errors
/// The decoder's errors, naming the file.
pub fn upload_fingerprints(
    source: FrameSource,
    fingerprinter: &Fingerprinter,
    variants: &QueryVariants,
    banked: &[Region],
    probe: Probe<'_>,
) -> Result<QueryFingerprints> {
    decode_variants(source, workers(fingerprinter, variants, banked, probe))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{centre_crop, inscribed_keep, rotate, rotate_cropped};
    use crate::hash::Pdq;
    use crate::synth::SynthVideo;

    #[test]
    fn every_frame_variants_follow_the_banked_regions() {
        let banked = [
            Region::Whole,
            Region::Centre(0.7),
            Region::Bottom(0.75),
            Region::Centre(0.7),
        ];
        let plan = QueryVariants::default().every_frame(&banked);
        assert_eq!(
            plan,
            [
                (Variant::Plain, true),
                (Variant::Region(Region::Centre(0.7)), true),
                (Variant::Region(Region::Bottom(0.75)), true),
            ]
        );
        assert_eq!(
            QueryVariants::plain(false).every_frame(&banked),
            [(Variant::Plain, false)]
        );
    }

    #[test]
    fn rotating_back_restores_the_picture() {
        let f = SynthVideo::new(3)
            .size(256, 144)
            .fps(1)
            .duration_ms(1000)
            .video()
            .frame(0);
        let keep = inscribed_keep(256, 144, 5.0);
        assert!((keep - 0.869).abs() < 0.01, "{keep}");
        assert!((inscribed_keep(320, 240, 6.0) - 0.882).abs() < 0.01);
        assert_eq!(rotation_keep(256, 144, 6.0, &[0.95, 0.9, 0.85]), 0.85);
        assert_eq!(rotation_keep(256, 144, 3.0, &[0.95, 0.9, 0.85]), 0.9);
        assert_eq!(
            rotation_keep(256, 144, 3.0, &[]),
            inscribed_keep(256, 144, 3.0)
        );
        let crop = centre_crop(&f, 0.85);
        let mut pdq = Pdq::new();
        let mut hash = |f: &Frame| {
            pdq.hash_gray(&f.luma, f.width as usize, f.height as usize)
                .unwrap()
                .hash
        };
        let want = hash(&f.cropped(&crop));
        let turned = rotate(&f, 5.0);
        let back = rotate(&turned, -5.0);
        let crop_back = hash(&back.cropped(&crop));
        let crop_turned = hash(&turned.cropped(&crop));
        assert!(
            want.distance(&crop_back) <= 20,
            "{}",
            want.distance(&crop_back)
        );
        assert!(
            want.distance(&crop_turned) > 40,
            "{}",
            want.distance(&crop_turned)
        );
        assert_eq!(rotate(&f, 0.0), f);
        let part = rotate_cropped(&turned, -5.0, &crop);
        let whole = back.cropped(&crop);
        assert_eq!((part.width, part.height), (whole.width, whole.height));
        let worst = part
            .luma
            .iter()
            .zip(&whole.luma)
            .map(|(a, b)| a.abs_diff(*b))
            .max();
        // Same pixels up to the rounding of the 8.8 fixed-point weights.
        assert!(worst.is_some_and(|d| d <= 1), "{worst:?}");
    }
}
