//! Decoding once for several fingerprints: every decoded frame goes to one hashing thread per
//! fingerprint, each behind a small bounded queue, so nothing holds the whole video and a
//! slow variant slows the decoder instead of filling memory.

use std::sync::mpsc;
use std::thread;

use crate::decode::{Frame, FrameSource, SourceInfo};
use crate::error::{Error, Result};

use super::{Fingerprint, Fingerprinter};

/// A change applied to every decoded frame before one of several fingerprints is made.
pub type FrameMap = Box<dyn Fn(&Frame) -> Frame + Send + Sync>;

/// A hashing thread's work: it receives every decoded frame and returns what it made (by
/// default a fingerprint, or `None` when it has nothing to add).
pub(crate) type Worker<'a, T = Option<Fingerprint>> =
    Box<dyn FnOnce(mpsc::Receiver<Frame>) -> Result<T> + Send + 'a>;

/// Frames queued per hashing thread before the decoder waits.
const QUEUE: usize = 4;

/// The worker that maps every frame with `map` and fingerprints the results.
pub(crate) fn mapped(fingerprinter: Fingerprinter, map: FrameMap) -> Worker<'static> {
    Box::new(move |rx: mpsc::Receiver<Frame>| {
        fingerprinter
            .fingerprint_frames(rx.into_iter().map(|f| map(&f)))
            .map(Some)
    })
}

/// Decodes `source` once and makes one fingerprint per `(fingerprinter, map)` pair, each on
/// its own thread. The fingerprints carry the source's duration, size and frame rate.
///
/// # Errors
/// The decoder's errors; [`Error::Damaged`] when the decoder found the source damaged or
/// truncated; a hashing thread's error.
pub fn fingerprint_each(
    source: FrameSource,
    variants: Vec<(Fingerprinter, FrameMap)>,
) -> Result<Vec<Fingerprint>> {
    let workers = variants
        .into_iter()
        .map(|(fingerprinter, map)| mapped(fingerprinter, map))
        .collect();
    let path = source.path().to_path_buf();
    let (fps, damage) = run_workers(source, workers)?;
    if let Some(reason) = damage {
        return Err(Error::Damaged { path, reason });
    }
    Ok(fps.into_iter().flatten().collect())
}

/// The error of a hashing thread that panicked.
pub(crate) fn panicked() -> Error {
    Error::InvalidArgument("frame hashing thread panicked".into())
}

/// Decodes `source` once, sending every frame to each worker on its own thread; returns each
/// worker's result in order, with the source's duration, size and frame rate, and what the
/// decoder said of damage ([`FrameSource::damage`]).
pub(crate) fn run_workers(
    source: FrameSource,
    workers: Vec<Worker<'_>>,
) -> Result<(Vec<Option<Fingerprint>>, Option<String>)> {
    let (results, info, damage) = decode_into(source, workers)?;
    let fps = results
        .into_iter()
        .map(|fp| fp.map(|fp| with_source_info(fp, &info)))
        .collect();
    Ok((fps, damage))
}

/// `fp` with the duration (when the source knows it), size and frame rate of the source.
pub(crate) fn with_source_info(fp: Fingerprint, info: &SourceInfo) -> Fingerprint {
    Fingerprint {
        duration_ms: info.duration_ms.unwrap_or(fp.duration_ms),
        width: info.width,
        height: info.height,
        fps: info.fps,
        ..fp
    }
}

/// Decodes `source` once, sending every frame to each worker on its own thread; returns each
/// worker's result in order, the source's description, and what the decoder said of damage.
pub(crate) fn decode_into<T: Send>(
    mut source: FrameSource,
    workers: Vec<Worker<'_, T>>,
) -> Result<(Vec<T>, SourceInfo, Option<String>)> {
    let results = fan_out(
        std::iter::from_fn(|| source.next_frame().transpose()),
        workers,
    )?;
    Ok((results, source.info().clone(), source.damage()))
}

/// Sends every frame of `frames` to each worker on its own thread (behind a small bounded
/// queue) and returns each worker's result in order; the first error of `frames` ends the
/// stream and is returned after the workers have stopped.
pub(crate) fn fan_out<T: Send>(
    frames: impl Iterator<Item = Result<Frame>>,
    workers: Vec<Worker<'_, T>>,
) -> Result<Vec<T>> {
    thread::scope(|s| {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for work in workers {
            let (tx, rx) = mpsc::sync_channel::<Frame>(QUEUE);
            senders.push(tx);
            handles.push(s.spawn(move || work(rx)));
        }
        let mut decode_error = None;
        'frames: for frame in frames {
            match frame {
                Ok(frame) => {
                    for tx in &senders {
                        if tx.send(frame.clone()).is_err() {
                            break 'frames;
                        }
                    }
                }
                Err(e) => {
                    decode_error = Some(e);
                    break;
                }
            }
        }
        drop(senders);
        let results: Vec<Result<T>> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(panicked())))
            .collect();
        match decode_error {
            Some(e) => Err(e),
            None => results.into_iter().collect::<Result<Vec<_>>>(),
        }
    })
}
