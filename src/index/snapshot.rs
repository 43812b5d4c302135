//! A consistent, read-only view of one generation of the index.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use crate::bank::BankOptions;
use crate::decode::Region;
use crate::error::{Error, Result};
use crate::hash::{Hash256, Kernel};

use super::audit::{self, AuditEntry};
use super::format::{TABLES, segment_file};
use super::manifest::Manifest;
use super::pool::Pool;
use super::segment::{IndexedFrame, Segment};
use super::{Hit, RefFrame, Search, WorkMeta, mih};

/// How segments are brought into memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Load {
    /// Read into the heap.
    Read,
    /// Memory-mapped (the caller of `Index::open_mapped` vouched for the files).
    Map,
}

pub(crate) struct Inner {
    pub(crate) dir: PathBuf,
    pub(crate) manifest: Manifest,
    pub(crate) segments: Vec<Arc<Segment>>,
    /// Global ordinal of each segment's first work.
    pub(crate) bases: Vec<u32>,
    pub(crate) works: Vec<WorkMeta>,
    pub(crate) recipes: Vec<BankOptions>,
    pub(crate) dead: Vec<bool>,
    /// Every region some live work banked, once each.
    pub(crate) banked_regions: Vec<Region>,
    /// The hashing kernel of the live works (`None` when there are none).
    pub(crate) kernel: Option<Kernel>,
    /// The small segments searched as one, built by the first search (see [`Pool`]).
    pub(crate) pool: OnceLock<Option<Pool>>,
}

/// One generation of the index, shared cheaply (`Clone` is an `Arc` clone) and safe to
/// search from many threads. Works removed in this generation never appear in hits.
///
/// *Performance*: a search probes 8 tables (see [`super::mih`]); at the default radius
/// it reads a few thousand cache lines per segment, independent of the hashes that do
/// not match. Memory is the size of the segment files (mapped or read), plus the
/// decoded work metadata, plus about 100 bytes a row of the small segments searched together
/// (see [`Snapshot::pooled_rows`]).
#[derive(Clone)]
pub struct Snapshot {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("dir", &self.inner.dir)
            .field("generation", &self.inner.manifest.generation)
            .field("segments", &self.inner.segments.len())
            .finish()
    }
}

/// Counts describing a snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Commit generation.
    pub generation: u64,
    /// Live segments.
    pub segments: usize,
    /// Works that answer searches.
    pub live_works: usize,
    /// Removed works still stored (purged by `compact`).
    pub removed_works: usize,
    /// Stored hashes of live works (each a frame or a region of a frame, or a collapsed
    /// run of them).
    pub live_hashes: u64,
    /// Stored hashes, including removed works'.
    pub stored_hashes: u64,
    /// Banked video of every stored work (removed ones included), milliseconds.
    pub stored_ms: u64,
    /// Bytes of segment files.
    pub segment_bytes: u64,
}

impl Stats {
    /// Bytes of segment files per stored hash (`None` for an empty index).
    pub fn bytes_per_hash(&self) -> Option<f64> {
        (self.stored_hashes > 0).then(|| self.segment_bytes as f64 / self.stored_hashes as f64)
    }

    /// Bytes of segment files per second of stored video (`None` when no duration is known).
    pub fn bytes_per_second(&self) -> Option<f64> {
        (self.stored_ms > 0).then(|| self.segment_bytes as f64 * 1000.0 / self.stored_ms as f64)
    }
}

impl Snapshot {
    /// Builds the snapshot of `manifest`, reusing already-open segments from `reuse`.
    pub(crate) fn load(
        dir: &Path,
        manifest: Manifest,
        load: Load,
        reuse: Option<&Snapshot>,
    ) -> Result<Snapshot> {
        let mut old: HashMap<u64, Arc<Segment>> = HashMap::new();
        if let Some(s) = reuse {
            for (e, seg) in s.inner.manifest.segments.iter().zip(&s.inner.segments) {
                old.insert(e.id, seg.clone());
            }
        }
        let mut segments = Vec::new();
        let mut bases = Vec::new();
        let mut works = Vec::new();
        let mut recipes = Vec::new();
        for e in &manifest.segments {
            let path = dir.join(&e.file);
            if e.file != segment_file(e.id) {
                return Err(Error::CorruptIndex {
                    path: dir.join(super::format::MANIFEST_FILE),
                    reason: format!("segment {} has an unexpected file name {:?}", e.id, e.file),
                });
            }
            let seg = match old.get(&e.id) {
                Some(s) => s.clone(),
                None => Arc::new(match load {
                    Load::Read => Segment::read(&path)?,
                    #[allow(unsafe_code)]
                    // SAFETY: `Load::Map` is only chosen by `Index::open_mapped`, whose
                    // caller promises the files are not modified while mapped.
                    Load::Map => unsafe { Segment::map(&path)? },
                }),
            };
            if seg.frames() as u64 != e.frames
                || seg.works.len() != e.works as usize
                || seg.bytes().len() as u64 != e.bytes
                || seg.stored_crc() != e.crc32
            {
                return Err(Error::CorruptIndex {
                    path,
                    reason: "does not match its manifest entry (frames, works, length or checksum)"
                        .into(),
                });
            }
            bases.push(works.len() as u32);
            works.extend(seg.works.iter().cloned());
            recipes.extend(seg.recipes.iter().cloned());
            segments.push(seg);
        }
        let mut dead = vec![false; works.len()];
        for t in &manifest.tombstones {
            let i = manifest.segments.iter().position(|s| s.id == t.segment);
            match i {
                Some(i) if t.work < manifest.segments[i].works => {
                    dead[(bases[i] + t.work) as usize] = true;
                }
                _ => {
                    return Err(Error::CorruptIndex {
                        path: dir.join(super::format::MANIFEST_FILE),
                        reason: format!("tombstone names a missing work {:?}", t.id),
                    });
                }
            }
        }
        let mut banked_regions: Vec<Region> = Vec::new();
        let mut kernel = None;
        for (recipe, _) in recipes.iter().zip(&dead).filter(|(_, dead)| !**dead) {
            kernel.get_or_insert(recipe.kernel);
            for r in &recipe.regions {
                if !banked_regions.contains(&r.region) {
                    banked_regions.push(r.region);
                }
            }
        }
        let mut live: HashMap<&str, usize> = HashMap::new();
        for (w, meta) in works.iter().enumerate() {
            if dead[w] {
                continue;
            }
            if let Some(first) = live.insert(meta.id.as_str(), w) {
                let seg_of = |w: usize| {
                    manifest.segments[bases.partition_point(|&b| b as usize <= w) - 1].id
                };
                return Err(Error::CorruptIndex {
                    path: dir.join(super::format::MANIFEST_FILE),
                    reason: format!(
                        "work {:?} is live twice (segments {} and {}): run `staydown index \
                         recover` to rebuild the manifest, or remove one copy",
                        meta.id,
                        seg_of(first),
                        seg_of(w)
                    ),
                });
            }
        }
        drop(live);
        // Mapped segments not yet checked byte by byte are checked in the background, one
        // after another (each on rayon); a search that finds a row in one first waits for
        // its outcome (see `Snapshot::emit_into`). The thread lets go of a segment nobody
        // else holds.
        let pending: Vec<std::sync::Weak<Segment>> = segments
            .iter()
            .filter(|s| s.verified_yet().is_none())
            .map(Arc::downgrade)
            .collect();
        if !pending.is_empty() {
            let spawned = std::thread::Builder::new()
                .name("staydown-verify".into())
                .spawn(move || {
                    for seg in pending {
                        if let Some(seg) = seg.upgrade() {
                            let _ = seg.verified();
                        }
                    }
                });
            // Without the thread, each segment is checked by its first search instead.
            drop(spawned);
        }
        Ok(Snapshot {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                manifest,
                segments,
                bases,
                works,
                recipes,
                dead,
                banked_regions,
                kernel,
                pool: OnceLock::new(),
            }),
        })
    }

    /// The commit generation this snapshot shows.
    pub fn generation(&self) -> u64 {
        self.inner.manifest.generation
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// True when work ordinal `work` was removed (it never appears in hits).
    pub fn is_removed(&self, work: u32) -> bool {
        self.inner.dead.get(work as usize).copied().unwrap_or(true)
    }

    /// Ordinals of the works that answer searches, in order.
    pub fn live_works(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.inner.works.len() as u32).filter(|&w| !self.is_removed(w))
    }

    /// The ordinal of the live work with id `id`.
    pub fn find(&self, id: &str) -> Option<u32> {
        self.live_works()
            .find(|&w| self.inner.works[w as usize].id == id)
    }

    fn locate(&self, work: u32) -> Option<(usize, usize)> {
        if work as usize >= self.inner.works.len() {
            return None;
        }
        let s = self.inner.bases.partition_point(|&b| b <= work) - 1;
        Some((s, (work - self.inner.bases[s]) as usize))
    }

    /// The indexed frames of work ordinal `work` (collapsed runs, high-quality frames only).
    ///
    /// Waits until the work's segment has passed its checksum (see [`Snapshot::integrity`]);
    /// a work of a segment that failed has no frames.
    pub fn work_frames(&self, work: u32) -> Vec<IndexedFrame> {
        match self.locate(work) {
            Some((s, w)) if self.inner.segments[s].verified().is_ok() => {
                self.inner.segments[s].work_rows(w)
            }
            _ => Vec::new(),
        }
    }

    /// Waits until every segment has passed its whole-file checksum.
    ///
    /// An index opened with [`Index::open`](super::Index::open) checked them at open; one
    /// opened with [`Index::open_mapped`](super::Index::open_mapped) checks them in a
    /// background thread, and this waits for it (or checks those it has not reached).
    ///
    /// # Errors
    /// [`Error::CorruptIndex`] naming the first segment file that failed.
    pub fn wait_verified(&self) -> Result<()> {
        self.inner.segments.iter().try_for_each(|s| s.verified())
    }

    /// Whether every segment checked so far passed its whole-file checksum: an error names
    /// the first that failed. Never waits.
    ///
    /// A mapped snapshot checks its segments after the open (see [`Snapshot::wait_verified`]):
    /// until a segment has passed, a search that finds one of its rows waits, and rows of a
    /// segment that failed are never returned. A caller about to act on a verdict asks this
    /// after matching (as [`crate::check::Checker::check_path`] does): a verdict made while
    /// a segment's rows were withheld is not a verdict on the index as banked.
    ///
    /// # Errors
    /// [`Error::CorruptIndex`] naming the segment file.
    pub fn integrity(&self) -> Result<()> {
        for seg in &self.inner.segments {
            if let Some(Err(e)) = seg.verified_yet() {
                return Err(e);
            }
        }
        Ok(())
    }

    /// The frame rate of the source work ordinal `work` was banked from (from its decoder, or
    /// recovered from a vPDQ list), or `None` when unknown (always for works of format-1 and
    /// format-2 segments).
    pub fn frame_rate(&self, work: u32) -> Option<f64> {
        let (s, w) = self.locate(work)?;
        let fps = self.inner.segments[s].fps[w];
        (fps > 0.0).then_some(fps)
    }

    /// The [`Kernel`] the live works were hashed with (one for the whole index:
    /// [`IndexWriter::add_work`](crate::index::IndexWriter::add_work) refuses a second);
    /// `None` when no work is live.
    pub fn kernel(&self) -> Option<Kernel> {
        self.inner.kernel
    }

    /// The recipe work ordinal `work` was banked with.
    pub fn recipe(&self, work: u32) -> Option<&BankOptions> {
        self.inner.recipes.get(work as usize)
    }

    /// The live works, other than `work`, banked with the same content as work ordinal
    /// `work`: the same indexed frame hashes at the same times (as when one film is banked
    /// twice, under two notices). Such works all match the same uploads, each in full.
    ///
    /// *Performance*: O(works), plus one pass over the frames of each work of the same
    /// length, once per segment (digests are cached).
    pub fn duplicates_of(&self, work: u32) -> Vec<u32> {
        let Some((s, w)) = self.locate(work) else {
            return Vec::new();
        };
        let seg = &self.inner.segments[s];
        if seg.verified().is_err() {
            return Vec::new();
        }
        let len = seg.work_start[w + 1] - seg.work_start[w];
        let digest = seg.work_digest(w);
        self.live_works()
            .filter(|&o| o != work)
            .filter(|&o| {
                let (s2, w2) = self.locate(o).expect("a live work is located");
                let seg2 = &self.inner.segments[s2];
                seg2.work_start[w2 + 1] - seg2.work_start[w2] == len
                    && seg2.verified().is_ok()
                    && seg2.work_digest(w2) == digest
            })
            .collect()
    }

    /// Counts for `index stats`.
    pub fn stats(&self) -> Stats {
        let mut st = Stats {
            generation: self.generation(),
            segments: self.inner.segments.len(),
            ..Stats::default()
        };
        for (s, seg) in self.inner.segments.iter().enumerate() {
            st.segment_bytes += seg.bytes().len() as u64;
            for (w, meta) in seg.works.iter().enumerate() {
                let hashes = u64::from(seg.work_start[w + 1] - seg.work_start[w]);
                st.stored_hashes += hashes;
                st.stored_ms += meta.duration_ms;
                if self.inner.dead[self.inner.bases[s] as usize + w] {
                    st.removed_works += 1;
                } else {
                    st.live_works += 1;
                    st.live_hashes += hashes;
                }
            }
        }
        st
    }

    /// The committed audit log, oldest first.
    ///
    /// # Errors
    /// [`Error::CorruptIndex`] naming `audit.log` when a committed line is damaged.
    pub fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        audit::read(&self.inner.dir, self.inner.manifest.audit_bytes)
    }

    /// Checks every byte: each segment's CRC and table invariants, and the audit log.
    ///
    /// # Errors
    /// [`Error::CorruptIndex`] naming the first damaged file.
    pub fn verify(&self) -> Result<()> {
        for seg in &self.inner.segments {
            seg.verify()?;
        }
        self.audit_log().map(|_| ())
    }

    fn emit_into<'a>(&'a self, s: usize, out: &'a mut Vec<Hit>) -> impl FnMut(u32, u32) + 'a {
        let mut emit = self.emit_all(out);
        move |id, d| emit(s, id, d)
    }

    /// `emit(s, row, distance)` appends the hit of row `row` of segment `s` to `out`, unless
    /// its work was removed or the segment failed its checksum. No row of a segment reaches
    /// a caller before the segment passed (the first hit of a segment not yet checked waits
    /// for the check, or makes it).
    fn emit_all<'a>(&'a self, out: &'a mut Vec<Hit>) -> impl FnMut(usize, u32, u32) + 'a {
        let inner = &self.inner;
        move |s, id, d| {
            let seg = &inner.segments[s];
            if !seg.passed() {
                return;
            }
            let local = seg.work_of(id);
            let w = inner.bases[s] + local;
            let dead = &inner.dead;
            if dead[w as usize] {
                return;
            }
            let row = seg.row_in(id, local as usize);
            out.push(Hit {
                work: w,
                ref_pts_ms: row.pts_ms as u64,
                ref_end_ms: row.pts_ms as u64 + row.span_ms as u64,
                distance: d,
                region: row.region,
            });
        }
    }

    /// Appends every live indexed frame within `radius_bits` (inclusive) of `hash` to
    /// `out`, by multi-index hashing (exact: the same hits as an exhaustive scan,
    /// in an unspecified order).
    pub fn search_into(&self, hash: &Hash256, radius_bits: u32, out: &mut Vec<Hit>) {
        self.probe_or_scan(hash, radius_bits, &mih::thresholds(radius_bits), false, out);
    }

    /// Searches every segment with thresholds `t`: the small ones together through the
    /// snapshot's [`Pool`]; of the others, those without tables, and unless `always_probe`
    /// those where [`mih::probe_cost`] says probing costs more than reading every hash, by a
    /// scan, and the rest by one pipelined probe ([`mih::probe_segments`]). Every hit within
    /// `radius_bits` that the thresholds cover.
    fn probe_or_scan(
        &self,
        hash: &Hash256,
        radius_bits: u32,
        t: &[i32; TABLES],
        always_probe: bool,
        out: &mut Vec<Hit>,
    ) {
        let pool = self
            .inner
            .pool
            .get_or_init(|| Pool::build(&self.inner.segments));
        let mut probed: Vec<&Segment> = Vec::with_capacity(self.inner.segments.len());
        let mut which: Vec<usize> = Vec::with_capacity(self.inner.segments.len());
        for (s, seg) in self.inner.segments.iter().enumerate() {
            if pool.as_ref().is_some_and(|p| p.holds(s)) {
                continue;
            }
            if seg.layout.m == 0
                || (!always_probe
                    && mih::probe_cost(t, seg.frames(), seg.layout.dir_bits) >= seg.frames() as f64)
            {
                let mut emit = self.emit_into(s, out);
                mih::scan(seg, hash, radius_bits, &mut emit);
            } else {
                probed.push(seg);
                which.push(s);
            }
        }
        if let Some(p) = pool {
            p.search(hash, radius_bits, t, always_probe, &mut self.emit_all(out));
        }
        if !probed.is_empty() {
            let mut emit = self.emit_all(out);
            mih::probe_segments(&probed, hash, radius_bits, t, &mut |k, id, d| {
                emit(which[k], id, d)
            });
        }
    }

    /// Rows searched through the snapshot's pool of small segments (0 when there is none;
    /// builds the pool).
    pub fn pooled_rows(&self) -> usize {
        self.inner
            .pool
            .get_or_init(|| Pool::build(&self.inner.segments))
            .as_ref()
            .map_or(0, Pool::len)
    }

    /// The exhaustive scan of every stored hash: the reference [`Snapshot::search_into`]
    /// is checked against, and the baseline of the benchmarks (`testing` feature).
    ///
    /// *Performance*: O(n), reads 32 bytes per stored frame.
    #[cfg(any(test, feature = "testing"))]
    pub fn search_brute(&self, hash: &Hash256, radius_bits: u32, out: &mut Vec<Hit>) {
        for s in 0..self.inner.segments.len() {
            let mut emit = self.emit_into(s, out);
            mih::scan(&self.inner.segments[s], hash, radius_bits, &mut emit);
        }
    }

    /// Searches always by probing the tables, whatever the cost model prefers (`testing`
    /// feature).
    #[cfg(any(test, feature = "testing"))]
    pub fn search_probe_only(&self, hash: &Hash256, radius_bits: u32, out: &mut Vec<Hit>) {
        self.probe_or_scan(hash, radius_bits, &mih::thresholds(radius_bits), true, out);
    }

    /// Searches many hashes (a whole query fingerprint and its mirrors) in parallel with
    /// rayon; element `i` of the result holds the hits of `hashes[i]`.
    pub fn search_batch(&self, hashes: &[Hash256], radius_bits: u32) -> Vec<Vec<Hit>> {
        hashes
            .par_iter()
            .map(|h| {
                let mut v = Vec::new();
                self.search_into(h, radius_bits, &mut v);
                v
            })
            .collect()
    }

    /// The metadata of every work ordinal, removed ones included.
    pub fn works(&self) -> &[WorkMeta] {
        &self.inner.works
    }
}

impl Search for Snapshot {
    fn search(&self, hash: &Hash256, radius_bits: u32, out: &mut Vec<Hit>) {
        self.search_into(hash, radius_bits, out);
    }

    /// Probes each table only for keys within its share of `seed_bits` (1 bit of each
    /// 32-bit substring at `seed_bits = 15`: 17 directory buckets a table instead of 697 at
    /// radius 31), checking candidates against `radius_bits`; small segments are scanned.
    fn seed(&self, hash: &Hash256, radius_bits: u32, seed_bits: u32, out: &mut Vec<Hit>) {
        let t: [i32; TABLES] = mih::thresholds(seed_bits.min(radius_bits));
        self.probe_or_scan(hash, radius_bits, &t, false, out);
    }

    fn work_frames(&self, work: u32, out: &mut Vec<RefFrame>) -> bool {
        if let Some((s, w)) = self.locate(work)
            && !self.inner.dead[work as usize]
            && self.inner.segments[s].verified().is_ok()
        {
            let seg = &self.inner.segments[s];
            out.extend((seg.work_start[w]..seg.work_start[w + 1]).map(|id| {
                let row = seg.row_in(id, w);
                RefFrame {
                    pts_ms: u64::from(row.pts_ms),
                    end_ms: u64::from(row.pts_ms) + u64::from(row.span_ms),
                    hash: row.hash,
                    region: row.region,
                }
            }));
        }
        true
    }

    fn content_key(&self, work: u32) -> Option<u64> {
        let (s, w) = self.locate(work)?;
        let seg = &self.inner.segments[s];
        seg.verified().ok()?;
        Some(seg.work_digest(w))
    }

    fn integrity(&self) -> Result<()> {
        Snapshot::integrity(self)
    }

    fn work(&self, work: u32) -> Option<&WorkMeta> {
        self.inner.works.get(work as usize)
    }

    fn banked_regions(&self) -> Vec<Region> {
        self.inner.banked_regions.clone()
    }

    fn kernel(&self) -> Kernel {
        self.inner.kernel.unwrap_or_default()
    }

    fn work_count(&self) -> u32 {
        self.inner.works.len() as u32
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn snapshot_is_shareable_across_threads() {
        fn shareable<T: Send + Sync + Clone + 'static>() {}
        shareable::<super::Snapshot>();
    }
}
