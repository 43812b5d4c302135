//! Segment files: building one from works, opening one (into memory or mapped), and
//! checking it. The byte layout is in [`super::format`].

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::bank::{BankOptions, RecipeV2, RecipeV4};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::hash::Hash256;

use super::WorkMeta;
use super::format::{
    FORMAT_VERSION, HEADER_LEN, Layout, MAX_SEGMENT_FRAMES, OLDEST_SUPPORTED_FORMAT, SEGMENT_MAGIC,
    SEGMENT_TAIL, TABLES, dir_entries, hash_at, id_bits, substring, u16_at, u24_at, u32_at, u64_at,
};
use super::format::{LEGACY_DIR_BITS, MAX_DIR_BITS, MIN_DIR_BITS};

/// The region tag of a row whose region is not known: rows of format-1 to format-3
/// segments of works banked with regions beside the whole frame (those formats stored the
/// rows of every region merged in time order, without saying which region each came from).
pub const REGION_UNKNOWN: u8 = u8::MAX;

/// One indexed entry: a frame hash of a work, or a run of near-identical consecutive
/// frame hashes collapsed into its first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexedFrame {
    /// The hash of the run's first frame.
    pub hash: Hash256,
    /// Presentation time of the run's first frame.
    pub pts_ms: u32,
    /// The run covers `pts_ms ..= pts_ms + span_ms`.
    pub span_ms: u16,
    /// PDQ quality of the run's first frame.
    pub quality: u8,
    /// Which of the work's fingerprints the row came from: its ordinal in the list
    /// [`crate::bank::fingerprints`] makes for the work's recipe (map it to a region with the
    /// recipe, [`crate::index::Snapshot::recipe`]). [`REGION_UNKNOWN`] for rows of format-1 and
    /// format-2 segments whose work banked several regions.
    pub region: u8,
}

/// A work to write into a segment: its metadata, its entries in time order, and the recipe
/// they were banked with.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NewWork {
    pub(crate) meta: WorkMeta,
    pub(crate) rows: Vec<IndexedFrame>,
    pub(crate) recipe: BankOptions,
    /// The source's frame rate (0 when unknown), for frame numbers on export.
    pub(crate) fps: f64,
}

/// The metadata section of a format-3 segment: each work with its banking recipe (format 2
/// stored the recipe as [`RecipeV2`]).
type StoredWorks = Vec<(WorkMeta, BankOptions)>;

/// Serialises works and their rows into the bytes of a segment file.
///
/// # Errors
/// [`Error::InvalidArgument`] when the rows exceed [`MAX_SEGMENT_FRAMES`].
pub(crate) fn build(works: &[NewWork]) -> Result<Vec<u8>> {
    let n: usize = works.iter().map(|w| w.rows.len()).sum();
    build_as(works, FORMAT_VERSION, super::format::dir_bits_for(n))
}

/// [`build`] in format `version` (4 or 5) with `dir_bits`-bit directories: format 4 has
/// 16-bit directories and byte-aligned entries, which the bit-packed writer makes when the
/// entry width is a whole number of bytes. Format 4 is written only by tests, to check that
/// this build reads it as it reads its own.
fn build_as(works: &[NewWork], version: u32, dir_bits: u32) -> Result<Vec<u8>> {
    let n: usize = works.iter().map(|w| w.rows.len()).sum();
    if n > MAX_SEGMENT_FRAMES {
        return Err(Error::InvalidArgument(format!(
            "a segment holds at most {MAX_SEGMENT_FRAMES} frames, got {n}"
        )));
    }
    let meta = if version >= 5 {
        let stored: Vec<(&WorkMeta, &BankOptions)> =
            works.iter().map(|w| (&w.meta, &w.recipe)).collect();
        postcard::to_allocvec(&stored)
    } else {
        let stored: Vec<(&WorkMeta, RecipeV4)> = works
            .iter()
            .map(|w| (&w.meta, RecipeV4::from(&w.recipe)))
            .collect();
        postcard::to_allocvec(&stored)
    }
    .map_err(|e| Error::InvalidArgument(format!("cannot encode work metadata: {e}")))?;
    if version < 4 {
        return Err(Error::InvalidArgument(format!(
            "cannot write segment format {version}"
        )));
    }
    let l = Layout::of_version(
        version,
        n,
        works.len(),
        meta.len(),
        Layout::tables_for(n),
        dir_bits,
    )
    .ok_or_else(|| Error::InvalidArgument("segment too large".into()))?;
    let mut b = vec![0u8; l.len];
    b[0..8].copy_from_slice(&SEGMENT_MAGIC);
    b[8..12].copy_from_slice(&version.to_le_bytes());
    b[12..16].copy_from_slice(&(l.m as u32).to_le_bytes());
    b[16..20].copy_from_slice(&l.dir_bits.to_le_bytes());
    b[20..24].copy_from_slice(&(works.len() as u32).to_le_bytes());
    b[24..32].copy_from_slice(&(n as u64).to_le_bytes());
    b[32..40].copy_from_slice(&(meta.len() as u64).to_le_bytes());

    let mut hashes = Vec::with_capacity(n);
    let mut i = 0usize;
    let mut start = 0u32;
    for (w, work) in works.iter().enumerate() {
        let o = l.work_start + 4 * w;
        b[o..o + 4].copy_from_slice(&start.to_le_bytes());
        let o = l.work_fps + 8 * w;
        let fps = if work.fps.is_finite() && work.fps > 0.0 {
            work.fps
        } else {
            0.0
        };
        b[o..o + 8].copy_from_slice(&fps.to_bits().to_le_bytes());
        start += work.rows.len() as u32;
        for r in &work.rows {
            for (k, word) in r.hash.0.iter().enumerate() {
                let o = l.hashes + 32 * i + 8 * k;
                b[o..o + 8].copy_from_slice(&word.to_le_bytes());
            }
            let o = l.records + 8 * i;
            b[o..o + 4].copy_from_slice(&r.pts_ms.to_le_bytes());
            b[o + 4..o + 6].copy_from_slice(&r.span_ms.to_le_bytes());
            b[o + 6] = r.quality;
            b[o + 7] = r.region;
            hashes.push(r.hash);
            i += 1;
        }
    }
    let o = l.work_start + 4 * works.len();
    b[o..o + 4].copy_from_slice(&start.to_le_bytes());

    let shift = 32 - l.dir_bits;
    let suffix_mask = (1u64 << shift) - 1;
    let ib = id_bits(n);
    let width = l.entry_bits as usize;
    let mut entries: Vec<(u32, u32)> = Vec::with_capacity(n);
    for (t, tl) in l.table_layouts().iter().enumerate() {
        entries.clear();
        entries.extend(
            hashes
                .iter()
                .enumerate()
                .map(|(id, h)| (substring(h, t), id as u32)),
        );
        entries.sort_unstable();
        let mut counts = vec![0u32; dir_entries(l.dir_bits)];
        for (j, &(key, id)) in entries.iter().enumerate() {
            counts[(key >> shift) as usize + 1] += 1;
            let e = ((u64::from(key) & suffix_mask) << ib) | u64::from(id);
            // Entry j's bits start at bit `width · j` of the section; the 8 bytes from its
            // first one are inside the file (the section ends before the trailing CRC and
            // tail), and the bits past the entry are zero, so OR-ing the word in leaves the
            // next entries' bits as they are.
            let bit = width * j;
            let o = tl.entries + bit / 8;
            let word = u64_at(&b, o) | (e << (bit % 8));
            b[o..o + 8].copy_from_slice(&word.to_le_bytes());
        }
        let mut acc = 0u32;
        for (p, c) in counts.iter().enumerate() {
            acc += c;
            let o = tl.dir + 4 * p;
            b[o..o + 4].copy_from_slice(&acc.to_le_bytes());
        }
    }
    b[l.meta..l.meta + meta.len()].copy_from_slice(&meta);
    let head_crc = head_crc(&b, &l);
    b[40..44].copy_from_slice(&head_crc.to_le_bytes());
    let crc = crc32fast::hash(&b[..l.crc]);
    b[l.crc..l.crc + 4].copy_from_slice(&crc.to_le_bytes());
    b[l.crc + 4..l.crc + 8].copy_from_slice(&SEGMENT_TAIL);
    Ok(b)
}

/// CRC-32 of `b`, computed over 8 MiB chunks in parallel and combined.
fn crc_parallel(b: &[u8]) -> u32 {
    const CHUNK: usize = 8 << 20;
    if b.len() <= CHUNK {
        return crc32fast::hash(b);
    }
    b.par_chunks(CHUNK)
        .map(|c| {
            let mut h = crc32fast::Hasher::new();
            h.update(c);
            h
        })
        .reduce_with(|mut a, b| {
            a.combine(&b);
            a
        })
        .map_or(0, |h| h.finalize())
}

/// Every table directory of the segment in `b` starts at 0, never decreases and ends at its
/// row count; `Err` holds the reason.
fn check_directories(b: &[u8], l: &Layout) -> std::result::Result<(), String> {
    for (t, tl) in l.table_layouts().iter().enumerate() {
        let mut prev = 0u32;
        for p in 0..dir_entries(l.dir_bits) {
            let v = u32_at(b, tl.dir + 4 * p);
            if v < prev || v as usize > l.n || (p == 0 && v != 0) {
                return Err(format!("table {t} directory is not monotonic"));
            }
            prev = v;
        }
        if prev as usize != l.n {
            return Err(format!("table {t} directory does not end at n"));
        }
    }
    Ok(())
}

fn head_crc(b: &[u8], l: &Layout) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&b[..40]);
    h.update(&b[l.meta..l.meta + l.meta_len]);
    h.finalize()
}

enum Backing {
    Heap(Vec<u8>),
    Map(memmap2::Mmap),
}

impl Backing {
    fn bytes(&self) -> &[u8] {
        match self {
            Backing::Heap(v) => v,
            Backing::Map(m) => m,
        }
    }
}

/// An open segment: its bytes (in memory or mapped), layout and decoded metadata.
pub(crate) struct Segment {
    path: PathBuf,
    data: Backing,
    pub(crate) layout: Layout,
    pub(crate) works: Vec<WorkMeta>,
    /// The recipe each work was banked with ([`BankOptions::legacy`] for format 1).
    pub(crate) recipes: Vec<BankOptions>,
    pub(crate) work_start: Vec<u32>,
    /// Each work's source frame rate (0 when unknown; always 0 before format 4).
    pub(crate) fps: Vec<f64>,
    /// Formats 1 to 3: the region tag every row of each work reads with (0 for a work banked
    /// from one fingerprint alone, else [`REGION_UNKNOWN`]); empty in format 4.
    legacy_region: Vec<u8>,
    /// Each work's content digest, computed on first use (see [`Segment::work_digest`]).
    digests: Vec<std::sync::OnceLock<u64>>,
    /// The outcome of the whole-file CRC-32 check, once made: `Err` holds the reason. Set at
    /// open for a segment read into memory; for a mapped one by whichever comes first, the
    /// background verifier or the first search that finds a row in it
    /// ([`Segment::verified`]).
    checked: std::sync::OnceLock<std::result::Result<(), String>>,
}

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segment")
            .field("path", &self.path)
            .field("frames", &self.layout.n)
            .field("works", &self.works.len())
            .finish()
    }
}

impl Segment {
    /// Reads the segment at `path` into memory and checks its structure and its whole-file
    /// CRC-32 (the table invariants are left to [`Segment::verify`]).
    ///
    /// The bytes go to an anonymous mapping advised to use huge pages where the system
    /// allows (Linux transparent huge pages): a search's random reads then miss the TLB
    /// far less often. Falls back to a plain `Vec`.
    pub(crate) fn read(path: &Path) -> Result<Segment> {
        let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = f.metadata().map_err(|e| Error::io(path, e))?.len() as usize;
        if len > 0 {
            if let Ok(mut m) = memmap2::MmapMut::map_anon(len) {
                #[cfg(target_os = "linux")]
                let _ = m.advise(memmap2::Advice::HugePage);
                f.read_exact(&mut m).map_err(|e| Error::io(path, e))?;
                let mut probe = [0u8; 1];
                // A file that grew since `metadata` would be read short: refuse it as
                // the structural checks would.
                if f.read(&mut probe).map_err(|e| Error::io(path, e))? == 0 {
                    let m = m.make_read_only().map_err(|e| Error::io(path, e))?;
                    let seg = Segment::from_backing(path, Backing::Map(m), true)?;
                    seg.verified()?;
                    return Ok(seg);
                }
            }
        }
        let mut v = Vec::new();
        f = File::open(path).map_err(|e| Error::io(path, e))?;
        f.read_to_end(&mut v).map_err(|e| Error::io(path, e))?;
        let seg = Segment::from_backing(path, Backing::Heap(v), true)?;
        seg.verified()?;
        Ok(seg)
    }

    /// Maps the segment at `path` and checks its structure: the header, the metadata (its own
    /// CRC-32) and the work table. The whole-file CRC-32 and the table directories (4 bytes a
    /// row in format 5: 64 MiB in a full segment), which read every page, are left to
    /// [`Segment::verified`]: no row of the segment may reach a caller before it has passed
    /// (see [`crate::index::Snapshot`]), and a search of a damaged directory stays inside the
    /// table ([`super::mih::probe_segments`]).
    ///
    /// # Safety
    /// The file must not be modified or truncated while the segment lives (segments are
    /// write-once; only a foreign process could do it). See [`memmap2::Mmap::map`].
    #[allow(unsafe_code)]
    pub(crate) unsafe fn map(path: &Path) -> Result<Segment> {
        let f = File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: the caller guarantees the file is not modified while mapped; staydown
        // never writes a segment after its rename.
        let m = unsafe { memmap2::Mmap::map(&f) }.map_err(|e| Error::io(path, e))?;
        // Transparent huge pages for the mapping, where the kernel has them for files (Linux
        // with large page-cache folios): a 2 MiB page where the cache holds a 2 MiB folio,
        // and pages faulted in later are read ahead in folios that size. A search's random
        // reads then miss the TLB far less often (README, scale run). Only advice: where the
        // kernel declines it, the mapping works as before.
        #[cfg(target_os = "linux")]
        let _ = m.advise(memmap2::Advice::HugePage);
        Segment::from_backing(path, Backing::Map(m), false)
    }

    /// The segment in `data`, its header, metadata and work table checked, and its
    /// directories too when `check_dirs` (a mapped segment leaves them to its background
    /// check: at 4 bytes a row they are too large to read at open, see [`Segment::map`]).
    fn from_backing(path: &Path, data: Backing, check_dirs: bool) -> Result<Segment> {
        let corrupt = |reason: String| Error::CorruptIndex {
            path: path.to_path_buf(),
            reason,
        };
        let b = data.bytes();
        if b.len() < HEADER_LEN + 8 {
            return Err(corrupt(format!(
                "truncated: {} bytes is shorter than a segment header",
                b.len()
            )));
        }
        if b[0..8] != SEGMENT_MAGIC {
            return Err(corrupt("not a staydown segment (bad magic)".into()));
        }
        let version = u32_at(b, 8);
        if !(OLDEST_SUPPORTED_FORMAT..=FORMAT_VERSION).contains(&version) {
            return Err(Error::UnsupportedFormat {
                path: path.to_path_buf(),
                found: version,
                oldest: OLDEST_SUPPORTED_FORMAT,
                current: FORMAT_VERSION,
            });
        }
        let m = u32_at(b, 12) as usize;
        let tables_ok = m == TABLES || (m == 0 && version >= 2);
        let dir_bits = u32_at(b, 16);
        let dir_ok = if version >= 5 {
            (MIN_DIR_BITS..=MAX_DIR_BITS).contains(&dir_bits)
        } else {
            dir_bits == LEGACY_DIR_BITS
        };
        if !tables_ok || !dir_ok {
            return Err(corrupt("unexpected table parameters in header".into()));
        }
        let works = u32_at(b, 20) as usize;
        let n = u64_at(b, 24);
        let meta_len = u64_at(b, 32);
        if n > MAX_SEGMENT_FRAMES as u64 || meta_len > b.len() as u64 {
            return Err(corrupt("header counts out of range".into()));
        }
        let l = Layout::of_version(version, n as usize, works, meta_len as usize, m, dir_bits)
            .ok_or_else(|| corrupt("header counts out of range".into()))?;
        if l.len != b.len() {
            return Err(corrupt(format!(
                "length {} bytes, header implies {} (truncated or extended)",
                b.len(),
                l.len
            )));
        }
        if b[l.len - 4..] != SEGMENT_TAIL {
            return Err(corrupt("bad trailing magic (torn write)".into()));
        }
        if head_crc(b, &l) != u32_at(b, 40) {
            return Err(corrupt("header or metadata checksum mismatch".into()));
        }
        let meta_bytes = &b[l.meta..l.meta + l.meta_len];
        let (metas, recipes): (Vec<WorkMeta>, Vec<BankOptions>) = if version == 1 {
            let metas: Vec<WorkMeta> = postcard::from_bytes(meta_bytes)
                .map_err(|e| corrupt(format!("work metadata: {e}")))?;
            let recipes = vec![BankOptions::legacy(); metas.len()];
            (metas, recipes)
        } else if version == 2 {
            let stored: Vec<(WorkMeta, RecipeV2)> = postcard::from_bytes(meta_bytes)
                .map_err(|e| corrupt(format!("work metadata: {e}")))?;
            stored.into_iter().map(|(m, r)| (m, r.into())).unzip()
        } else if version <= 4 {
            let stored: Vec<(WorkMeta, RecipeV4)> = postcard::from_bytes(meta_bytes)
                .map_err(|e| corrupt(format!("work metadata: {e}")))?;
            stored.into_iter().map(|(m, r)| (m, r.into())).unzip()
        } else {
            let stored: StoredWorks = postcard::from_bytes(meta_bytes)
                .map_err(|e| corrupt(format!("work metadata: {e}")))?;
            stored.into_iter().unzip()
        };
        if metas.len() != works {
            return Err(corrupt("work count differs from metadata".into()));
        }
        let work_start: Vec<u32> = (0..=works)
            .map(|i| u32_at(b, l.work_start + 4 * i))
            .collect();
        if work_start[0] != 0
            || work_start[works] as usize != l.n
            || work_start.windows(2).any(|w| w[0] > w[1])
        {
            return Err(corrupt("work frame ranges are not monotonic".into()));
        }
        let fps: Vec<f64> = if version >= 4 {
            (0..works)
                .map(|i| f64::from_bits(u64_at(b, l.work_fps + 8 * i)))
                .collect()
        } else {
            vec![0.0; works]
        };
        if fps.iter().any(|f| !(f.is_finite() && *f >= 0.0)) {
            return Err(corrupt("a work's frame rate is not a finite rate".into()));
        }
        // Formats 1 to 3 merged the rows of every fingerprint of a work in time order
        // without a tag: only a work banked from one fingerprint knows where its rows came
        // from.
        let legacy_region: Vec<u8> = if version >= 4 {
            Vec::new()
        } else {
            recipes
                .iter()
                .map(|r| {
                    if r.regions.len() <= 1 {
                        0
                    } else {
                        REGION_UNKNOWN
                    }
                })
                .collect()
        };
        if check_dirs {
            check_directories(b, &l).map_err(corrupt)?;
        }
        Ok(Segment {
            path: path.to_path_buf(),
            layout: l,
            digests: (0..metas.len())
                .map(|_| std::sync::OnceLock::new())
                .collect(),
            works: metas,
            recipes,
            work_start,
            fps,
            legacy_region,
            data,
            checked: std::sync::OnceLock::new(),
        })
    }

    /// The segment's bytes.
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        self.data.bytes()
    }

    /// Number of indexed frames.
    pub(crate) fn frames(&self) -> usize {
        self.layout.n
    }

    /// The stored whole-file CRC-32 (checked by [`Segment::verify`]).
    pub(crate) fn stored_crc(&self) -> u32 {
        u32_at(self.bytes(), self.layout.crc)
    }

    /// The whole-file CRC-32 check: every byte is the one the writer wrote. Made once per
    /// segment (segments are immutable; snapshots share them): the first caller computes it,
    /// callers meanwhile wait for its outcome, later ones read it.
    ///
    /// *Performance*: the first call reads every byte once, in chunks checked in parallel
    /// (rayon); later calls are an atomic load.
    pub(crate) fn verified(&self) -> Result<()> {
        let outcome = self.checked.get_or_init(|| self.crc_outcome());
        outcome.clone().map_err(|reason| self.corrupt(reason))
    }

    /// Whether the segment passed [`Segment::verified`] (waiting for, or making, the check).
    #[inline]
    pub(crate) fn passed(&self) -> bool {
        self.checked.get_or_init(|| self.crc_outcome()).is_ok()
    }

    /// Computes the whole-file CRC-32 and compares it with the stored one.
    fn crc_outcome(&self) -> std::result::Result<(), String> {
        let b = self.bytes();
        if crc_parallel(&b[..self.layout.crc]) == self.stored_crc() {
            // The bytes are the writer's; their directories are checked as well, which a
            // mapped open does not do.
            check_directories(b, &self.layout)
        } else {
            Err(
                "checksum mismatch (altered or torn): restore the file from a backup, \
                 or run `staydown index recover` to rebuild the index without it"
                    .into(),
            )
        }
    }

    fn corrupt(&self, reason: String) -> Error {
        Error::CorruptIndex {
            path: self.path.clone(),
            reason,
        }
    }

    /// The outcome of [`Segment::verified`] if it is known, without waiting or computing it.
    pub(crate) fn verified_yet(&self) -> Option<Result<()>> {
        self.checked.get().map(|_| self.verified())
    }

    /// Checks the whole-file CRC-32 (computed afresh, whatever [`Segment::verified`] found
    /// before) and the table invariants (every entry sorted, every id a frame, every frame
    /// once per table).
    pub(crate) fn verify(&self) -> Result<()> {
        let b = self.bytes();
        let l = &self.layout;
        let corrupt = |reason: String| Error::CorruptIndex {
            path: self.path.clone(),
            reason,
        };
        self.crc_outcome().map_err(|reason| self.corrupt(reason))?;
        check_directories(b, l).map_err(corrupt)?;
        let shift = 32 - l.dir_bits;
        let mut seen = vec![0u8; l.n];
        let entries = self.entries();
        for (t, tl) in l.table_layouts().iter().enumerate() {
            let mut prev_key: Option<u32> = None;
            for p in 0..dir_entries(l.dir_bits) - 1 {
                let lo = u32_at(b, tl.dir + 4 * p) as usize;
                let hi = u32_at(b, tl.dir + 4 * p + 4) as usize;
                for j in lo..hi {
                    let (suffix, id) = entries.get(tl, j);
                    let id = id as usize;
                    if id >= l.n {
                        return Err(corrupt(format!("table {t} names frame {id} of {}", l.n)));
                    }
                    let key = ((p as u32) << shift) | suffix;
                    if suffix >> shift != 0 || substring(&self.hash(id as u32), t) != key {
                        return Err(corrupt(format!("table {t} entry {j} has a wrong key")));
                    }
                    if prev_key.is_some_and(|k| k > key) {
                        return Err(corrupt(format!("table {t} is not sorted")));
                    }
                    prev_key = Some(key);
                    if seen[id] != t as u8 {
                        return Err(corrupt(format!("table {t} lists frame {id} twice")));
                    }
                    seen[id] = t as u8 + 1;
                }
            }
        }
        Ok(())
    }

    /// Hash of frame `id` (< `len()`).
    #[inline]
    pub(crate) fn hash(&self, id: u32) -> Hash256 {
        hash_at(self.bytes(), self.layout.hashes + 32 * id as usize)
    }

    /// How the table entries of this segment are read.
    #[inline]
    pub(crate) fn entries(&self) -> Entries<'_> {
        let l = &self.layout;
        if l.version >= 4 {
            let ib = id_bits(l.n);
            let suffix_bits = l.entry_bits - ib;
            Entries {
                b: self.bytes(),
                width: l.entry_bits as usize,
                id_bits: ib,
                id_mask: (1 << ib) - 1,
                suffix_mask: (1 << suffix_bits) - 1,
            }
        } else {
            Entries {
                b: self.bytes(),
                width: 0,
                id_bits: 24,
                id_mask: (1 << 24) - 1,
                suffix_mask: 0xffff,
            }
        }
    }

    /// The row of frame `id` of local work `w` (`w` is only read for formats 1 to 3).
    #[inline]
    pub(crate) fn row_in(&self, id: u32, w: usize) -> IndexedFrame {
        let b = self.bytes();
        let l = &self.layout;
        let i = id as usize;
        if l.version >= 4 {
            let o = l.records + 8 * i;
            IndexedFrame {
                hash: self.hash(id),
                pts_ms: u32_at(b, o),
                span_ms: u16_at(b, o + 4),
                quality: b[o + 6],
                region: b[o + 7],
            }
        } else {
            IndexedFrame {
                hash: self.hash(id),
                pts_ms: u32_at(b, l.pts + 4 * i),
                span_ms: u16_at(b, l.span + 2 * i),
                quality: b[l.quality + i],
                region: self.legacy_region[w],
            }
        }
    }

    /// The local work ordinal owning frame `id`.
    #[inline]
    pub(crate) fn work_of(&self, id: u32) -> u32 {
        // work_start is monotonic, starts at 0 and ends at n (checked at open).
        (self.work_start.partition_point(|&s| s <= id) - 1) as u32
    }

    /// A digest of local work `w`'s indexed content: its frame count and the CRC-32s of its
    /// hashes and of its times and spans. Works banked from the same frames have the same
    /// digest whatever their ids and metadata. Computed once, on first use.
    pub(crate) fn work_digest(&self, w: usize) -> u64 {
        *self.digests[w].get_or_init(|| {
            let b = self.bytes();
            let l = &self.layout;
            let (lo, hi) = (self.work_start[w] as usize, self.work_start[w + 1] as usize);
            let hashes = crc32fast::hash(&b[l.hashes + 32 * lo..l.hashes + 32 * hi]);
            let mut t = crc32fast::Hasher::new();
            t.update(&((hi - lo) as u64).to_le_bytes());
            if l.version >= 4 {
                // The bytes formats 1 to 3 hash (every time, then every span), so a work
                // banked twice has one digest whatever format each copy is in.
                for i in lo..hi {
                    t.update(&b[l.records + 8 * i..l.records + 8 * i + 4]);
                }
                for i in lo..hi {
                    t.update(&b[l.records + 8 * i + 4..l.records + 8 * i + 6]);
                }
            } else {
                t.update(&b[l.pts + 4 * lo..l.pts + 4 * hi]);
                t.update(&b[l.span + 2 * lo..l.span + 2 * hi]);
            }
            (u64::from(hashes) << 32) | u64::from(t.finalize())
        })
    }

    /// The rows of local work `w`.
    pub(crate) fn work_rows(&self, w: usize) -> Vec<IndexedFrame> {
        (self.work_start[w]..self.work_start[w + 1])
            .map(|id| self.row_in(id, w))
            .collect()
    }
}

/// Reads the table entries of one segment, whatever its format.
#[derive(Clone, Copy)]
pub(crate) struct Entries<'a> {
    b: &'a [u8],
    /// Bits from one entry to the next: 32 or 40 in format 4, [`Layout::entry_bits`] in
    /// format 5; 0 for formats 1 to 3 (separate arrays).
    width: usize,
    id_bits: u32,
    id_mask: u64,
    /// The stored key bits above the row (`32 - dir_bits` of them in format 5; in format 4
    /// every bit above the row, so a damaged entry shows a suffix too wide).
    suffix_mask: u64,
}

impl Entries<'_> {
    /// Format-4 or format-5 entry `j` of table `tl`, whole, in the low bits (the bits above
    /// it are the next entries' and are masked off by the callers).
    #[inline]
    fn word(&self, tl: &super::format::TableLayout, j: usize) -> u64 {
        // An entry starts before the segment's trailing CRC, so its 8 bytes are in the file.
        let bit = self.width * j;
        u64_at(self.b, tl.entries + bit / 8) >> (bit % 8)
    }

    /// Entry `j` of table `tl`: its key's bits below the directory prefix and its row. (A
    /// damaged format-4 entry may give a suffix wider than `32 - dir_bits` bits, and any
    /// damaged entry a row past the end; the callers check both.)
    #[inline]
    pub(crate) fn get(&self, tl: &super::format::TableLayout, j: usize) -> (u32, u32) {
        if self.width != 0 {
            let e = self.word(tl, j);
            (
                ((e >> self.id_bits) & self.suffix_mask) as u32,
                (e & self.id_mask) as u32,
            )
        } else {
            (
                u32::from(u16_at(self.b, tl.suffix + 2 * j)),
                u24_at(self.b, tl.ids + 3 * j),
            )
        }
    }

    /// Byte offset in the segment of the key bits of entry `j` of table `tl` (`j` may be the
    /// table's length: the offset just past its last entry).
    #[inline]
    pub(crate) fn key_offset(&self, tl: &super::format::TableLayout, j: usize) -> usize {
        if self.width != 0 {
            tl.entries + self.width * j / 8
        } else {
            tl.suffix + 2 * j
        }
    }

    /// The key suffix of entry `j` of table `tl` (see [`Entries::get`]).
    #[inline]
    pub(crate) fn frag(&self, tl: &super::format::TableLayout, j: usize) -> u32 {
        if self.width != 0 {
            ((self.word(tl, j) >> self.id_bits) & self.suffix_mask) as u32
        } else {
            u32::from(u16_at(self.b, tl.suffix + 2 * j))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::format::{LEGACY_DIR_BITS, MAX_DIR_BITS, MIN_DIR_BITS};
    use crate::index::mih;

    /// `works` works of `rows` rows each: shots of 40 rows, each row a few bits from the one
    /// before, so keys repeat and buckets are uneven.
    fn works(count: usize, rows: usize, seed: u64) -> Vec<NewWork> {
        let mut x = seed;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        (0..count)
            .map(|w| {
                let mut h = Hash256([next(), next(), next(), next()]);
                let rows = (0..rows)
                    .map(|k| {
                        if k % 40 == 0 {
                            h = Hash256([next(), next(), next(), next()]);
                        } else {
                            for _ in 0..3 {
                                let b = next() % 256;
                                h.0[(b / 64) as usize] ^= 1 << (b % 64);
                            }
                        }
                        IndexedFrame {
                            hash: h,
                            pts_ms: (k * 250) as u32,
                            span_ms: 0,
                            quality: 90,
                            region: 0,
                        }
                    })
                    .collect();
                NewWork {
                    meta: WorkMeta {
                        id: format!("w{w}"),
                        ..WorkMeta::default()
                    },
                    rows,
                    recipe: BankOptions::default(),
                    fps: 4.0,
                }
            })
            .collect()
    }

    fn open(dir: &Path, name: &str, bytes: &[u8]) -> Segment {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let seg = Segment::read(&path).unwrap();
        seg.verify().unwrap();
        seg
    }

    fn hits(seg: &Segment, q: &Hash256, r: u32, t: &[i32; TABLES]) -> Vec<(u32, u32)> {
        let mut v = Vec::new();
        mih::probe_segments(&[seg], q, r, t, &mut |_, id, d| v.push((id, d)));
        v.sort_unstable();
        v
    }

    /// The same works written in format 4 (16-bit directories, byte-aligned entries) and in
    /// format 5 at several directory widths answer every search and seed search alike, and
    /// alike the scan.
    #[test]
    fn format_4_and_5_segments_answer_alike() {
        // 4-byte format-4 entries (up to 2^16 rows), then 5-byte ones.
        for (count, width) in [(30, 32), (70, 40)] {
            answer_alike(count, width);
        }
    }

    fn answer_alike(count: usize, v4_width: u32) {
        let tmp = tempfile::tempdir().unwrap();
        let ws = works(count, 1000, 0x9e37_79b9_7f4a_7c15);
        let n = count * 1000;
        let v4 = open(
            tmp.path(),
            "v4.sdx",
            &build_as(&ws, 4, LEGACY_DIR_BITS).unwrap(),
        );
        assert_eq!((v4.layout.version, v4.layout.entry_bits), (4, v4_width));
        let mut segs = vec![v4];
        for d in [
            MIN_DIR_BITS,
            7,
            super::super::format::dir_bits_for(n),
            16,
            MAX_DIR_BITS,
        ] {
            let seg = open(
                tmp.path(),
                &format!("v5-{d}.sdx"),
                &build_as(&ws, 5, d).unwrap(),
            );
            assert_eq!(
                (seg.layout.dir_bits, seg.layout.entry_bits),
                (d, 32 - d + id_bits(n))
            );
            segs.push(seg);
        }
        let default = open(tmp.path(), "v5.sdx", &build(&ws).unwrap());
        assert_eq!(default.layout.version, FORMAT_VERSION);
        let rows: Vec<Hash256> = ws
            .iter()
            .flat_map(|w| w.rows.iter().map(|r| r.hash))
            .collect();
        let mut compared = 0;
        for (k, base) in rows.iter().step_by(997).enumerate() {
            let mut q = *base;
            for j in 0..k % 14 {
                let b = (k * 37 + j * 101) % 256;
                q.0[b / 64] ^= 1 << (b % 64);
            }
            for (r, t) in [
                (31, mih::thresholds(31)),
                (31, mih::thresholds(15)),
                (9, mih::thresholds(9)),
            ] {
                let mut want = Vec::new();
                mih::scan(&segs[0], &q, r, &mut |id, d| want.push((id, d)));
                want.sort_unstable();
                // A seed search reports the scan's hits that some table holds within its
                // threshold.
                let covered = |&&(id, _): &&(u32, u32)| {
                    let h = segs[0].hash(id);
                    (0..TABLES).any(|i| {
                        t[i] >= 0
                            && (substring(&h, i) ^ substring(&q, i)).count_ones() as i32 <= t[i]
                    })
                };
                let want: Vec<(u32, u32)> = want.iter().filter(covered).copied().collect();
                compared += want.len();
                for seg in segs.iter().chain([&default]) {
                    assert_eq!(hits(seg, &q, r, &t), want, "query {k}, r {r}, {:?}", seg);
                }
            }
        }
        assert!(compared > 100, "{compared} hits compared");
    }

    #[test]
    fn the_scan_finds_every_row_within_the_radius_and_no_other() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = works(3, 300, 0x5ca7);
        let seg = open(tmp.path(), "small.sdx", &build(&ws).unwrap());
        assert_eq!(seg.layout.m, 0, "a segment this small is scanned");
        let n = seg.frames() as u32;
        let mut found = 0;
        for (k, base) in (0..n).step_by(37).enumerate() {
            let mut q = seg.hash(base);
            // 0 to 140 flipped bits: inside and outside every radius below.
            for j in 0..(k * 11) % 141 {
                let b = (k * 53 + j * 7) % 256;
                q.0[b / 64] ^= 1 << (b % 64);
            }
            for r in [0, 9, 31, 40, 64, 127, 128, 200, 256] {
                let mut got = Vec::new();
                mih::scan(&seg, &q, r, &mut |id, d| got.push((id, d)));
                let want: Vec<(u32, u32)> = (0..n)
                    .map(|id| (id, seg.hash(id).distance(&q)))
                    .filter(|&(_, d)| d <= r)
                    .collect();
                assert_eq!(got, want, "row {base}, radius {r}");
                found += want.len();
            }
        }
        assert!(found > 1000, "{found} hits compared");
    }

    #[test]
    fn parallel_crc_equals_the_plain_one() {
        let mut x = 0x1234_5678u32;
        let b: Vec<u8> = (0..(20 << 20) + 13)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        for len in [0, 1, 8 << 20, (8 << 20) + 1, b.len()] {
            assert_eq!(super::crc_parallel(&b[..len]), crc32fast::hash(&b[..len]));
        }
    }
}
