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

use crate::decode::{DecodeOptions, Frame, FrameSource, downscale};
use crate::error::{Error, Result};
use crate::fingerprint::{Fingerprint, Fingerprinter, FrameHash, fan_out, panicked};
use crate::hash::Hash256;
use crate::index::Search;
use crate::matcher::{Decision, Match, MatchOptions, Matcher, Policy, Verdict};
use crate::query::{self, QueryFingerprints, QueryVariants, Variant, VariantFingerprint};
use crate::report::Outcome;

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
    /// Variants of the upload's frames searched besides the plain frames (bands,
    /// picture-in-picture inset, rotations; see [`QueryVariants`]). Its `mirror` is taken
    /// from [`MatchOptions::mirrored`]; the bands and centre crops come from the index's
    /// recipe ([`Search::banked_regions`]). Default [`QueryVariants::default`].
    pub variants: QueryVariants,
    /// A second, denser look at the parts of a file where the first look found a segment
    /// short of a `match` (see [`SecondLook`]); `None` turns it off. Default on.
    pub second_look: Option<SecondLook>,
}

/// A second look at the parts of an upload file where the first look found a segment short
/// of a `match`, sampled as densely as the file's frame rate allows (up to `fps`).
///
/// Works are banked sparsely: a keyframe stands for the frames around it only while the
/// picture changes little. In a fast pan, consecutive frames differ by 40 bits or more (41
/// on average, 68 in its busiest seconds, in the real 25 fps `bikes` clip of the eval), so
/// an upload sampled at 4 frames a second meets few of the banked keyframes closely, and a
/// short copy can fall short of a `match`. The second look decodes only the windows around
/// those segments (`pad_ms` either side) at up to `fps`, hashes every frame as the first
/// look did, and matches again with those frames added as extension-only frames
/// ([`Matcher::match_with_dense`]): they are compared with the banked frames of the works
/// the first look's seeds found, never searched in the index. A copy then meets each banked
/// keyframe at its own frame. Uploads with no segment at all, standard input and sessions
/// of pushed frames (which cannot be read again) do not pay for it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SecondLook {
    /// Highest sampling rate of the second look, frames per second. Default 30.
    pub fps: f64,
    /// Upload time decoded before and after each segment looked at again, milliseconds. Default
    /// 5,000.
    pub pad_ms: u64,
    /// At most this much upload time is looked at again, milliseconds (the strongest
    /// segments first). Default 120,000.
    pub max_ms: u64,
}

impl Default for SecondLook {
    fn default() -> Self {
        SecondLook {
            fps: 30.0,
            pad_ms: 5_000,
            max_ms: 120_000,
        }
    }
}

impl SecondLook {
    /// The windows of upload time to look at again for the first look's `segments`
    /// ([`Matcher::segments`]), in time order and disjoint: each segment short of a `match`
    /// padded by `pad_ms` (and cut at `duration_ms` when known), the strongest first until
    /// `max_ms` is spent.
    pub fn windows(&self, segments: &[Match], duration_ms: Option<u64>) -> Vec<(u64, u64)> {
        let mut spent = 0;
        let mut out: Vec<(u64, u64)> = Vec::new();
        let mut open: Vec<&Match> = segments
            .iter()
            .filter(|m| m.decision < Decision::Match)
            .collect();
        open.sort_by(|a, b| {
            b.decision
                .cmp(&a.decision)
                .then(b.score.total_cmp(&a.score))
        });
        for m in open {
            let start = m.query_start_ms.saturating_sub(self.pad_ms);
            let mut end = m.query_end_ms.saturating_add(self.pad_ms);
            if let Some(d) = duration_ms {
                end = end.min(d.max(m.query_end_ms + 1));
            }
            if start >= end || spent + (end - start) > self.max_ms {
                continue;
            }
            spent += end - start;
            out.push((start, end));
        }
        out.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(out.len());
        for (start, end) in out {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        merged
    }
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            decode: DecodeOptions::upload(),
            fingerprinter: Fingerprinter::new(),
            matcher: MatchOptions::default(),
            policy: Policy::default(),
            variants: QueryVariants::default(),
            second_look: Some(SecondLook::default()),
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
    pub fn with_options(index: S, mut options: CheckOptions) -> Self {
        // Uploads are hashed as the index hashed its works.
        options.fingerprinter.kernel = index.kernel();
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

    /// The matcher this checker decides with (its options and policy).
    pub fn matcher(&self) -> Matcher<'_, S> {
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
    ///
    /// A damaged index file is [`Error::CorruptIndex`] naming it, never a verdict (see
    /// [`Search::integrity`]). An upload with no usable frame is [`Error::NoUsableFrames`], never `clean`; one the
    /// decoder found damaged or truncated is [`Error::Damaged`] unless what could be decoded
    /// matches (a `match` stands on its evidence).
    pub fn check_path(&self, path: impl AsRef<Path>) -> Result<Checked> {
        let path = path.as_ref();
        let hashed = self.fingerprint_path(path)?;
        let damage = hashed.damage.clone();
        let verdict = self.matcher().decide(self.path_segments(path, &hashed));
        let fingerprint = hashed.plain().cloned().unwrap_or_default();
        let checked = Checked {
            fingerprint,
            verdict,
        };
        self.index.integrity()?;
        let min_quality = self.options.matcher.min_quality;
        if checked.fingerprint.good_count(min_quality) == 0 {
            return Err(Error::NoUsableFrames {
                what: path.display().to_string(),
                frames: checked.fingerprint.frames.len(),
                min_quality,
            });
        }
        match damage {
            Some(reason) if checked.verdict.verdict != Decision::Match => Err(Error::Damaged {
                path: path.to_path_buf(),
                reason,
            }),
            _ => Ok(checked),
        }
    }

    /// Every segment of the file `path`, hashed as `hashed` by
    /// [`Checker::fingerprint_path`], before the policy filters them: the first look's, or,
    /// when the first look left a segment short of a `match`, those of both looks together
    /// (see [`SecondLook`]). [`Matcher::decide`] turns them into the verdict
    /// [`Checker::check_path`] gives.
    pub fn path_segments(&self, path: &Path, hashed: &QueryFingerprints) -> Vec<Match> {
        let first: Vec<&Fingerprint> = hashed.variants.iter().map(|v| &v.fingerprint).collect();
        let matcher = self.matcher();
        let segments = matcher.segments(&first);
        let dense = self.look_again(path, hashed, &segments);
        if dense.is_empty() {
            return segments;
        }
        let dense: Vec<&Fingerprint> = dense.iter().map(|v| &v.fingerprint).collect();
        matcher.segments_with_dense(&first, &dense)
    }

    /// The second look ([`SecondLook`]) at the file `path`, hashed as `first`, whose first
    /// look found `segments` ([`Matcher::segments`]): the extra frames to match with
    /// [`Matcher::match_with_dense`], their times in register with the first look's. Empty
    /// when the second look is off, when every segment is a `match` already, for standard
    /// input (`-`, which cannot be read again), or when it cannot be made (the file changed
    /// or ffmpeg failed: the first verdict then stands).
    pub fn look_again(
        &self,
        path: &Path,
        first: &QueryFingerprints,
        segments: &[Match],
    ) -> Vec<VariantFingerprint> {
        let Some(look) = self.options.second_look else {
            return Vec::new();
        };
        if path.as_os_str() == "-" {
            // Standard input was read to its end by the first look.
            return Vec::new();
        }
        let duration = first.plain().map(Fingerprint::duration_or_estimate_ms);
        let banked = self.index.banked_regions();
        let mut out: Vec<VariantFingerprint> = Vec::new();
        for window in look.windows(segments, duration) {
            let decode = DecodeOptions {
                fps: Some(look.fps),
                window_ms: Some(window),
                ..self.options.decode.clone()
            };
            let dense = FrameSource::open(path, &decode).and_then(|source| {
                query::second_look_fingerprints(
                    source,
                    &self.options.fingerprinter,
                    &first.variants,
                    &banked,
                )
            });
            if let Ok(mut dense) = dense {
                register(&first.variants, &mut dense);
                out.extend(dense);
            }
        }
        out
    }

    /// Decodes one file and hashes it with every query variant this checker searches,
    /// without matching (see [`Checker::check_variants`]).
    ///
    /// # Errors
    /// The decoder's errors, naming the file and the cause.
    pub fn fingerprint_path(&self, path: impl AsRef<Path>) -> Result<QueryFingerprints> {
        let source = FrameSource::open(path, &self.options.decode)?;
        let probe = probe(&self.index, &self.options.matcher);
        query::upload_fingerprints(
            source,
            &self.options.fingerprinter,
            &self.query_variants(),
            &self.index.banked_regions(),
            &probe,
        )
    }

    /// Matches an upload hashed with its query variants.
    pub fn check_variants(&self, variants: Vec<VariantFingerprint>) -> Checked {
        let refs: Vec<&Fingerprint> = variants.iter().map(|v| &v.fingerprint).collect();
        let verdict = self.matcher().match_variants(&refs);
        let fingerprint = variants
            .into_iter()
            .find(|v| v.variant == Variant::Plain)
            .map(|v| v.fingerprint)
            .unwrap_or_default();
        Checked {
            fingerprint,
            verdict,
        }
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
}

impl<S: Search + Clone + Send + 'static> Checker<S> {
    /// Starts checking frames the caller decodes itself; see [`CheckSession`]. The session's
    /// hashing thread holds a clone of the index (an `Arc` clone for a
    /// [`Snapshot`](crate::index::Snapshot)).
    pub fn session(&self) -> CheckSession<'_, S> {
        let (tx, rx) = mpsc::sync_channel::<Frame>(SESSION_QUEUE);
        let index = self.index.clone();
        let fingerprinter = self.options.fingerprinter.clone();
        let matcher = self.options.matcher;
        let variants = self.query_variants();
        let worker = thread::Builder::new()
            .name("staydown-hash".into())
            .spawn(move || {
                let probe = probe(&index, &matcher);
                let banked = index.banked_regions();
                let workers = query::workers(&fingerprinter, &variants, &banked, &probe);
                let results = fan_out(rx.into_iter().map(Ok), workers)?;
                Ok(results.into_iter().flatten().collect())
            })
            .ok();
        CheckSession {
            checker: self,
            sender: worker.is_some().then_some(tx),
            worker,
            next_ms: 0,
            last_ms: None,
            pushed: 0,
        }
    }
}

/// Puts a second look's frame times in register with the first look's. Both decode the
/// same frames, so a frame both looks kept has the same plain hash in both; when frames of
/// the second look find their twin (a plain hash unique in the first look, within 3 s) at a
/// consistent other time, every frame of the second look moves by the median difference.
/// (ffmpeg times a seek from the seek point; a source whose first frame is not at its start
/// time would otherwise be off by that gap.)
fn register(first: &[VariantFingerprint], dense: &mut [VariantFingerprint]) {
    fn plain(vs: &[VariantFingerprint]) -> Option<&[FrameHash]> {
        vs.iter()
            .find(|v| v.variant == Variant::Plain)
            .map(|v| v.fingerprint.frames.as_slice())
    }
    let (Some(one), Some(two)) = (plain(first), plain(dense)) else {
        return;
    };
    let mut at: std::collections::HashMap<Hash256, Option<u64>> = Default::default();
    for f in one {
        at.entry(f.hash)
            .and_modify(|t| *t = None)
            .or_insert(Some(f.pts_ms));
    }
    let mut deltas: Vec<i64> = two
        .iter()
        .filter_map(|f| {
            let t = (*at.get(&f.hash)?)?;
            let d = t as i64 - f.pts_ms as i64;
            (d.abs() <= 3_000).then_some(d)
        })
        .collect();
    if deltas.len() < 2 {
        return;
    }
    deltas.sort_unstable();
    let shift = deltas[deltas.len() / 2];
    if shift == 0 {
        return;
    }
    for v in dense.iter_mut() {
        for f in &mut v.fingerprint.frames {
            f.pts_ms = f.pts_ms.saturating_add_signed(shift);
        }
    }
}

/// Whether a hash finds a banked frame in `index` by the matcher's seed search (or its full
/// search when the seed radius covers the search radius), and the closest one's distance.
fn probe<'a, S: Search>(
    index: &'a S,
    options: &MatchOptions,
) -> impl Fn(&Hash256) -> Option<u32> + Sync + 'a {
    let (radius, seed_bits) = (options.radius_bits, options.seed_bits);
    move |hash: &Hash256| {
        let mut hits = Vec::new();
        if seed_bits >= radius {
            index.search(hash, radius, &mut hits);
        } else {
            index.seed(hash, radius, seed_bits, &mut hits);
        }
        hits.iter().map(|h| h.distance).min()
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
    /// Frames to the hashing thread; `None` once it stopped (or never started).
    sender: Option<mpsc::SyncSender<Frame>>,
    worker: Option<thread::JoinHandle<Result<Vec<VariantFingerprint>>>>,
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
        let sent = self
            .sender
            .as_ref()
            .is_some_and(|tx| tx.send(frame).is_ok());
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
    fn join(&mut self) -> Result<Vec<VariantFingerprint>> {
        self.sender = None;
        let Some(worker) = self.worker.take() else {
            return Err(Error::InvalidArgument(
                "could not start the frame hashing thread".into(),
            ));
        };
        let fps = worker.join().unwrap_or_else(|_| Err(panicked()))?;
        if fps.is_empty() {
            return Err(Error::InvalidArgument("frame hashing stopped".into()));
        }
        Ok(fps)
    }

    /// Ends the stream and returns the verdict.
    ///
    /// # Errors
    /// A hashing thread's error; [`Error::CorruptIndex`] naming a damaged index file.
    pub fn finish(mut self) -> Result<Checked> {
        let mut fps = self.join()?;
        if let (Some(last), Some(rate)) = (self.last_ms, self.checker.options.decode.fps) {
            for v in fps.iter_mut().filter(|v| v.variant == Variant::Plain) {
                v.fingerprint.duration_ms = last + (1000.0 / rate.max(1.0)) as u64;
            }
        }
        let checked = self.checker.check_variants(fps);
        self.checker.index.integrity()?;
        Ok(checked)
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
    fn second_look_windows_pad_merge_and_stop_at_the_budget() {
        let seg = |start: u64, end: u64, decision, score| Match {
            work: 0,
            meta: WorkMeta::default(),
            query_start_ms: start,
            query_end_ms: end,
            ref_start_ms: start,
            ref_end_ms: end,
            matched_frames: 2,
            weighted_frames: 2.0,
            mean_distance: 20.0,
            speed: 1.0,
            mirrored: false,
            score,
            decision,
            pairs: Vec::new(),
        };
        let look = SecondLook {
            fps: 30.0,
            pad_ms: 1_000,
            max_ms: 10_000,
        };
        let segments = [
            seg(2_000, 4_000, Decision::Clean, 0.2),
            seg(4_500, 6_000, Decision::Review, 0.5),
            seg(20_000, 30_000, Decision::Match, 0.9),
            seg(40_000, 45_000, Decision::Clean, 0.1),
        ];
        // The review segment first, then the stronger clean one, which overlaps it; the
        // match needs no second look; the last would pass the budget; the end is cut at
        // the upload's duration.
        assert_eq!(look.windows(&segments, Some(60_000)), [(1_000, 7_000)]);
        assert_eq!(
            look.windows(&[seg(0, 3_000, Decision::Review, 0.5)], Some(3_500)),
            [(0, 3_500)]
        );
        assert!(look.windows(&segments[2..3], None).is_empty());
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
        assert_eq!(s.pushed, 96, "four frames a second of 24 s");
        let checked = s.finish().unwrap();
        assert_eq!(checked.fingerprint.frames.len(), 96);
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
            scale: 1.0,
        };
        assert!(matches!(s.push(bad), Err(Error::InvalidArgument(_))));
        let f = other.frame(8);
        s.push(f.clone()).unwrap();
        let mut earlier = f;
        earlier.pts_ms = 0;
        assert!(s.push(earlier).is_err());
    }

    impl<S: Search + Clone + Send + 'static> Checker<S> {
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
