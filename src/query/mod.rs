//! Query variants: the ways an upload's frames are hashed besides the plain frame, so that
//! copies PDQ cannot see through are brought back into register with a banked frame. All of
//! them live on the upload side (the upload is hashed once; the index is stored forever):
//!
//! - **Mirror**: each variant is also hashed from the flipped pixels (the mirror derived from
//!   the DCT is up to ~28 bits off, because PDQ's box filter is not symmetric).
//! - **Bands** ([`Variant::Region`]): the bands the index banked (its recipe says which:
//!   [`crate::bank::BankOptions::regions`]), for burned-in captions and logos.
//! - **Inset** ([`Variant::Inset`], [`InsetDetector`]): the frame cropped to a detected
//!   picture-in-picture inset and scaled back to the frame's width (see [`inset`]).
//! - **Rotations** ([`Variant::Rotated`], [`ROTATION_GRID_DEG`]): each frame is also rotated back by a few angles
//!   about its centre and cropped to the largest banked centre crop that the rotation leaves
//!   free of black corners. Measured on the 720p Big Buck Bunny fixture with
//!   `scripts/rotation_tolerance.py` (11 frames, median/max PDQ bits against the banked 0.85
//!   crop): a residual angle of 0.5° costs 12/16 bits, 1° 24/30, 1.5° 34/40, 2° 44/50. The
//!   search radius is 40 bits and segments need a mean of at most 36, so one angle covers
//!   about ±1.5°, and a grid at 3° steps (±3°, ±6°) covers rotations up to about 7.5° either
//!   way; the plain frame covers the first ±1.5°. Checked end to end (`staydown check`,
//!   a 32 s 640×360 bbb loop banked as a work, copies made with ffmpeg's `rotate`): copies
//!   rotated by 0, 1.5, 2, 3, 4, 4.5, 5, 6, 7 and 7.5° are `match` (29–32 of 32 frames), 8°
//!   and 9° are `clean`; without the rotations only 0 and 1.5° match.
//!
//! [`QueryVariants`] says which variants to search; [`upload_fingerprints`] decodes once and
//! hashes every variant on its own thread, each result carrying its [`Variant`].
//!
//! **Cost** (`cargo bench --bench query_variants`, CPU time of all hashing threads for a
//! 60-frame 256×144 upload with an inset, on the shared 2-core build machine, load ~6):
//! plain frames and mirrors 26.8 ms, plus the inset 55.4 ms, plus the four rotations (the
//! default) 147.2 ms, i.e. 2.5 ms instead of 0.45 ms per sampled frame. Next to decoding this is
//! small: `staydown check` of a 32 s 1280×720 upload (bbb-720p looped) against a one-work
//! index took 2.75 s of CPU (user + sys, ffmpeg included; mean of 5) with
//! `--no-pip --no-rotations` and 2.79 s by default; wall 2.46 s and 2.68 s on the loaded
//! machine. The matcher searches 6 hashes per frame instead of 2 (7 with an inset), so the
//! search part of a check costs about 3× (3.5×); the index is unchanged (rotations reuse
//! the banked centre crops).

pub mod inset;

use std::sync::mpsc;

use crate::decode::{
    Frame, FrameSource, Region, centre_crop, flip, inscribed_keep, rotate_cropped,
};
use crate::error::Result;
use crate::fingerprint::{Fingerprint, Fingerprinter, Worker, mapped, run_workers};

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
    /// The frame cropped to a detected picture-in-picture inset, scaled back to its width.
    Inset,
    /// The frame rotated back by this many degrees and cropped to a banked centre crop.
    Rotated(f64),
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
    /// Carry each frame's mirror hash, hashed from the flipped pixels (plain frames and
    /// bands). Default true.
    pub mirror: bool,
    /// Look for a picture-in-picture inset over the first frames (see [`inset`]) and, when
    /// one is found, hash every frame cropped to it and scaled back to the frame's width.
    /// `None` turns it off. Default on.
    pub inset: Option<InsetDetector>,
    /// Also hash each frame rotated back by these angles, in degrees (see
    /// [`ROTATION_GRID_DEG`], the default), cropped to the largest banked centre crop that
    /// leaves out the black corners. Empty turns it off.
    pub rotations_deg: Vec<f64>,
    /// Also hash the bands (top or bottom regions) the index banked, each with its mirror
    /// when `mirror`. Default true.
    pub bands: bool,
}

impl Default for QueryVariants {
    fn default() -> Self {
        QueryVariants {
            mirror: true,
            inset: Some(InsetDetector::default()),
            rotations_deg: ROTATION_GRID_DEG.to_vec(),
            bands: true,
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
        }
    }

    /// The variants to hash against an index that banked `banked` beside the whole frame,
    /// in the order their fingerprints are returned, each with whether its mirror is hashed.
    pub fn plan(&self, banked: &[Region]) -> Vec<(Variant, bool)> {
        let mut plan = vec![(Variant::Plain, self.mirror)];
        if self.inset.is_some() {
            plan.push((Variant::Inset, false));
        }
        plan.extend(
            self.rotations_deg
                .iter()
                .map(|&d| (Variant::Rotated(d), false)),
        );
        if self.bands {
            plan.extend(
                banked
                    .iter()
                    .filter(|r| !matches!(r, Region::Centre(_)))
                    .map(|&r| (Variant::Region(r), self.mirror)),
            );
        }
        plan
    }
}

/// The centre crops among `banked`, as shares of width and height kept.
fn centre_crops(banked: &[Region]) -> Vec<f64> {
    banked
        .iter()
        .filter_map(|r| match r {
            Region::Centre(keep) => Some(*keep),
            _ => None,
        })
        .collect()
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

/// One hashing thread's work for `variant` (of the flipped frames when `mirrored`).
fn worker(
    plain: &Fingerprinter,
    variant: Variant,
    mirrored: bool,
    banked_crops: &[f64],
    inset: Option<InsetDetector>,
) -> Worker<'static> {
    match variant {
        Variant::Plain => mapped(
            plain.clone(),
            if mirrored {
                Box::new(flip)
            } else {
                Box::new(|f: &Frame| f.clone())
            },
        ),
        Variant::Region(region) => mapped(
            plain.clone(),
            Box::new(move |f: &Frame| {
                let part = f.cropped(&region.crop(f));
                if mirrored { flip(&part) } else { part }
            }),
        ),
        Variant::Inset => {
            let plain = plain.clone();
            let detector = inset.unwrap_or_default();
            Box::new(move |rx: mpsc::Receiver<Frame>| {
                inset::inset_fingerprint(rx, &plain, &detector)
            })
        }
        Variant::Rotated(degrees) => {
            let banked = banked_crops.to_vec();
            mapped(
                Fingerprinter {
                    crop_borders: false,
                    ..plain.clone()
                },
                Box::new(move |f: &Frame| {
                    let keep = rotation_keep(f.width, f.height, degrees, &banked);
                    rotate_cropped(f, -degrees, &centre_crop(f, keep))
                }),
            )
        }
    }
}

/// The hashing threads' work for every entry of `plan`, with the mirror of an entry right
/// after it; [`collect`] folds the results back.
pub(crate) fn workers(
    fingerprinter: &Fingerprinter,
    variants: &QueryVariants,
    banked: &[Region],
) -> (Vec<(Variant, bool)>, Vec<Worker<'static>>) {
    let plain = Fingerprinter {
        with_mirror: false,
        ..fingerprinter.clone()
    };
    let crops = centre_crops(banked);
    let mut jobs = Vec::new();
    let mut out = Vec::new();
    for (variant, with_mirror) in variants.plan(banked) {
        for mirrored in [false, true] {
            if mirrored && !with_mirror {
                continue;
            }
            jobs.push((variant, mirrored));
            out.push(worker(&plain, variant, mirrored, &crops, variants.inset));
        }
    }
    (jobs, out)
}

/// Pairs each result with its job and folds every mirrored result into the `mirror` hashes
/// of the same variant's plain result; variants that found nothing (no inset) are left out.
pub(crate) fn collect(
    jobs: &[(Variant, bool)],
    results: Vec<Option<Fingerprint>>,
) -> Vec<VariantFingerprint> {
    let mut out: Vec<VariantFingerprint> = Vec::new();
    let mut mirrors: Vec<(Variant, Fingerprint)> = Vec::new();
    for (&(variant, mirrored), fp) in jobs.iter().zip(results) {
        let Some(fingerprint) = fp else { continue };
        if mirrored {
            mirrors.push((variant, fingerprint));
        } else {
            out.push(VariantFingerprint {
                variant,
                fingerprint,
            });
        }
    }
    for (variant, flipped) in mirrors {
        if let Some(vf) = out.iter_mut().find(|vf| vf.variant == variant) {
            for (f, m) in vf.fingerprint.frames.iter_mut().zip(&flipped.frames) {
                if f.pts_ms == m.pts_ms {
                    f.mirror = Some(m.hash);
                }
            }
        }
    }
    out
}

/// The fingerprints an upload is checked with against an index that banked `banked` beside
/// the whole frame ([`crate::index::Search::banked_regions`]): the plain frames first, then
/// the inset (when one was found), the rotations and the bands, as [`QueryVariants::plan`]
/// orders them. All share the plain frames' times: match them with
/// [`Matcher::match_variants`](crate::matcher::Matcher::match_variants).
///
/// *Performance*: one decode; each variant is one more PDQ hash per frame on its own
/// thread (plus a bilinear rotation or crop-and-scale of a 256-pixel-wide plane), and one
/// more search per frame in the matcher.
///
/// # Errors
/// The decoder's errors, naming the file.
pub fn upload_fingerprints(
    source: FrameSource,
    fingerprinter: &Fingerprinter,
    variants: &QueryVariants,
    banked: &[Region],
) -> Result<QueryFingerprints> {
    let (jobs, workers) = workers(fingerprinter, variants, banked);
    let (results, damage) = run_workers(source, workers)?;
    Ok(QueryFingerprints {
        variants: collect(&jobs, results),
        damage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{inscribed_keep, rotate};
    use crate::hash::Pdq;
    use crate::synth::SynthVideo;

    #[test]
    fn plan_follows_the_banked_regions() {
        let banked = [Region::Centre(0.9), Region::Top(0.75), Region::Bottom(0.75)];
        let plan = QueryVariants::default().plan(&banked);
        assert_eq!(plan[0], (Variant::Plain, true));
        assert_eq!(plan[1], (Variant::Inset, false));
        assert_eq!(plan.len(), 1 + 1 + 4 + 2);
        assert_eq!(plan[6], (Variant::Region(Region::Top(0.75)), true));
        assert_eq!(
            QueryVariants::default().plan(&[]).len(),
            6,
            "no band banked"
        );
        assert_eq!(
            QueryVariants::plain(false).plan(&banked),
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
