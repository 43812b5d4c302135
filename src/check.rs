//! Checking uploads against an index: the calls an upload pipeline makes.
//!
//! A [`Checker`] bundles what checking needs — a [`Search`] (usually an index
//! [`Snapshot`](crate::index::Snapshot)), how to decode and fingerprint, and the matcher's
//! options and policy — and offers three ways in:
//!
//! - [`Checker::check_path`]: a file (anything [`FrameSource::open`] reads);
//! - [`Checker::session`]: frames the pipeline decoded itself, pushed one at a time with their
//!   timestamps, hashed as they arrive on a helper thread (memory stays bounded), with the
//!   verdict at [`CheckSession::finish`];
//! - [`Checker::check_fingerprint`]: a fingerprint made elsewhere (a vPDQ hash list).
//!
//! A `Checker<Snapshot>` is `Send + Sync`: open the index once and share the checker by
//! reference across threads; each call works on the snapshot it was built with.

use std::path::Path;
use std::sync::mpsc;
use std::thread;

use crate::decode::{Crop, DecodeOptions, Frame, FrameSource, downscale, resample_bilinear};
use crate::error::{Error, Result};
use crate::fingerprint::{Fingerprint, Fingerprinter};
use crate::geometry::{InsetDetector, ROTATION_GRID_DEG, rotate_cropped, rotation_keep};
use crate::index::Search;
use crate::matcher::{MatchOptions, Matcher, Policy, Verdict};
use crate::report::Outcome;

/// Centre crops banked beside every reference frame, as the share of width and height kept
/// (the [`Region::Centre`] entries of [`BANK_REGIONS`]).
pub const BANK_CROPS: [f64; 3] = [0.95, 0.90, 0.85];

/// A part of a frame hashed on its own beside the whole frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Region {
    /// The centred crop keeping this share (0..=1) of the width and of the height.
    Centre(f64),
    /// The top of the frame, full width, keeping this share of the height.
    Top(f64),
    /// The bottom of the frame, full width, keeping this share of the height.
    Bottom(f64),
}

impl Region {
    /// The crop of `f` this region keeps.
    pub fn crop(&self, f: &Frame) -> Crop {
        let band = |keep: f64| {
            ((f64::from(f.height) * keep.clamp(0.05, 1.0)).round() as u32).clamp(1, f.height.max(1))
        };
        match *self {
            Region::Centre(keep) => centre_crop(f, keep),
            Region::Top(keep) => Crop {
                bottom: f.height - band(keep),
                ..Crop::default()
            },
            Region::Bottom(keep) => Crop {
                top: f.height - band(keep),
                ..Crop::default()
            },
        }
    }
}

/// The regions banked beside every reference frame.
///
/// Centre crops: PDQ moves 22–26 bits for a 3% centre crop and 40–50 bits for 5%, so a
/// cropped or zoomed re-upload is found only if a crop close to it was banked.
///
/// Bands: a caption burned in along the bottom or a logo in a corner moves PDQ 30–50 bits
/// for the whole frame, but the band of the frame without it stays within a few bits
/// (measured on the real fixture with the reference `pdqhash`: a bottom caption, 32.7 bits
/// for the frame, 1.5 for its top 78%; a top-right logo, 41.5 bits for the frame, 0.9 for
/// its bottom 75%). Uploads are hashed with the same bands ([`QUERY_REGIONS`]).
///
/// The five regions make an index 6× as large as the plain frames alone (see the README for
/// the measured recall and cost); `ban --no-crops` banks the plain frames alone.
pub const BANK_REGIONS: [Region; 5] = [
    Region::Centre(BANK_CROPS[0]),
    Region::Centre(BANK_CROPS[1]),
    Region::Centre(BANK_CROPS[2]),
    Region::Top(0.75),
    Region::Bottom(0.75),
];

/// The regions an upload is hashed with beside the whole frame (each with its mirror): the
/// bands of [`BANK_REGIONS`], for captions and logos.
pub const QUERY_REGIONS: [Region; 2] = [Region::Top(0.75), Region::Bottom(0.75)];

/// The centred crop of `f` keeping `keep` (0..=1) of its width and height.
pub fn centre_crop(f: &Frame, keep: f64) -> Crop {
    let keep = keep.clamp(0.05, 1.0);
    let w = ((f64::from(f.width) * keep).round() as u32).clamp(1, f.width.max(1));
    let h = ((f64::from(f.height) * keep).round() as u32).clamp(1, f.height.max(1));
    let left = (f.width - w) / 2;
    let top = (f.height - h) / 2;
    Crop {
        left,
        top,
        right: f.width - w - left,
        bottom: f.height - h - top,
    }
}

/// The frame mirrored left to right.
pub fn flip(f: &Frame) -> Frame {
    let w = f.width as usize;
    let mut luma = f.luma.clone();
    if w > 0 {
        for row in luma.chunks_mut(w) {
            row.reverse();
        }
    }
    Frame { luma, ..f.clone() }
}

/// A change applied to every decoded frame before one of several fingerprints is made.
pub type FrameMap = Box<dyn Fn(&Frame) -> Frame + Send + Sync>;

/// A hashing thread's work: it receives every decoded frame and returns a fingerprint, or
/// `None` when it has nothing to add (an inset search that found no inset).
type Worker<'a> = Box<dyn FnOnce(mpsc::Receiver<Frame>) -> Result<Option<Fingerprint>> + Send + 'a>;

/// Decodes `source` once and makes one fingerprint per `(fingerprinter, map)` pair, each on
/// its own thread behind a small bounded queue, so nothing holds the whole video. The
/// fingerprints carry the source's duration, size and frame rate.
///
/// # Errors
/// The decoder's errors; a hashing thread's error.
pub fn fingerprint_each(
    source: FrameSource,
    variants: Vec<(Fingerprinter, FrameMap)>,
) -> Result<Vec<Fingerprint>> {
    let workers: Vec<Worker<'static>> = variants
        .into_iter()
        .map(|(fingerprinter, map)| -> Worker<'static> {
            Box::new(move |rx: mpsc::Receiver<Frame>| {
                fingerprinter
                    .fingerprint_frames(rx.into_iter().map(|f| map(&f)))
                    .map(Some)
            })
        })
        .collect();
    Ok(run_workers(source, workers)?
        .into_iter()
        .flatten()
        .collect())
}

/// Decodes `source` once, sending every frame to each worker on its own thread.
fn run_workers(
    mut source: FrameSource,
    workers: Vec<Worker<'_>>,
) -> Result<Vec<Option<Fingerprint>>> {
    let results = thread::scope(|s| {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for work in workers {
            let (tx, rx) = mpsc::sync_channel::<Frame>(4);
            senders.push(tx);
            handles.push(s.spawn(move || work(rx)));
        }
        let mut decode_error = None;
        'frames: loop {
            match source.next_frame() {
                Ok(Some(frame)) => {
                    for tx in &senders {
                        if tx.send(frame.clone()).is_err() {
                            break 'frames;
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    decode_error = Some(e);
                    break;
                }
            }
        }
        drop(senders);
        let fps: Vec<Result<Option<Fingerprint>>> = handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::InvalidArgument(
                        "frame hashing thread panicked".into(),
                    ))
                })
            })
            .collect();
        match decode_error {
            Some(e) => Err(e),
            None => fps.into_iter().collect::<Result<Vec<_>>>(),
        }
    })?;
    let info = source.info();
    Ok(results
        .into_iter()
        .map(|fp| {
            fp.map(|fp| Fingerprint {
                duration_ms: info.duration_ms.unwrap_or(fp.duration_ms),
                width: info.width,
                height: info.height,
                fps: info.fps,
                ..fp
            })
        })
        .collect())
}

/// The fingerprints a reference is banked with: the plain frames first, then one per region
/// in `regions` (see [`BANK_REGIONS`]). Pass them to
/// [`IndexWriter::add_work_variants`](crate::index::IndexWriter::add_work_variants).
///
/// # Errors
/// The decoder's errors, naming the file.
pub fn reference_fingerprints(
    path: impl AsRef<Path>,
    decode: &DecodeOptions,
    fingerprinter: &Fingerprinter,
    regions: &[Region],
) -> Result<Vec<Fingerprint>> {
    let source = FrameSource::open(path, decode)?;
    let plain = Fingerprinter {
        with_mirror: false,
        ..fingerprinter.clone()
    };
    let mut variants: Vec<(Fingerprinter, FrameMap)> =
        vec![(plain.clone(), Box::new(|f: &Frame| f.clone()))];
    for &region in regions {
        variants.push((
            plain.clone(),
            Box::new(move |f: &Frame| f.cropped(&region.crop(f))),
        ));
    }
    fingerprint_each(source, variants)
}

/// Which variants of its frames an upload is searched with, besides the plain frames.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryVariants {
    /// Carry each frame's mirror hash, hashed from the flipped pixels (the mirror derived
    /// from the DCT is up to ~28 bits off, because PDQ's box filter is not symmetric).
    /// Default true.
    pub mirror: bool,
    /// Look for a picture-in-picture inset over the first frames (see
    /// [`geometry`](crate::geometry)) and, when one is found, hash every frame cropped to
    /// it and scaled back to the frame's width. `None` turns it off. Default on.
    pub inset: Option<InsetDetector>,
    /// Also hash each frame rotated back by these angles, in degrees (see
    /// [`ROTATION_GRID_DEG`], the default), cropped to a centre crop from `banked_crops`
    /// that leaves out the black corners. Empty turns it off.
    pub rotations_deg: Vec<f64>,
    /// The centre crops references were banked with (default [`BANK_CROPS`]).
    pub banked_crops: Vec<f64>,
    /// Also hash these regions of each frame, each with its mirror when `mirror` (default
    /// [`QUERY_REGIONS`], the bands banked for captions and logos). Empty turns it off.
    pub bands: Vec<Region>,
}

impl Default for QueryVariants {
    fn default() -> Self {
        QueryVariants {
            mirror: true,
            inset: Some(InsetDetector::default()),
            rotations_deg: ROTATION_GRID_DEG.to_vec(),
            banked_crops: BANK_CROPS.to_vec(),
            bands: QUERY_REGIONS.to_vec(),
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
            banked_crops: BANK_CROPS.to_vec(),
            bands: Vec::new(),
        }
    }
}

/// The inset variant's worker: holds the first `window` frames, finds the inset in them
/// (after removing black bars, so a windowboxed picture is not taken for an inset), then
/// hashes every frame of that size cropped to the inset and scaled back to the frame's
/// width. Without an inset it only drains its queue.
fn inset_fingerprint(
    rx: mpsc::Receiver<Frame>,
    fingerprinter: &Fingerprinter,
    detector: &InsetDetector,
) -> Result<Option<Fingerprint>> {
    let mut frames = rx.iter();
    let window: Vec<Frame> = frames
        .by_ref()
        .take(fingerprinter.border_window.max(detector.min_frames))
        .collect();
    let Some(first) = window.first() else {
        return Ok(None);
    };
    let (w, h) = (first.width, first.height);
    let bars = if fingerprinter.crop_borders {
        fingerprinter.border.detect(&window)
    } else {
        Crop::default()
    };
    let bars = if bars.fits(w, h) {
        bars
    } else {
        Crop::default()
    };
    let unbarred: Vec<Frame> = window
        .iter()
        .filter(|f| (f.width, f.height) == (w, h))
        .map(|f| f.cropped(&bars))
        .collect();
    let Some(inset) = detector.detect(&unbarred) else {
        frames.for_each(drop);
        return Ok(None);
    };
    let crop = Crop {
        left: bars.left + inset.left,
        top: bars.top + inset.top,
        right: bars.right + inset.right,
        bottom: bars.bottom + inset.bottom,
    };
    let (cw, ch) = crop.size_of(w, h);
    let out_h = ((u64::from(ch) * u64::from(w)) / u64::from(cw.max(1))).max(1) as u32;
    let plain = Fingerprinter {
        with_mirror: false,
        crop_borders: false,
        ..fingerprinter.clone()
    };
    let crops = window
        .into_iter()
        .chain(frames)
        .filter(|f| (f.width, f.height) == (w, h))
        .map(|f| resample_bilinear(&f.cropped(&crop), w, out_h));
    plain.fingerprint_frames(crops).map(Some)
}

/// The fingerprints an upload is checked with: first the plain frames, each carrying the
/// hash of its mirror image when `variants.mirror`; then, when asked, the frames cropped to
/// a detected picture-in-picture inset (only if one was found) and the frames rotated back
/// by each angle of `variants.rotations_deg`. All share the plain frames' times: match them
/// with [`Matcher::match_variants`].
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
) -> Result<Vec<Fingerprint>> {
    let fps = run_workers(source, query_workers(fingerprinter, variants))?;
    Ok(merge_mirror(fps, variants))
}

/// One worker per fingerprint of [`upload_fingerprints`]: the plain frames, their mirror
/// (second, when asked), the inset, the rotations, then each band and its mirror.
fn query_workers(fingerprinter: &Fingerprinter, variants: &QueryVariants) -> Vec<Worker<'static>> {
    let plain = Fingerprinter {
        with_mirror: false,
        ..fingerprinter.clone()
    };
    let simple = |fingerprinter: Fingerprinter, map: FrameMap| -> Worker<'static> {
        Box::new(move |rx: mpsc::Receiver<Frame>| {
            fingerprinter
                .fingerprint_frames(rx.into_iter().map(|f| map(&f)))
                .map(Some)
        })
    };
    let mut workers = vec![simple(plain.clone(), Box::new(|f: &Frame| f.clone()))];
    if variants.mirror {
        workers.push(simple(plain.clone(), Box::new(flip)));
    }
    if let Some(detector) = variants.inset {
        let plain = plain.clone();
        workers.push(Box::new(move |rx: mpsc::Receiver<Frame>| {
            inset_fingerprint(rx, &plain, &detector)
        }));
    }
    let turned = Fingerprinter {
        crop_borders: false,
        ..plain.clone()
    };
    for &degrees in &variants.rotations_deg {
        let banked = variants.banked_crops.clone();
        workers.push(simple(
            turned.clone(),
            Box::new(move |f: &Frame| {
                let keep = rotation_keep(f.width, f.height, degrees, &banked);
                rotate_cropped(f, -degrees, &centre_crop(f, keep))
            }),
        ));
    }
    // Each band, then (with `mirror`) the same band of the flipped frame: the bands are
    // symmetric left to right, so that is the band's mirror image.
    for &region in &variants.bands {
        workers.push(simple(
            plain.clone(),
            Box::new(move |f: &Frame| f.cropped(&region.crop(f))),
        ));
        if variants.mirror {
            workers.push(simple(
                plain.clone(),
                Box::new(move |f: &Frame| flip(&f.cropped(&region.crop(f)))),
            ));
        }
    }
    workers
}

/// The workers' fingerprints (in the order of [`query_workers`]) with each mirror one
/// folded into the `mirror` hashes of the one it follows, and the variants that found
/// nothing left out.
fn merge_mirror(mut fps: Vec<Option<Fingerprint>>, variants: &QueryVariants) -> Vec<Fingerprint> {
    if variants.mirror {
        let first_band = 2 + usize::from(variants.inset.is_some()) + variants.rotations_deg.len();
        let mut i = first_band;
        while i + 1 < fps.len() {
            let flipped = fps.remove(i + 1);
            if let (Some(flipped), Some(Some(band))) = (flipped, fps.get_mut(i)) {
                attach_mirrors(band, &flipped);
            }
            i += 1;
        }
        if fps.len() > 1
            && let (Some(flipped), Some(Some(first))) = (fps.remove(1), fps.first_mut())
        {
            attach_mirrors(first, &flipped);
        }
    }
    fps.into_iter().flatten().collect()
}

/// Sets each frame's mirror hash from the fingerprint of the flipped frames.
fn attach_mirrors(fp: &mut Fingerprint, flipped: &Fingerprint) {
    for (f, m) in fp.frames.iter_mut().zip(&flipped.frames) {
        if f.pts_ms == m.pts_ms {
            f.mirror = Some(m.hash);
        }
    }
}

/// Everything that decides how an upload is checked.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Sampling rate, scaling and limits of the decoder.
    pub decode: DecodeOptions,
    /// Border crop and quality threshold. Mirror hashes are added when
    /// [`MatchOptions::mirrored`] asks for them.
    pub fingerprinter: Fingerprinter,
    /// Search radius, speed range and alignment tolerances.
    pub matcher: MatchOptions,
    /// Thresholds from segments to a verdict.
    pub policy: Policy,
    /// Variants of the upload's frames searched besides the plain frames (picture-in-picture
    /// inset, rotations; see [`QueryVariants`]). Its `mirror` is taken from
    /// [`MatchOptions::mirrored`]. Default [`QueryVariants::default`].
    pub variants: QueryVariants,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            decode: DecodeOptions::default(),
            fingerprinter: Fingerprinter::new(),
            matcher: MatchOptions::default(),
            policy: Policy::default(),
            variants: QueryVariants::default(),
        }
    }
}

/// The result of checking one upload: its fingerprint and the verdict.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The upload's fingerprint (frame hashes with times and qualities).
    pub fingerprint: Fingerprint,
    /// The verdict and its evidence.
    pub verdict: Verdict,
}

impl Checked {
    /// Duration of the upload in milliseconds (from the container, or estimated from the
    /// frame times when the container does not say).
    pub fn duration_ms(&self) -> u64 {
        self.fingerprint.duration_or_estimate_ms()
    }

    /// The outcome as the report module renders it.
    pub fn outcome(&self) -> Outcome {
        Outcome::Verdict {
            duration_ms: self.duration_ms(),
            verdict: self.verdict.clone(),
        }
    }
}

/// Checks uploads against one [`Search`].
///
/// ```
/// use staydown::check::Checker;
/// use staydown::fingerprint::Fingerprinter;
/// use staydown::index::{MemoryIndex, WorkMeta};
/// use staydown::synth::SynthVideo;
/// use staydown::Decision;
///
/// // Bank a synthetic work (4 frames a second), then check a copy pushed frame by frame.
/// let work = SynthVideo::new(1).size(160, 120).fps(8).duration_ms(20_000).video();
/// let banked = Fingerprinter::new().fingerprint_frames(work.frames().step_by(2))?;
/// let mut index = MemoryIndex::new();
/// let meta = WorkMeta { id: "w1".into(), ..Default::default() };
/// index.add(meta, banked.frames.iter().map(|f| (f.pts_ms, f.hash)));
///
/// let checker = Checker::new(index);
/// let mut session = checker.session();
/// for frame in work.frames() {
///     session.push(frame)?;
/// }
/// let checked = session.finish()?;
/// assert_eq!(checked.verdict.verdict, Decision::Match);
/// assert_eq!(checked.verdict.matches[0].meta.id, "w1");
/// # Ok::<(), staydown::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Checker<S> {
    index: S,
    options: CheckOptions,
}

impl<S: Search> Checker<S> {
    /// A checker over `index` with the default options.
    pub fn new(index: S) -> Self {
        Self::with_options(index, CheckOptions::default())
    }

    /// A checker over `index` with `options`.
    pub fn with_options(index: S, options: CheckOptions) -> Self {
        Checker { index, options }
    }

    /// The searcher this checker asks.
    pub fn index(&self) -> &S {
        &self.index
    }

    /// The options in use.
    pub fn options(&self) -> &CheckOptions {
        &self.options
    }

    fn matcher(&self) -> Matcher<'_, S> {
        Matcher::new(&self.index)
            .with_options(self.options.matcher)
            .with_policy(self.options.policy)
    }

    /// Decodes, fingerprints and matches one file.
    ///
    /// *Performance*: dominated by decoding (one ffmpeg process for real video files);
    /// memory holds one frame and the fingerprint.
    ///
    /// # Errors
    /// The decoder's errors, naming the file and the cause.
    pub fn check_path(&self, path: impl AsRef<Path>) -> Result<Checked> {
        let source = FrameSource::open(path, &self.options.decode)?;
        let mut variants =
            upload_fingerprints(source, &self.options.fingerprinter, &self.query_variants())?;
        let refs: Vec<&Fingerprint> = variants.iter().collect();
        let verdict = self.matcher().match_variants(&refs);
        Ok(Checked {
            fingerprint: variants.swap_remove(0),
            verdict,
        })
    }

    /// Matches a fingerprint made elsewhere.
    pub fn check_fingerprint(&self, fingerprint: Fingerprint) -> Checked {
        let verdict = self.matcher().match_fingerprint(&fingerprint);
        Checked {
            fingerprint,
            verdict,
        }
    }

    /// The query variants this checker searches (mirror as the matcher options say).
    fn query_variants(&self) -> QueryVariants {
        QueryVariants {
            mirror: self.options.matcher.mirrored,
            ..self.options.variants.clone()
        }
    }

    /// Starts checking frames the caller decodes itself; see [`CheckSession`].
    pub fn session(&self) -> CheckSession<'_, S> {
        let mut senders = Vec::new();
        let mut workers = Vec::new();
        let mut spawned = true;
        for work in query_workers(&self.options.fingerprinter, &self.query_variants()) {
            let (tx, rx) = mpsc::sync_channel::<Frame>(SESSION_QUEUE);
            match thread::Builder::new()
                .name("staydown-hash".into())
                .spawn(move || work(rx))
            {
                Ok(handle) => {
                    senders.push(tx);
                    workers.push(handle);
                }
                Err(_) => spawned = false,
            }
        }
        CheckSession {
            checker: self,
            senders: if spawned { senders } else { Vec::new() },
            workers,
            spawned,
            next_ms: 0,
            last_ms: None,
            pushed: 0,
        }
    }
}

/// Frames a session queues for hashing before [`CheckSession::push`] waits.
const SESSION_QUEUE: usize = 8;

/// Frames pushed by a pipeline, hashed on helper threads as they arrive.
///
/// Frames must come in presentation order. They are sampled at the checker's decode rate
/// (`DecodeOptions::fps`, by their timestamps) and downscaled like decoded frames, then hashed
/// with the same query variants as [`Checker::check_path`] (one thread each), so pushing every
/// frame of a video gives the same fingerprints up to decoder differences. At most a few
/// frames per variant are held at a time, plus the inset search's window (30 frames).
pub struct CheckSession<'a, S> {
    checker: &'a Checker<S>,
    senders: Vec<mpsc::SyncSender<Frame>>,
    workers: Vec<thread::JoinHandle<Result<Option<Fingerprint>>>>,
    spawned: bool,
    next_ms: u64,
    last_ms: Option<u64>,
    pushed: u64,
}

impl<S: Search> CheckSession<'_, S> {
    /// Adds one frame.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a frame whose plane does not match its size or whose
    /// timestamp goes backwards; a hashing thread's error if it stopped.
    pub fn push(&mut self, frame: Frame) -> Result<()> {
        if frame.luma.len() as u64 != u64::from(frame.width) * u64::from(frame.height)
            || frame.width == 0
        {
            return Err(Error::InvalidArgument(format!(
                "frame at {} ms: a {}x{} plane needs {} bytes, got {}",
                frame.pts_ms,
                frame.width,
                frame.height,
                u64::from(frame.width) * u64::from(frame.height),
                frame.luma.len()
            )));
        }
        if self.last_ms.is_some_and(|last| frame.pts_ms < last) {
            return Err(Error::InvalidArgument(format!(
                "frame at {} ms comes after a frame at {} ms: push frames in presentation order",
                frame.pts_ms,
                self.last_ms.unwrap_or(0)
            )));
        }
        self.last_ms = Some(frame.pts_ms);
        let decode = &self.checker.options.decode;
        if let Some(fps) = decode.fps {
            if frame.pts_ms < self.next_ms {
                return Ok(());
            }
            let step = 1000.0 / fps;
            let slot = ((frame.pts_ms as f64 + 0.5) / step).floor() + 1.0;
            self.next_ms = (slot * step).round() as u64;
        }
        self.pushed += 1;
        let frame = downscale(frame, decode.max_width);
        let sent = !self.senders.is_empty()
            && self.senders.iter().all(|tx| tx.send(frame.clone()).is_ok());
        if !sent {
            // A hashing thread ended early (or never started): report its error.
            return match self.join() {
                Err(e) => Err(e),
                Ok(_) => Err(Error::InvalidArgument("frame hashing stopped".into())),
            };
        }
        Ok(())
    }

    /// Closes the queues and collects every worker's fingerprint.
    fn join(&mut self) -> Result<Vec<Fingerprint>> {
        self.senders.clear();
        let results: Vec<Result<Option<Fingerprint>>> = self
            .workers
            .drain(..)
            .map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    Err(Error::InvalidArgument(
                        "frame hashing thread panicked".into(),
                    ))
                })
            })
            .collect();
        if !self.spawned {
            return Err(Error::InvalidArgument(
                "could not start the frame hashing threads".into(),
            ));
        }
        let fps = results.into_iter().collect::<Result<Vec<_>>>()?;
        let fps = merge_mirror(fps, &self.checker.query_variants());
        if fps.is_empty() {
            return Err(Error::InvalidArgument("frame hashing stopped".into()));
        }
        Ok(fps)
    }

    /// Ends the stream and returns the verdict.
    ///
    /// # Errors
    /// A hashing thread's error.
    pub fn finish(mut self) -> Result<Checked> {
        let mut fps = self.join()?;
        if let (Some(last), Some(rate)) = (self.last_ms, self.checker.options.decode.fps) {
            fps[0].duration_ms = last + (1000.0 / rate.max(1.0)) as u64;
        }
        let refs: Vec<&Fingerprint> = fps.iter().collect();
        let verdict = self.checker.matcher().match_variants(&refs);
        Ok(Checked {
            fingerprint: fps.swap_remove(0),
            verdict,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{MemoryIndex, WorkMeta};
    use crate::matcher::Decision;
    use crate::synth::SynthVideo;

    fn banked(seed: u64, id: &str, index: &mut MemoryIndex) -> crate::synth::Video {
        let work = SynthVideo::new(seed)
            .size(160, 120)
            .fps(8)
            .duration_ms(24_000)
            .video();
        let fp = Fingerprinter::new()
            .fingerprint_frames(work.frames().step_by(2))
            .unwrap();
        let meta = WorkMeta {
            id: id.into(),
            ..Default::default()
        };
        index.add(meta, fp.frames.iter().map(|f| (f.pts_ms, f.hash)));
        work
    }

    #[test]
    fn pushed_frames_are_sampled_and_matched() {
        let mut index = MemoryIndex::new();
        let work = banked(11, "w11", &mut index);
        let checker = Checker::new(index);
        let mut s = checker.session();
        for f in work.mirror().frames() {
            s.push(f).unwrap();
        }
        assert_eq!(s.pushed, 24, "one frame a second of 24 s");
        let checked = s.finish().unwrap();
        assert_eq!(checked.fingerprint.frames.len(), 24);
        assert_eq!(checked.verdict.verdict, Decision::Match);
        assert!(checked.verdict.matches[0].mirrored);
    }

    #[test]
    fn pushed_picture_in_picture_frames_match_through_the_inset() {
        let mut index = MemoryIndex::new();
        let work = banked(31, "w31", &mut index);
        let other = SynthVideo::new(77)
            .size(256, 144)
            .fps(8)
            .duration_ms(24_000)
            .video();
        let pip: Vec<Frame> = work
            .frames()
            .zip(other.frames())
            .map(|(fg, bg)| {
                let small = crate::decode::resample_bilinear(&fg, 128, 72);
                let mut out = bg;
                for (y, row) in small.luma.chunks_exact(128).enumerate() {
                    let at = (8 + y) * 256 + 120;
                    out.luma[at..at + 128].copy_from_slice(row);
                }
                out
            })
            .collect();
        let checked = Checker::new(index.clone()).check_frames_for_test(pip.iter().cloned());
        assert_eq!(checked.verdict.verdict, Decision::Match);
        assert_eq!(checked.verdict.matches[0].meta.id, "w31");
        let plain = Checker::with_options(
            index,
            CheckOptions {
                variants: QueryVariants::plain(true),
                ..CheckOptions::default()
            },
        );
        assert_eq!(
            plain.check_frames_for_test(pip).verdict.verdict,
            Decision::Clean
        );
    }

    #[test]
    fn unrelated_frames_are_clean_and_bad_frames_are_refused() {
        let mut index = MemoryIndex::new();
        banked(21, "w21", &mut index);
        let checker = Checker::new(index);
        let other = SynthVideo::new(99)
            .size(160, 120)
            .fps(4)
            .duration_ms(20_000)
            .video();
        let checked = checker.check_frames_for_test(other.frames());
        assert_eq!(checked.verdict.verdict, Decision::Clean);

        let mut s = checker.session();
        let bad = Frame {
            pts_ms: 0,
            width: 10,
            height: 10,
            luma: vec![0; 99],
        };
        assert!(matches!(s.push(bad), Err(Error::InvalidArgument(_))));
        let f = other.frame(8);
        s.push(f.clone()).unwrap();
        let mut earlier = f;
        earlier.pts_ms = 0;
        assert!(s.push(earlier).is_err());
    }

    impl<S: Search> Checker<S> {
        fn check_frames_for_test(&self, frames: impl IntoIterator<Item = Frame>) -> Checked {
            let mut s = self.session();
            for f in frames {
                s.push(f).unwrap();
            }
            s.finish().unwrap()
        }
    }

    #[test]
    fn checker_over_a_snapshot_is_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Checker<crate::index::Snapshot>>();
    }
}
