//! staydown finds re-uploads of video works that were already taken down, and returns the
//! evidence a person can check.
//!
//! The pipeline runs one way: [`decode`] turns a file into timestamped gray frames (and owns
//! every frame operation: crops, flips, rotations), [`hash`] gives each frame a PDQ hash
//! ([`Hash256`]), [`fingerprint`] collects them into a [`Fingerprint`]. A removed work is
//! banked by [`bank`] (one recipe, [`bank::BankOptions`], recorded in the index); the
//! [`index`] keeps what was banked on disk and answers "which banked hashes are within r bits
//! of this hash". An upload is hashed with its [`query`] variants (mirror, bands, inset,
//! rotations), and the [`matcher`] aligns its hits in time into segments and decides a
//! [`Verdict`] (`match`, `review`, `clean`) with its evidence. [`check`] bundles these for
//! upload pipelines; [`report`] renders verdicts; [`walk`] and [`quarantine`] serve directory
//! scans; [`eval`] is the accuracy benchmark. ARCHITECTURE.md has the map.
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
//! use staydown::bank::{self, BankOptions};
//! use staydown::check::Checker;
//! use staydown::index::{Index, WorkMeta};
//! use staydown::synth::SynthVideo;
//! use staydown::Decision;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let work = dir.path().join("work.y4m");
//! SynthVideo::new(5).size(160, 120).fps(10).duration_ms(12_000).video().save_y4m(&work)?;
//!
//! // Ban the work as `staydown ban` does (the recipe is recorded in the index).
//! let mut index = Index::create(dir.path().join("index"))?;
//! let mut writer = index.writer()?;
//! let meta = WorkMeta { id: "w1".into(), notice: "TD-1".into(), ..WorkMeta::default() };
//! bank::ban(&mut writer, &work, meta, &BankOptions::default())?;
//! writer.commit()?;
//! index.reload()?;
//!
//! // The checker reads from the snapshot which regions were banked.
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

pub mod bank;
pub mod check;
pub mod decode;
pub mod error;
pub mod eval;
pub mod fingerprint;
pub mod hash;
pub mod index;
pub mod matcher;
pub mod quarantine;
pub mod query;
pub mod report;
pub mod synth;
pub mod walk;

pub use bank::BankOptions;
pub use decode::{DecodeOptions, Frame, FrameSource, Limits, Region, SourceInfo};
pub use error::{Error, Result};
pub use fingerprint::{Fingerprint, FrameHash};
pub use hash::{Hash256, distance};
pub use hash::{Pdq, PdqOutput};
pub use index::{Hit, MemoryIndex, RefFrame, Search, WorkMeta};
pub use matcher::{Decision, Match, MatchOptions, Matcher, Policy, Verdict};
