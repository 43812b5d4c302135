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

use crate::decode::{Crop, DecodeOptions, Frame, FrameSource, downscale};
use crate::error::{Error, Result};
use crate::fingerprint::{Fingerprint, Fingerprinter};
use crate::index::Search;
use crate::matcher::{MatchOptions, Matcher, Policy, Verdict};
use crate::report::Outcome;

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

/// Centre crops banked beside every reference frame, as the share of width and height kept
/// (the [`Region::Centre`] entries of [`BANK_REGIONS`]).
pub const BANK_CROPS: [f64; 3] = [0.95, 0.90, 0.85];

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

/// Decodes `source` once and makes one fingerprint per `(fingerprinter, map)` pair, each on
/// its own thread behind a small bounded queue, so nothing holds the whole video. The
/// fingerprints carry the source's duration, size and frame rate.
///
/// # Errors
/// The decoder's errors; a hashing thread's error.
pub fn fingerprint_each(
    mut source: FrameSource,
    variants: Vec<(Fingerprinter, FrameMap)>,
) -> Result<Vec<Fingerprint>> {
    let results = fingerprint_stream(|| source.next_frame(), variants)?;
    let info = source.info();
    Ok(results
        .into_iter()
        .map(|fp| Fingerprint {
            duration_ms: info.duration_ms.unwrap_or(fp.duration_ms),
            width: info.width,
            height: info.height,
            fps: info.fps,
            ..fp
        })
        .collect())
}

/// Feeds the frames `next` yields to one hashing thread per variant (see
/// [`fingerprint_each`]).
fn fingerprint_stream(
    mut next: impl FnMut() -> Result<Option<Frame>>,
    variants: Vec<(Fingerprinter, FrameMap)>,
) -> Result<Vec<Fingerprint>> {
    thread::scope(|s| {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for (fingerprinter, map) in variants {
            let (tx, rx) = mpsc::sync_channel::<Frame>(4);
            senders.push((tx, map));
            handles.push(s.spawn(move || fingerprinter.fingerprint_frames(rx)));
        }
        let mut decode_error = None;
        'frames: loop {
            match next() {
                Ok(Some(frame)) => {
                    for (tx, map) in &senders {
                        if tx.send(map(&frame)).is_err() {
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
        let fps: Vec<Result<Fingerprint>> = handles
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
    })
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

/// The fingerprints an upload is checked with: the plain frames, each carrying the hash of
/// its mirror image (hashed from the flipped pixels: the mirror derived from the DCT is up
/// to ~28 bits off, because PDQ's box filter is not symmetric) when `mirror`; with `pip`,
/// five more fingerprints of the same frames (each quadrant and the centre at half size)
/// for picture-in-picture copies; then one fingerprint per region in `regions` (see
/// [`QUERY_REGIONS`]), each with its mirrors when `mirror`. Match them with
/// [`Matcher::match_variants`].
///
/// # Errors
/// The decoder's errors, naming the file.
pub fn upload_fingerprints(
    source: FrameSource,
    fingerprinter: &Fingerprinter,
    mirror: bool,
    pip: bool,
    regions: &[Region],
) -> Result<Vec<Fingerprint>> {
    let hashing = UploadHashing::new(fingerprinter, mirror, pip, regions);
    let mut fps = fingerprint_each(source, hashing.variants)?;
    hashing.layout.pair_mirrors(&mut fps);
    Ok(fps)
}

/// Where the flipped variants of [`upload_fingerprints`] sit, to fold them into mirrors.
#[derive(Clone, Copy)]
struct MirrorLayout {
    mirror: bool,
    first_region: usize,
}

impl MirrorLayout {
    /// Folds each flipped fingerprint into the mirror hashes of the one it follows.
    fn pair_mirrors(self, fps: &mut Vec<Fingerprint>) {
        if !self.mirror || fps.len() < 2 {
            return;
        }
        let mut i = self.first_region;
        while i + 1 < fps.len() {
            let flipped = fps.remove(i + 1);
            attach_mirrors(&mut fps[i], &flipped);
            i += 1;
        }
        let flipped = fps.remove(1);
        attach_mirrors(&mut fps[0], &flipped);
    }
}

/// The frame maps an upload is hashed with.
struct UploadHashing {
    variants: Vec<(Fingerprinter, FrameMap)>,
    layout: MirrorLayout,
}

impl UploadHashing {
    fn new(fingerprinter: &Fingerprinter, mirror: bool, pip: bool, regions: &[Region]) -> Self {
        let plain = Fingerprinter {
            with_mirror: false,
            ..fingerprinter.clone()
        };
        let mut variants: Vec<(Fingerprinter, FrameMap)> =
            vec![(plain.clone(), Box::new(|f: &Frame| f.clone()))];
        if mirror {
            variants.push((plain.clone(), Box::new(flip)));
        }
        if pip {
            let parts = Fingerprinter {
                crop_borders: false,
                ..plain.clone()
            };
            for (fx, fy) in [(0.0, 0.0), (0.5, 0.0), (0.0, 0.5), (0.5, 0.5), (0.25, 0.25)] {
                variants.push((
                    parts.clone(),
                    Box::new(move |f: &Frame| {
                        let (w, h) = (f.width / 2, f.height / 2);
                        let left = (f64::from(f.width) * fx) as u32;
                        let top = (f64::from(f.height) * fy) as u32;
                        f.cropped(&Crop {
                            left,
                            top,
                            right: f.width - left - w,
                            bottom: f.height - top - h,
                        })
                    }),
                ));
            }
        }
        // Each region, then (with `mirror`) the same region of the flipped frame. The bands are
        // symmetric left to right, so the flipped frame's band is the band's mirror image.
        let first_region = variants.len();
        for &region in regions {
            variants.push((
                plain.clone(),
                Box::new(move |f: &Frame| f.cropped(&region.crop(f))),
            ));
            if mirror {
                variants.push((
                    plain.clone(),
                    Box::new(move |f: &Frame| flip(&f.cropped(&region.crop(f)))),
                ));
            }
        }
        UploadHashing {
            variants,
            layout: MirrorLayout {
                mirror,
                first_region,
            },
        }
    }
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
    /// Also search each quadrant and the centre at half size (picture-in-picture copies);
    /// six fingerprints per upload instead of one. Default off.
    pub pip: bool,
    /// Regions of each frame hashed beside it (default [`QUERY_REGIONS`]).
    pub regions: Vec<Region>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            decode: DecodeOptions::default(),
            fingerprinter: Fingerprinter::new(),
            matcher: MatchOptions::default(),
            policy: Policy::default(),
            pip: false,
            regions: QUERY_REGIONS.to_vec(),
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
        let mut variants = upload_fingerprints(
            source,
            &self.options.fingerprinter,
            self.options.matcher.mirrored,
            self.options.pip,
            &self.options.regions,
        )?;
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

    /// Starts checking frames the caller decodes itself; see [`CheckSession`].
    pub fn session(&self) -> CheckSession<'_, S> {
        let (tx, rx) = mpsc::sync_channel::<Frame>(SESSION_QUEUE);
        let hashing = UploadHashing::new(
            &self.options.fingerprinter,
            self.options.matcher.mirrored,
            self.options.pip,
            &self.options.regions,
        );
        let worker = thread::Builder::new()
            .name("staydown-hash".into())
            .spawn(move || {
                let layout = hashing.layout;
                let mut fps = fingerprint_stream(|| Ok(rx.recv().ok()), hashing.variants)?;
                layout.pair_mirrors(&mut fps);
                Ok(fps)
            })
            .ok();
        CheckSession {
            checker: self,
            tx: Some(tx),
            worker,
            next_ms: 0,
            last_ms: None,
            pushed: 0,
        }
    }
}

/// Frames a session queues for hashing before [`CheckSession::push`] waits.
const SESSION_QUEUE: usize = 8;

/// Frames pushed by a pipeline, hashed as they arrive on helper threads (one per hashed
/// variant: the frame, its mirror, its bands), exactly as [`Checker::check_path`] hashes.
///
/// Frames must come in presentation order. They are sampled at the checker's decode rate
/// (`DecodeOptions::fps`, by their timestamps) and downscaled like decoded frames, so pushing
/// every frame of a video gives the same fingerprint as [`Checker::check_path`] up to decoder
/// differences. At most a few frames are held at a time.
pub struct CheckSession<'a, S> {
    checker: &'a Checker<S>,
    tx: Option<mpsc::SyncSender<Frame>>,
    worker: Option<thread::JoinHandle<Result<Vec<Fingerprint>>>>,
    next_ms: u64,
    last_ms: Option<u64>,
    pushed: u64,
}

impl<S: Search> CheckSession<'_, S> {
    /// Adds one frame.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a frame whose plane does not match its size or whose
    /// timestamp goes backwards; the hashing thread's error if it stopped.
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
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(frame).is_ok());
        if !sent {
            // The hashing thread ended early: report its error.
            self.tx = None;
            return match self.join() {
                Err(e) => Err(e),
                Ok(_) => Err(Error::InvalidArgument("frame hashing stopped".into())),
            };
        }
        Ok(())
    }

    fn join(&mut self) -> Result<Vec<Fingerprint>> {
        match self.worker.take() {
            Some(handle) => handle.join().unwrap_or_else(|_| {
                Err(Error::InvalidArgument(
                    "frame hashing thread panicked".into(),
                ))
            }),
            None => Err(Error::InvalidArgument(
                "could not start the frame hashing thread".into(),
            )),
        }
    }

    /// Ends the stream and returns the verdict.
    ///
    /// # Errors
    /// The hashing thread's error.
    pub fn finish(mut self) -> Result<Checked> {
        self.tx = None;
        let mut variants = self.join()?;
        if let (Some(last), Some(fps)) = (self.last_ms, self.checker.options.decode.fps) {
            for v in &mut variants {
                v.duration_ms = last + (1000.0 / fps.max(1.0)) as u64;
            }
        }
        let refs: Vec<&Fingerprint> = variants.iter().collect();
        let verdict = self.checker.matcher().match_variants(&refs);
        Ok(Checked {
            fingerprint: variants.swap_remove(0),
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
