//! Removed works and their fingerprints on disk, and search within a Hamming radius.
//!
//! An index is a directory ([the format module](self::format) has every byte): immutable segment files, a
//! manifest replaced atomically (its rename is the commit), an audit log, and a lock
//! for the one writer. [`Index`] opens it, [`Snapshot`] searches one generation of it
//! (exactly, by multi-index hashing: see [`mih`]), [`IndexWriter`] changes it. What is
//! stored of a work, and how, is decided by [`crate::bank`].
//!
//! ```
//! use staydown::bank::{self, BankOptions};
//! use staydown::index::{Index, WorkMeta};
//! use staydown::{Fingerprint, FrameHash, Hash256};
//!
//! let dir = tempfile::tempdir()?;
//! let mut index = Index::create(dir.path())?;
//! let frame = |pts_ms, w| FrameHash { pts_ms, hash: Hash256([w; 4]), quality: 90, mirror: None };
//! let fp = Fingerprint { frames: vec![frame(0, 0x0f0f), frame(250, 0xf0f0_f0f0)], ..Fingerprint::default() };
//! let mut writer = index.writer()?;
//! let meta = WorkMeta { id: "w1".into(), ..WorkMeta::default() };
//! bank::add(&mut writer, meta, &[fp], &BankOptions::whole_frames())?;
//! let snapshot = writer.commit()?;
//! let hits = snapshot.search_batch(&[Hash256([0x0f0e, 0x0f0f, 0x0f0f, 0x0f0f])], 31);
//! assert_eq!(hits[0].len(), 1);
//! assert_eq!((hits[0][0].ref_pts_ms, hits[0][0].distance), (0, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::hash::Hash256;

pub mod audit;
pub mod format;
mod lock;
pub mod manifest;
pub mod merge;
pub mod mih;
mod pool;
mod recover;
mod segment;
mod snapshot;
mod store;

pub use audit::{AuditAction, AuditEntry};
pub use merge::{MergePolicy, TierCount};
pub use recover::{Recovery, recover};
pub use segment::{IndexedFrame, REGION_UNKNOWN};
pub use snapshot::{Snapshot, Stats};
#[cfg(feature = "testing")]
pub use store::FailPoint;
pub use store::{Index, IndexWriter};

/// One indexed frame found within the search radius of a query hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hit {
    /// Ordinal of the work within the snapshot that answered (resolve with [`Search::work`]).
    pub work: u32,
    /// Presentation time of the indexed frame in the work, in milliseconds.
    pub ref_pts_ms: u64,
    /// End of the time span this indexed frame stands for, in milliseconds: consecutive
    /// near-identical frames of a work (a static shot) are stored once, as their first
    /// frame covering `ref_pts_ms ..= ref_end_ms`. Equal to `ref_pts_ms` otherwise.
    pub ref_end_ms: u64,
    /// Hamming distance between the query and the indexed frame, in bits.
    pub distance: u32,
    /// The region tag of the indexed row ([`IndexedFrame::region`]): which of the work's
    /// banked fingerprints (whole frame, a centre crop, a band) it came from. Map it to a
    /// region with the work's recipe. [`REGION_UNKNOWN`] when the index does not know.
    pub region: u8,
}

/// The takedown metadata of a banned work.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkMeta {
    /// Unique id of the work.
    pub id: String,
    /// Title.
    pub title: String,
    /// Rights holder who sent the notice.
    pub rightsholder: String,
    /// Reference of the takedown notice.
    pub notice: String,
    /// When the work was banned, seconds since the Unix epoch.
    pub added_unix_s: i64,
    /// Free-text note.
    pub note: Option<String>,
    /// Path of the source video when it was banned (used for evidence thumbnails).
    pub source: Option<String>,
    /// Duration of the work in milliseconds.
    pub duration_ms: u64,
}

/// One indexed frame of a work, as [`Search::work_frames`] lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefFrame {
    /// Presentation time, milliseconds.
    pub pts_ms: u64,
    /// End of the span of near-identical frames it stands for (see [`Hit::ref_end_ms`]).
    pub end_ms: u64,
    /// The frame hash.
    pub hash: Hash256,
    /// The region tag of the row (see [`Hit::region`]).
    pub region: u8,
}

/// Something that answers "which indexed frames are within `radius_bits` of this hash".
///
/// The matcher only needs this trait, so an index kept elsewhere (a database, a remote
/// service) can stand in for the on-disk [`crate::index`].
///
/// The matcher searches in two steps (see [`crate::matcher`]): every query frame *seeds*
/// ([`Search::seed`], allowed to be cheaper and find fewer hits), then for every work a seed
/// found, the query frames near the seeds in time are compared with that work's own frames
/// ([`Search::work_frames`]). The defaults make seeding exhaustive (every hit is a seed),
/// which is always correct; an implementation that overrides `seed` to return fewer hits
/// must also implement `work_frames`.
pub trait Search: Sync {
    /// Appends to `out` every indexed frame whose distance to `hash` is `<= radius_bits`.
    fn search(&self, hash: &Hash256, radius_bits: u32, out: &mut Vec<Hit>);
    /// Appends to `out` a subset of the hits of [`Search::search`] that contains at least
    /// every indexed frame within `seed_bits` of `hash` (`seed_bits <= radius_bits`).
    /// The default is the whole search.
    fn seed(&self, hash: &Hash256, radius_bits: u32, seed_bits: u32, out: &mut Vec<Hit>) {
        let _ = seed_bits;
        self.search(hash, radius_bits, out);
    }
    /// Appends to `out` every indexed frame of work ordinal `work` (in any order) and
    /// returns true, or returns false when this searcher cannot list them. A removed or
    /// unknown work has no frames.
    fn work_frames(&self, work: u32, out: &mut Vec<RefFrame>) -> bool {
        let _ = (work, out);
        false
    }
    /// A key of the content banked as work ordinal `work`: two works with the same key hold
    /// the same indexed frames (the same hashes at the same times), banked twice under two
    /// ids. The matcher counts the hits of such works as one content, so a second notice for
    /// the same film does not make either look like common footage. `None` (the default)
    /// when unknown: every work is then its own content.
    fn content_key(&self, work: u32) -> Option<u64> {
        let _ = work;
        None
    }
    /// `Ok` unless stored bytes this searcher holds were found corrupt (the error names the
    /// file). A searcher that checks its storage lazily (a mapped
    /// [`Snapshot`](Snapshot::integrity)) withholds what failed, so a verdict reached while
    /// this is an error is not to be acted on. The default, for searchers with nothing to
    /// check, is `Ok`.
    ///
    /// # Errors
    /// [`crate::Error::CorruptIndex`] naming the damaged file.
    fn integrity(&self) -> crate::error::Result<()> {
        Ok(())
    }
    /// The metadata of work ordinal `work`, as used in [`Hit::work`].
    fn work(&self, work: u32) -> Option<&WorkMeta>;
    /// Number of works this searcher answers for (ordinals are `0..work_count()`).
    fn work_count(&self) -> u32;
    /// Every region some work was banked with beside the whole frame (its recipe's
    /// [`BankOptions::regions`](crate::bank::BankOptions::regions)): a checker hashes
    /// uploads with the same bands and turns rotations back into the same centre crops. The
    /// default, for searchers that bank whole frames only, is none.
    fn banked_regions(&self) -> Vec<crate::decode::Region> {
        Vec::new()
    }

    /// How the banked works' frames were hashed ([`crate::hash::Kernel`]): a checker hashes
    /// uploads the same way. The default, for searchers filled by their caller, is
    /// [`Kernel::Source`](crate::hash::Kernel::Source), the [`Fingerprinter`](crate::fingerprint::Fingerprinter)'s default.
    fn kernel(&self) -> crate::hash::Kernel {
        crate::hash::Kernel::default()
    }
}

/// An in-memory, brute-force [`Search`]: the reference the indexed search is tested
/// against, and a simple searcher for small sets.
///
/// Every frame added is one fingerprint per work, so its rows carry region tag 0.
///
/// *Performance*: `search` scans every frame, O(n) per query, 48 bytes per frame.
#[derive(Clone, Debug, Default)]
pub struct MemoryIndex {
    works: Vec<WorkMeta>,
    frames: Vec<(Hash256, u32, u64)>,
    /// `frames[starts[w]..starts[w + 1]]` are work `w`'s.
    starts: Vec<usize>,
}

impl MemoryIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a work with its frames `(pts_ms, hash)` and returns its ordinal.
    pub fn add(&mut self, meta: WorkMeta, frames: impl IntoIterator<Item = (u64, Hash256)>) -> u32 {
        let ord = self.works.len() as u32;
        self.works.push(meta);
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        self.frames
            .extend(frames.into_iter().map(|(pts, h)| (h, ord, pts)));
        self.starts.push(self.frames.len());
        ord
    }

    /// Number of indexed frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// True when no frame is indexed.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}

impl Search for MemoryIndex {
    fn search(&self, hash: &Hash256, radius_bits: u32, out: &mut Vec<Hit>) {
        for (h, work, pts) in &self.frames {
            let d = h.distance(hash);
            if d <= radius_bits {
                out.push(Hit {
                    work: *work,
                    ref_pts_ms: *pts,
                    ref_end_ms: *pts,
                    distance: d,
                    region: 0,
                });
            }
        }
    }

    fn work_frames(&self, work: u32, out: &mut Vec<RefFrame>) -> bool {
        let w = work as usize;
        if w + 1 < self.starts.len() {
            out.extend(self.frames[self.starts[w]..self.starts[w + 1]].iter().map(
                |&(hash, _, pts_ms)| RefFrame {
                    pts_ms,
                    end_ms: pts_ms,
                    hash,
                    region: 0,
                },
            ));
        }
        true
    }

    fn work(&self, work: u32) -> Option<&WorkMeta> {
        self.works.get(work as usize)
    }

    fn work_count(&self) -> u32 {
        self.works.len() as u32
    }
}
