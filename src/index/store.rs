//! Opening an index directory and writing to it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::bank::BankOptions;
use crate::error::{Error, Result};

use super::WorkMeta;
use super::audit::{self, AuditAction, AuditEntry};
use super::format::{AUDIT_FILE, MANIFEST_FILE, MAX_SEGMENT_FRAMES, segment_file};
use super::lock::LockGuard;
use super::manifest::{self, Manifest, SegmentEntry, Tombstone};
use super::merge::{self, MergePolicy};
use super::segment::{self, IndexedFrame, NewWork};
use super::snapshot::{Load, Snapshot};

/// An index directory opened for reading; [`Index::writer`] gives the one writer.
///
/// *Performance*: `open` reads the manifest (checksum and consistency), checks each
/// segment's structure (O(1); `open` also its directories, about 4 bytes a hash) and decodes
/// the work metadata; the hash arrays are read into memory and checked against the whole-file CRC-32
/// ([`Index::open`]: every byte, once, about 70 ms for a segment of 10^7 hashes on two
/// cores), or mapped and checked after the open returns ([`Index::open_mapped`]). [`Index::reload`] checks only the segments it
/// has not seen: segments are immutable.
#[derive(Debug)]
pub struct Index {
    dir: PathBuf,
    load: Load,
    snapshot: Snapshot,
    merge: MergePolicy,
    /// The snapshot the last commit of one of this index's writers made, taken by the next
    /// [`Index::reload`]: when the manifest has not moved since, it is the current state, and
    /// reloading costs no rebuild of the work tables (which is O(works)).
    committed: Committed,
}

/// Where a writer leaves the snapshot its commit made, for the [`Index`] that gave it.
type Committed = Arc<Mutex<Option<Snapshot>>>;

fn now_unix_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn open_snapshot(dir: &Path, load: Load, reuse: Option<&Snapshot>) -> Result<Snapshot> {
    // A compaction may delete the segments of the manifest we just read: if a segment
    // is missing but the manifest moved on, read again.
    let mut last_err = None;
    for _ in 0..5 {
        let m = match Manifest::load(dir)? {
            Some(m) => m,
            None => {
                let files = index_files(dir)?;
                if files > 0 {
                    return Err(Error::ManifestMissing {
                        dir: dir.to_path_buf(),
                        files,
                    });
                }
                return Err(Error::CorruptIndex {
                    path: dir.join(MANIFEST_FILE),
                    reason: "missing: not an index directory (create it with `staydown ban`)"
                        .into(),
                });
            }
        };
        if let Some(r) = reuse
            && r.inner.manifest == m
        {
            // Nothing committed since: the snapshot is the current state.
            return Ok(r.clone());
        }
        let generation = m.generation;
        match Snapshot::load(dir, m, load, reuse) {
            Ok(s) => return Ok(s),
            Err(Error::Io { path, source }) if source.kind() == std::io::ErrorKind::NotFound => {
                let moved = Manifest::load(dir)?.is_some_and(|m2| m2.generation != generation);
                if !moved {
                    return Err(Error::CorruptIndex {
                        path,
                        reason: format!(
                            "missing, but the manifest of generation {generation} names it: \
                             restore it from a backup, or run `staydown index recover` to \
                             rebuild the manifest from the segments that verify"
                        ),
                    });
                }
                last_err = Some(Error::Io { path, source });
            }
            Err(e) => return Err(e),
        }
    }
    Err(last_err.expect("loop ran"))
}

/// Number of files in `dir` that only an index holds (segments, temp segments, the audit
/// log); 0 when `dir` does not exist.
fn index_files(dir: &Path) -> Result<usize> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut n = 0;
    for e in rd {
        let e = e.map_err(|e| Error::io(dir, e))?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if (name.starts_with("seg-") && name.contains(".sdx")) || name == AUDIT_FILE {
            n += 1;
        }
    }
    Ok(n)
}

impl Index {
    /// Opens an existing index, reading its segments into memory and checking every
    /// byte of them against their CRC-32 (the table invariants are checked by
    /// [`Snapshot::verify`]): nothing is searched, listed or exported from bytes that were
    /// not verified.
    ///
    /// # Errors
    /// [`Error::CorruptIndex`] naming the file when the manifest or a segment is torn,
    /// truncated, altered, or fails a structural check, or when the manifest is
    /// inconsistent (a segment listed twice or missing, a work live twice, `next_segment`
    /// not past every segment); [`Error::ManifestMissing`] when the directory holds
    /// segments but no manifest; [`Error::UnsupportedFormat`]; I/O errors.
    pub fn open(dir: impl AsRef<Path>) -> Result<Index> {
        let dir = dir.as_ref().to_path_buf();
        let snapshot = open_snapshot(&dir, Load::Read, None)?;
        Ok(Index {
            dir,
            load: Load::Read,
            snapshot,
            merge: MergePolicy::default(),
            committed: Committed::default(),
        })
    }

    /// Opens an existing index with its segments memory-mapped. The open checks what
    /// [`Index::open`] checks but each segment's whole-file CRC-32, which a background thread
    /// checks after the open returns (the open reads a few MiB a segment, not every page);
    /// until a segment has passed, a search that finds one of its rows waits for it, and the
    /// rows of a segment that fails are never returned ([`Snapshot::integrity`] names it).
    /// Pages stay in the page cache, shared between processes; a long-lived process checks
    /// each immutable segment once across reloads.
    ///
    /// # Safety
    /// The segment files must not be modified or truncated by anyone while this index or
    /// any of its snapshots lives (staydown itself never rewrites a segment; another
    /// program writing into the directory would be undefined behaviour).
    ///
    /// # Errors
    /// As [`Index::open`].
    #[allow(unsafe_code)]
    pub unsafe fn open_mapped(dir: impl AsRef<Path>) -> Result<Index> {
        let dir = dir.as_ref().to_path_buf();
        let snapshot = open_snapshot(&dir, Load::Map, None)?;
        Ok(Index {
            dir,
            load: Load::Map,
            snapshot,
            merge: MergePolicy::default(),
            committed: Committed::default(),
        })
    }

    /// Creates an empty index in `dir` (created if needed).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `dir` already holds an index;
    /// [`Error::ManifestMissing`] when it holds segments or an audit log but no manifest
    /// (an index that lost its manifest: see [`recover`](super::recover)); I/O errors.
    pub fn create(dir: impl AsRef<Path>) -> Result<Index> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let lock = LockGuard::acquire(&dir)?;
        if dir.join(MANIFEST_FILE).exists() {
            return Err(Error::InvalidArgument(format!(
                "{} already holds an index",
                dir.display()
            )));
        }
        let files = index_files(&dir)?;
        if files > 0 {
            return Err(Error::ManifestMissing { dir, files });
        }
        let m = Manifest::empty();
        let tmp = manifest::tmp_path(&dir);
        manifest::write_synced(&tmp, &m.to_bytes())?;
        let path = dir.join(MANIFEST_FILE);
        fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        manifest::sync_dir(&dir)?;
        drop(lock);
        Index::open(dir)
    }

    /// Opens the index in `dir`, creating an empty one when `dir` has no manifest.
    ///
    /// # Errors
    /// As [`Index::open`] and [`Index::create`].
    pub fn open_or_create(dir: impl AsRef<Path>) -> Result<Index> {
        let dir = dir.as_ref();
        if dir.join(MANIFEST_FILE).exists() {
            Index::open(dir)
        } else {
            match Index::create(dir) {
                Err(Error::InvalidArgument(_)) => Index::open(dir),
                r => r,
            }
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Sets the merge policy of the writers this index gives from now on (the default is
    /// [`MergePolicy::default`]; [`MergePolicy::never`] leaves every commit its own segment).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the policy's parameters are out of range
    /// ([`MergePolicy::validate`]).
    pub fn set_merge_policy(&mut self, policy: MergePolicy) -> Result<()> {
        policy.validate()?;
        self.merge = policy;
        Ok(())
    }

    /// The merge policy of the writers this index gives.
    pub fn merge_policy(&self) -> &MergePolicy {
        &self.merge
    }

    /// The current snapshot (an `Arc` clone: O(1)).
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot.clone()
    }

    /// Re-reads the manifest to see the latest commit (segments already open are reused).
    ///
    /// # Errors
    /// As [`Index::open`].
    pub fn reload(&mut self) -> Result<()> {
        let latest = self
            .committed
            .lock()
            .map_or(None, |mut c| c.take())
            .filter(|s| s.generation() > self.snapshot.generation());
        if let Some(s) = latest {
            self.snapshot = s;
        }
        self.snapshot = open_snapshot(&self.dir, self.load, Some(&self.snapshot))?;
        Ok(())
    }

    /// Takes the writer lock and returns the index's one writer, on the latest commit,
    /// after checking what it will write next to: the manifest and every segment (as at
    /// open) and every committed line of the audit log.
    ///
    /// # Errors
    /// [`Error::Locked`] naming the holder when another writer is active;
    /// [`Error::CorruptIndex`] as [`Index::open`], or naming `audit.log` when a committed
    /// line is damaged or committed history lies past the manifest's `audit_bytes`.
    pub fn writer(&mut self) -> Result<IndexWriter> {
        let lock = LockGuard::acquire(&self.dir)?;
        self.reload()?;
        let base = self.snapshot.clone();
        let w = IndexWriter {
            dir: self.dir.clone(),
            load: self.load,
            _lock: lock,
            base,
            new_works: Vec::new(),
            tombstones: Vec::new(),
            audit: Vec::new(),
            compact: false,
            merge: self.merge,
            committed: self.committed.clone(),
            fail: None,
            abort_at_fail: false,
        };
        let m = &w.base.inner.manifest;
        audit::check_appendable(&w.dir, m.audit_bytes, m.generation, m.audit_crc32)?;
        w.check_unreferenced()?;
        w.remove_unreferenced()?;
        Ok(w)
    }
}

/// A step of a commit after which a test can make the commit fail, as a crash would
/// (`testing` feature).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailPoint {
    /// Half of a segment's temp file written.
    SegmentTorn,
    /// A segment's temp file written and fsynced.
    SegmentWritten,
    /// A segment renamed to its final name.
    SegmentRenamed,
    /// Audit lines appended and fsynced.
    AuditAppended,
    /// Half of `MANIFEST.tmp` written.
    ManifestTorn,
    /// `MANIFEST.tmp` written and fsynced.
    ManifestWritten,
    /// `MANIFEST.tmp` renamed over `MANIFEST` (the commit point), directory not yet fsynced.
    ManifestRenamed,
    /// Directory fsynced, unreferenced files not yet removed.
    BeforeCleanup,
    /// Half of a merged segment's temp file written.
    MergeTorn,
    /// A merged segment's temp file written and fsynced.
    MergeWritten,
    /// A merged segment renamed to its final name (the manifest not yet replaced).
    MergeRenamed,
    /// After the commit point, the first of the segments a merge retired removed, the
    /// others not yet.
    RetiredRemoved,
}

/// The index's one writer. Changes become visible to new snapshots at [`IndexWriter::commit`];
/// dropping a writer without committing discards them (and releases the lock).
///
/// *Performance*: `commit` writes one new segment with the added works (O(n log n) to
/// sort the 8 tables) and a small manifest, plus the merges its [`MergePolicy`] asks for
/// (each input verified, then rewritten: at most `max_segment_rows` hashes a merge);
/// `compact` rewrites every live frame.
#[derive(Debug)]
pub struct IndexWriter {
    dir: PathBuf,
    load: Load,
    _lock: LockGuard,
    base: Snapshot,
    new_works: Vec<NewWork>,
    tombstones: Vec<Tombstone>,
    audit: Vec<AuditEntry>,
    compact: bool,
    merge: MergePolicy,
    fail: Option<FailPoint>,
    abort_at_fail: bool,
    committed: Committed,
}

impl IndexWriter {
    /// Makes the next commit fail at `point` (tests of crash safety; `testing` feature).
    #[cfg(any(test, feature = "testing"))]
    pub fn set_fail_point(&mut self, point: Option<FailPoint>) {
        self.fail = point;
    }

    /// Makes the fail point abort the process (no destructors run, like `kill -9`)
    /// instead of returning an error (tests run this in a child process; `testing` feature).
    #[cfg(any(test, feature = "testing"))]
    pub fn set_abort_at_fail_point(&mut self, abort: bool) {
        self.abort_at_fail = abort;
    }

    fn fail_at(&self, point: FailPoint) -> Result<()> {
        if self.fail == Some(point) {
            if self.abort_at_fail {
                std::process::abort();
            }
            return Err(Error::InjectedFailure {
                point: format!("{point:?}"),
            });
        }
        Ok(())
    }

    /// The [`Kernel`](crate::hash::Kernel) of the works this writer holds (the base
    /// snapshot's live works, then the works added), `None` when it holds none: a work hashed
    /// with another kernel is refused, and banking a video hashes it with this one.
    pub fn kernel(&self) -> Option<crate::hash::Kernel> {
        self.base
            .kernel()
            .or_else(|| self.new_works.first().map(|w| w.recipe.kernel))
    }

    fn is_live(&self, id: &str) -> bool {
        let base_live = self.base.find(id).is_some_and(|w| {
            let (s, lw) = self.locate_base(w);
            !self
                .tombstones
                .iter()
                .any(|t| t.segment == s && t.work == lw)
        });
        base_live || self.new_works.iter().any(|w| w.meta.id == id)
    }

    fn locate_base(&self, w: u32) -> (u64, u32) {
        let inner = &self.base.inner;
        let s = inner.bases.partition_point(|&b| b <= w) - 1;
        (inner.manifest.segments[s].id, w - inner.bases[s])
    }

    /// Adds a work with the entries banking made of it ([`crate::bank::entries`]) and the
    /// recipe they were made with. When `meta.added_unix_s` is 0 it is set to now. Callers
    /// bank through [`crate::bank`], which makes the entries.
    ///
    /// # Errors
    /// [`Error::WorkExists`] when a live work has this id; [`Error::InvalidArgument`]
    /// for an empty id, entries out of time order, or more entries than a segment holds.
    pub fn add_work(
        &mut self,
        meta: WorkMeta,
        rows: Vec<IndexedFrame>,
        recipe: BankOptions,
    ) -> Result<()> {
        self.add_work_at_rate(meta, rows, recipe, 0.0)
    }

    /// As [`IndexWriter::add_work`], recording the source's frame rate `fps` (0 when
    /// unknown), which `index export` turns times back into frame numbers with.
    ///
    /// # Errors
    /// As [`IndexWriter::add_work`].
    pub fn add_work_at_rate(
        &mut self,
        mut meta: WorkMeta,
        rows: Vec<IndexedFrame>,
        recipe: BankOptions,
        fps: f64,
    ) -> Result<()> {
        if meta.id.is_empty() {
            return Err(Error::InvalidArgument("a work id must not be empty".into()));
        }
        if self.is_live(&meta.id) {
            return Err(Error::WorkExists { id: meta.id });
        }
        if let Some(k) = self.kernel().filter(|&k| k != recipe.kernel) {
            return Err(Error::InvalidArgument(format!(
                "work {:?} was hashed with the {} kernel, but {} holds works hashed with the {} \
                 kernel, which an upload cannot be checked against at the same time: ban it \
                 into another index, or hash it with the {1} kernel",
                meta.id,
                recipe.kernel.name(),
                self.dir.display(),
                k.name()
            )));
        }
        if rows.windows(2).any(|w| w[1].pts_ms < w[0].pts_ms) {
            return Err(Error::InvalidArgument(format!(
                "work {:?}: entries are not in time order",
                meta.id
            )));
        }
        if rows.len() > MAX_SEGMENT_FRAMES {
            return Err(Error::InvalidArgument(format!(
                "work {:?}: {} hashes exceed a segment's {MAX_SEGMENT_FRAMES}",
                meta.id,
                rows.len()
            )));
        }
        if meta.added_unix_s == 0 {
            meta.added_unix_s = now_unix_s();
        }
        self.audit.push(AuditEntry {
            time_unix_s: now_unix_s(),
            generation: 0,
            action: AuditAction::Ban,
            work: meta.id.clone(),
            reason: if meta.notice.is_empty() {
                "banned".to_string()
            } else {
                format!("notice {}", meta.notice)
            },
            frames: rows.len() as u64,
        });
        self.new_works.push(NewWork {
            meta,
            rows,
            recipe,
            fps,
        });
        Ok(())
    }

    /// Removes the live work `id`: from the commit on it answers no search; `compact`
    /// purges its hashes. The reason goes to the audit log.
    ///
    /// # Errors
    /// [`Error::NoSuchWork`] when no live work has this id.
    pub fn remove_work(&mut self, id: &str, reason: &str) -> Result<()> {
        let frames;
        if let Some(i) = self.new_works.iter().position(|w| w.meta.id == id) {
            frames = self.new_works[i].rows.len() as u64;
            self.new_works.remove(i);
        } else {
            let w = self
                .base
                .find(id)
                .filter(|_| self.is_live(id))
                .ok_or_else(|| Error::NoSuchWork { id: id.to_string() })?;
            let (segment, work) = self.locate_base(w);
            frames = self.base.work_frames(w).len() as u64;
            self.tombstones.push(Tombstone {
                segment,
                work,
                id: id.to_string(),
            });
        }
        self.audit.push(AuditEntry {
            time_unix_s: now_unix_s(),
            generation: 0,
            action: AuditAction::Remove,
            work: id.to_string(),
            reason: reason.to_string(),
            frames,
        });
        Ok(())
    }

    /// Merges every segment into new ones at commit, purging removed works' hashes.
    pub fn compact(&mut self) {
        self.compact = true;
    }

    /// Sets the merge policy of this writer's commit (by default the index's:
    /// [`Index::set_merge_policy`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the policy's parameters are out of range.
    pub fn set_merge_policy(&mut self, policy: MergePolicy) -> Result<()> {
        policy.validate()?;
        self.merge = policy;
        Ok(())
    }

    /// Removes the temp files of crashed commits (`MANIFEST.tmp`, `seg-*.sdx.tmp`: never
    /// named by a manifest). A segment the manifest does not name is left alone: it may be
    /// the only copy of banked works whose manifest was lost or damaged (`index recover`
    /// finds it); the segments a commit retires are removed by that commit.
    fn remove_unreferenced(&self) -> Result<()> {
        let rd = fs::read_dir(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        for e in rd {
            let e = e.map_err(|e| Error::io(&self.dir, e))?;
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            let temp_segment = name.starts_with("seg-") && name.ends_with(".sdx.tmp");
            if temp_segment || name == super::format::MANIFEST_TMP {
                let p = e.path();
                fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
            }
        }
        Ok(())
    }

    /// Refuses to write next to a segment file that the manifest does not name, below its
    /// `next_segment` (so committed once), holding a work that is neither live nor removed
    /// in the committed audit log: the manifest lost it (damaged, or replaced by an older
    /// one). Segments retired by a merge whose cleanup was interrupted hold only works that
    /// are live elsewhere or removed, and segments from `next_segment` on are the leftovers
    /// of crashed, uncommitted commits: both are accepted (and left in place).
    fn check_unreferenced(&self) -> Result<()> {
        let m = &self.base.inner.manifest;
        let rd = fs::read_dir(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        let mut removed: Option<Vec<AuditEntry>> = None;
        for e in rd {
            let e = e.map_err(|e| Error::io(&self.dir, e))?;
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(id) = name
                .strip_prefix("seg-")
                .and_then(|n| n.strip_suffix(".sdx"))
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            if id >= m.next_segment || m.segments.iter().any(|s| s.id == id) {
                continue;
            }
            let path = e.path();
            let lost = |why: String| Error::CorruptIndex {
                path: path.clone(),
                reason: format!(
                    "{why}, but the manifest does not name this segment: the manifest lost \
                     it; run `staydown index recover` to rebuild the manifest"
                ),
            };
            let seg = segment::Segment::read(&path)
                .map_err(|e| lost(format!("it was committed once (damaged now: {e})")))?;
            if removed.is_none() {
                removed = Some(self.base.audit_log()?);
            }
            let log = removed.as_deref().unwrap_or_default();
            for meta in &seg.works {
                let last = log
                    .iter()
                    .rev()
                    .find(|a| a.work == meta.id && a.action != AuditAction::Compact);
                let accounted = self.base.find(&meta.id).is_some()
                    || last.is_some_and(|a| a.action == AuditAction::Remove);
                if !accounted {
                    return Err(lost(format!(
                        "it holds work {:?}, which is neither live nor removed in the audit log",
                        meta.id
                    )));
                }
            }
        }
        Ok(())
    }

    /// Removes the segments `old` named and `new` does not: the inputs this commit merged
    /// (verified before it read them) or whose works it purged.
    fn remove_retired(&self, old: &Manifest, new: &Manifest) -> Result<()> {
        let mut removed = 0;
        for e in &old.segments {
            if !new.segments.iter().any(|n| n.id == e.id) {
                let p = self.dir.join(&e.file);
                match fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                    Err(err) => return Err(Error::io(&p, err)),
                }
                removed += 1;
                if removed == 1 {
                    self.fail_at(FailPoint::RetiredRemoved)?;
                }
            }
        }
        Ok(())
    }

    /// The first segment id from `from` on whose file and temp file do not exist (a crashed
    /// commit may have left a segment under the id the manifest would give next).
    fn free_segment_id(&self, from: u64) -> u64 {
        let mut id = from;
        while self.dir.join(segment_file(id)).exists()
            || self.dir.join(format!("{}.tmp", segment_file(id))).exists()
        {
            id += 1;
        }
        id
    }

    /// Writes a segment of `works` under id `id` (temp file, fsync, rename); `merged` says
    /// whether it is a merge's output (for the fail points).
    fn write_segment(&self, id: u64, works: &[NewWork], merged: bool) -> Result<SegmentEntry> {
        let (torn, written, renamed) = if merged {
            (
                FailPoint::MergeTorn,
                FailPoint::MergeWritten,
                FailPoint::MergeRenamed,
            )
        } else {
            (
                FailPoint::SegmentTorn,
                FailPoint::SegmentWritten,
                FailPoint::SegmentRenamed,
            )
        };
        let bytes = segment::build(works)?;
        let file = segment_file(id);
        let path = self.dir.join(&file);
        let tmp = self.dir.join(format!("{file}.tmp"));
        if self.fail == Some(torn) {
            manifest::write_synced(&tmp, &bytes[..bytes.len() / 2])?;
            self.fail_at(torn)?;
        }
        manifest::write_synced(&tmp, &bytes)?;
        self.fail_at(written)?;
        if path.exists() {
            // Never rename over a file this commit did not create (the id was checked to be
            // free under the lock: only a foreign process could have made it since).
            return Err(Error::CorruptIndex {
                path,
                reason: "appeared while the segment of this id was being written; another \
                         program writes into the index directory"
                    .into(),
            });
        }
        fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        self.fail_at(renamed)?;
        let n = bytes.len();
        let crc = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().expect("4 bytes"));
        Ok(SegmentEntry {
            id,
            file,
            frames: works.iter().map(|w| w.rows.len() as u64).sum(),
            works: works.len() as u32,
            bytes: n as u64,
            crc32: crc,
        })
    }

    /// Writes the new works' segments (`groups`) into `m` and the merges the policy asks
    /// for over them and the live segments: each base segment a merge reads is verified
    /// first (every byte against its checksum, and its table invariants); merged segments
    /// keep only live works, in manifest order; tombstones of the merged segments go with
    /// their works.
    fn merge_into(&mut self, m: &mut Manifest, mut groups: Vec<Vec<NewWork>>) -> Result<()> {
        let base = self.base.clone();
        let inner = &base.inner;
        let removed_now: Vec<u32> = self
            .tombstones
            .iter()
            .filter_map(|t| {
                let s = inner
                    .manifest
                    .segments
                    .iter()
                    .position(|e| e.id == t.segment)?;
                Some(inner.bases[s] + t.work)
            })
            .collect();
        let mut cands = merge::candidates(&base, &removed_now);
        let nbase = cands.len();
        for g in &groups {
            let rows = g.iter().map(|w| w.rows.len() as u64).sum();
            cands.push(merge::Candidate { rows, live: rows });
        }
        let (plan, rewrite) = self.merge.plan(&cands);
        let mut segments = Vec::with_capacity(plan.len());
        let mut purged = 0u64;
        for srcs in plan {
            if let [i] = srcs[..] {
                if i >= nbase {
                    let id = self.free_segment_id(m.next_segment);
                    m.next_segment = id + 1;
                    segments.push(self.write_segment(id, &groups[i - nbase], false)?);
                    continue;
                }
                if !rewrite.contains(&i) {
                    segments.push(inner.manifest.segments[i].clone());
                    continue;
                }
            }
            let mut works: Vec<NewWork> = Vec::new();
            for i in srcs {
                if i >= nbase {
                    works.append(&mut groups[i - nbase]);
                    continue;
                }
                inner.segments[i].verify()?;
                let first = inner.bases[i];
                for w in first..first + inner.segments[i].works.len() as u32 {
                    if base.is_removed(w) || removed_now.contains(&w) {
                        purged += base.work_frames(w).len() as u64;
                        continue;
                    }
                    works.push(NewWork {
                        meta: inner.works[w as usize].clone(),
                        rows: base.work_frames(w),
                        recipe: base.recipe(w).cloned().unwrap_or_else(BankOptions::legacy),
                        fps: base.frame_rate(w).unwrap_or(0.0),
                    });
                }
            }
            if works.is_empty() {
                // Every work of the inputs was removed: nothing to write.
                continue;
            }
            let id = self.free_segment_id(m.next_segment);
            m.next_segment = id + 1;
            segments.push(self.write_segment(id, &works, true)?);
        }
        m.tombstones
            .retain(|t| segments.iter().any(|e| e.id == t.segment));
        m.segments = segments;
        if purged > 0 {
            self.audit.push(AuditEntry {
                time_unix_s: now_unix_s(),
                generation: 0,
                action: AuditAction::Compact,
                work: String::new(),
                reason: "merge".to_string(),
                frames: purged,
            });
        }
        Ok(())
    }

    /// Commits every change atomically and returns the new snapshot: either all of them
    /// are visible afterwards or (on error or crash) none. The merges the writer's
    /// [`MergePolicy`] asks for are part of the commit (see [`super::merge`]).
    ///
    /// # Errors
    /// I/O errors; the index keeps its previous state.
    pub fn commit(mut self) -> Result<Snapshot> {
        let old = self.base.inner.manifest.clone();
        if self.new_works.is_empty() && self.tombstones.is_empty() && !self.compact {
            return Ok(self.base.clone());
        }
        // Check before writing: the audit log we append to, and, before a merge rewrites
        // them, every byte of its inputs (checksums and table invariants).
        let audit_crc =
            audit::check_appendable(&self.dir, old.audit_bytes, old.generation, old.audit_crc32)?;
        if self.compact {
            self.base.verify()?;
        }
        let mut m = old.clone();
        m.generation += 1;
        // New segments are written in this build's format.
        m.format_version = super::format::FORMAT_VERSION;
        let mut pending: Vec<NewWork> = Vec::new();
        if self.compact {
            let snap = self.base.clone();
            let mut purged = 0u64;
            for (w, meta) in snap.works().iter().enumerate() {
                let w = w as u32;
                let (s, lw) = self.locate_base(w);
                let removed = snap.is_removed(w)
                    || self
                        .tombstones
                        .iter()
                        .any(|t| t.segment == s && t.work == lw);
                if removed {
                    purged += snap.work_frames(w).len() as u64;
                } else {
                    pending.push(NewWork {
                        meta: meta.clone(),
                        rows: snap.work_frames(w),
                        recipe: snap.recipe(w).cloned().unwrap_or_else(BankOptions::legacy),
                        fps: snap.frame_rate(w).unwrap_or(0.0),
                    });
                }
            }
            m.segments.clear();
            m.tombstones.clear();
            self.audit.push(AuditEntry {
                time_unix_s: now_unix_s(),
                generation: 0,
                action: AuditAction::Compact,
                work: String::new(),
                reason: "compact".to_string(),
                frames: purged,
            });
        } else {
            m.tombstones.extend(self.tombstones.iter().cloned());
        }
        pending.append(&mut self.new_works);

        // Group works into segments of at most MAX_SEGMENT_FRAMES frames.
        let mut groups: Vec<Vec<NewWork>> = Vec::new();
        let mut frames = 0usize;
        for item in pending {
            if groups.is_empty() || frames + item.rows.len() > MAX_SEGMENT_FRAMES {
                groups.push(Vec::new());
                frames = 0;
            }
            frames += item.rows.len();
            groups.last_mut().expect("pushed").push(item);
        }
        if self.compact || !self.merge.enabled {
            for g in &groups {
                let id = self.free_segment_id(m.next_segment);
                m.next_segment = id + 1;
                let e = self.write_segment(id, g, false)?;
                m.segments.push(e);
            }
        } else {
            self.merge_into(&mut m, groups)?;
        }
        if m.segments != old.segments {
            manifest::sync_dir(&self.dir)?;
        }

        for a in &mut self.audit {
            a.generation = m.generation;
        }
        let (bytes, crc) = audit::append(&self.dir, old.audit_bytes, Some(audit_crc), &self.audit)?;
        (m.audit_bytes, m.audit_crc32) = (bytes, Some(crc));
        self.fail_at(FailPoint::AuditAppended)?;

        let bytes = m.to_bytes();
        let tmp = manifest::tmp_path(&self.dir);
        if self.fail == Some(FailPoint::ManifestTorn) {
            manifest::write_synced(&tmp, &bytes[..bytes.len() / 2])?;
            self.fail_at(FailPoint::ManifestTorn)?;
        }
        manifest::write_synced(&tmp, &bytes)?;
        self.fail_at(FailPoint::ManifestWritten)?;
        let path = self.dir.join(MANIFEST_FILE);
        fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        self.fail_at(FailPoint::ManifestRenamed)?;
        manifest::sync_dir(&self.dir)?;
        self.fail_at(FailPoint::BeforeCleanup)?;

        let snap = Snapshot::load(&self.dir, m, self.load, Some(&self.base))?;
        self.base = snap.clone();
        if let Ok(mut c) = self.committed.lock() {
            *c = Some(snap.clone());
        }
        self.remove_retired(&old, &snap.inner.manifest)?;
        self.remove_unreferenced()?;
        Ok(snap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Hash256;

    fn add(index: &mut Index, id: &str) -> Snapshot {
        let rows = (0..5u32)
            .map(|k| IndexedFrame {
                hash: Hash256([u64::from(k) * 0x9e37_79b9, id.len() as u64, 7, 11]),
                pts_ms: k * 1000,
                span_ms: 0,
                quality: 90,
                region: 0,
            })
            .collect();
        let meta = WorkMeta {
            id: id.to_string(),
            ..WorkMeta::default()
        };
        let mut w = index.writer().unwrap();
        w.add_work(meta, rows, BankOptions::whole_frames()).unwrap();
        w.commit().unwrap()
    }

    #[test]
    fn reload_takes_the_snapshot_of_its_own_writers_commit_and_sees_others() {
        let d = tempfile::tempdir().unwrap();
        let mut index = Index::create(d.path()).unwrap();
        let committed = add(&mut index, "a");
        index.reload().unwrap();
        // The commit's own snapshot, not a rebuild of it.
        assert!(Arc::ptr_eq(&index.snapshot().inner, &committed.inner));
        index.reload().unwrap();
        assert!(Arc::ptr_eq(&index.snapshot().inner, &committed.inner));

        // Another handle commits: reload builds the newer state.
        let mut other = Index::open(d.path()).unwrap();
        let theirs = add(&mut other, "bb");
        index.reload().unwrap();
        assert_eq!(index.snapshot().generation(), theirs.generation());
        assert!(index.snapshot().find("bb").is_some());

        // This index's writer commits, then the other handle: reload ends on the newer one.
        let mine = add(&mut index, "ccc");
        let newer = add(&mut other, "dddd");
        index.reload().unwrap();
        assert!(index.snapshot().generation() > mine.generation());
        assert_eq!(index.snapshot().generation(), newer.generation());
        assert_eq!(index.snapshot().works().len(), 4);
    }
}
