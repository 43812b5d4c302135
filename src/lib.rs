//! staydown finds re-uploads of video works that were already taken down, and returns the
//! evidence a person can check.
//!
//! The pipeline runs one way: [`decode`] turns a file into timestamped gray frames,
//! [`hash`] gives each frame a PDQ hash ([`Hash256`]), [`fingerprint`] collects them into a
//! [`Fingerprint`], the [`index`] keeps the fingerprints of banned works on disk and answers
//! "which banked frames are within r bits of this hash", and the [`matcher`] aligns an
//! upload's hits in time into segments and decides a [`Verdict`] (`match`, `review`, `clean`)
//! with its evidence. [`check`] bundles these for upload pipelines; [`report`] renders verdicts.
//!
//! # Hashing a frame
//!
//! ```
//! use staydown::Pdq;
//! use staydown::synth::SynthVideo;
//!
//! let frame = SynthVideo::new(1).size(160, 120).video().frame(0);
//! let out = Pdq::new().hash_gray(&frame.luma, 160, 120)?;
//! assert!(out.quality >= 50);
//! assert_eq!(out.hash.to_string().len(), 64);
//! # Ok::<(), staydown::Error>(())
//! ```
//!
//! # For upload pipelines
//!
//! (a) Checking a file, with an index opened once and (c) shared across threads: a
//! `Checker<Snapshot>` is `Send + Sync`.
//!
//! ```
//! use staydown::check::{BANK_REGIONS, Checker, reference_fingerprints};
//! use staydown::decode::DecodeOptions;
//! use staydown::fingerprint::Fingerprinter;
//! use staydown::index::{Index, WorkMeta};
//! use staydown::synth::SynthVideo;
//! use staydown::Decision;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let work = dir.path().join("work.y4m");
//! SynthVideo::new(5).size(160, 120).fps(10).duration_ms(12_000).video().save_y4m(&work)?;
//!
//! // Ban the work (4 frames a second and three centre crops, as `staydown ban` does).
//! let mut index = Index::create(dir.path().join("index"))?;
//! let bank = DecodeOptions { fps: Some(4.0), ..DecodeOptions::default() };
//! let fps = reference_fingerprints(&work, &bank, &Fingerprinter::new(), &BANK_REGIONS)?;
//! let mut writer = index.writer()?;
//! let meta = WorkMeta { id: "w1".into(), notice: "TD-1".into(), ..WorkMeta::default() };
//! writer.add_work_variants(meta, &fps.iter().collect::<Vec<_>>())?;
//! writer.commit()?;
//! index.reload()?;
//!
//! let checker = Checker::new(index.snapshot());
//! std::thread::scope(|s| {
//!     for _ in 0..2 {
//!         s.spawn(|| {
//!             let checked = checker.check_path(&work).unwrap();
//!             assert_eq!(checked.verdict.verdict, Decision::Match);
//!             assert_eq!(checked.verdict.matches[0].meta.id, "w1");
//!         });
//!     }
//! });
//! # Ok::<(), staydown::Error>(())
//! ```
//!
//! (b) Checking frames the pipeline decoded itself: push them with their timestamps and get
//! the verdict at the end (see [`check::CheckSession`]):
//!
//! ```
//! use staydown::check::Checker;
//! use staydown::index::MemoryIndex;
//! use staydown::synth::SynthVideo;
//! use staydown::Decision;
//!
//! let checker = Checker::new(MemoryIndex::new()); // or an index snapshot
//! let mut session = checker.session();
//! for frame in SynthVideo::new(9).size(160, 120).fps(5).duration_ms(6_000).video().frames() {
//!     session.push(frame)?; // a staydown::Frame: pts_ms, width, height, luma
//! }
//! assert_eq!(session.finish()?.verdict.verdict, Decision::Clean);
//! # Ok::<(), staydown::Error>(())
//! ```
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod check;
pub mod decode;
pub mod error;
pub mod eval;
pub mod fingerprint;
pub mod geometry;
pub mod hash;
pub mod index;
pub mod matcher;
pub mod report;
pub mod scan;
pub mod synth;

pub use decode::{DecodeOptions, Frame, FrameSource, Limits, SourceInfo};
pub use error::{Error, Result};
pub use fingerprint::{Fingerprint, FrameHash};
pub use hash::{Hash256, distance};
pub use hash::{Pdq, PdqOutput};
pub use index::{Hit, MemoryIndex, RefFrame, Search, WorkMeta};
pub use matcher::{Decision, Match, MatchOptions, Matcher, Policy, Verdict};
