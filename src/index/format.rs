//! The bytes of an index directory: constants, the layout of a segment file, and
//! little-endian helpers.
//!
//! # Directory
//!
//! | file            | written | content |
//! |-----------------|---------|---------|
//! | `MANIFEST`      | replaced atomically (`MANIFEST.tmp`, fsync, rename, fsync dir) | one line of JSON ([`super::manifest::Manifest`]), then a line `crc32 <8 hex>` (CRC-32 of the JSON line's bytes without its newline) |
//! | `seg-<id>.sdx`  | once (`.tmp`, fsync, rename, fsync dir), never modified | a segment, below |
//! | `audit.log`     | appended (fsync); the tail past the manifest's `audit_bytes` is an uncommitted remnant, ignored and cut by the next writer | first line `staydown-audit v1`, then one line per event: `<crc32 of the JSON, 8 hex> <JSON>` |
//! | `.lock`         | `O_EXCL` create by the one writer, removed when it ends | `pid=<pid> host=<host> since=<unix s>` |
//!
//! # Segment file (`seg-<id>.sdx`), format version 1
//!
//! All integers little-endian. `n` = indexed frame hashes, `w` = works. Every section
//! starts at a multiple of 64 bytes ([`SECTION_ALIGN`]); padding bytes are zero.
//!
//! | offset | size | field |
//! |--------|------|-------|
//! | 0      | 8    | magic `STAYDSEG` |
//! | 8      | 4    | format version (`u32`) |
//! | 12     | 4    | number of MIH tables `m` (`u32`: 8, or 0 below [`MIN_INDEXED_HASHES`] hashes, format ≥ 2) |
//! | 16     | 4    | directory bits `b` (`u32`, = 16) |
//! | 20     | 4    | works `w` (`u32`) |
//! | 24     | 8    | frames `n` (`u64`, < 2^24) |
//! | 32     | 8    | metadata length in bytes (`u64`) |
//! | 40     | 4    | CRC-32 of bytes 0..40 followed by the metadata section (checked at every open) |
//! | 44     | 20   | zero |
//! | 64     | 32·n | hashes: each four `u64`, `Hash256.0[0]` first |
//! | …      | 4·n  | `pts_ms` (`u32`) of each frame |
//! | …      | 2·n  | `span_ms` (`u16`): the collapsed run covers `pts_ms ..= pts_ms + span_ms` |
//! | …      | n    | PDQ quality (`u8`) of the run's first frame |
//! | …      | 4·(w+1) | `work_start` (`u32`): frames of work `i` are `work_start[i]..work_start[i+1]` |
//! | …      | per table `t` in `0..m` (none when `m` = 0): | |
//! |        | 4·(2^b+1) | directory (`u32`): entries whose key's top `b` bits equal `p` are `dir[p]..dir[p+1]` |
//! |        | 2·n  | the low `32-b` bits of each entry's key (`u16`), entries sorted by key |
//! |        | 3·n  | each entry's frame number (`u24`) |
//! | …      | meta length | postcard `Vec<(WorkMeta, BankOptions)>`: each work with the recipe it was banked with, in `work_start` order (format 1: `Vec<WorkMeta>` alone) |
//! | …      | 4    | CRC-32 of every byte before it |
//! | end−4  | 4    | magic `SEND` |
//!
//! The key of a frame in table `t` is bits `32t..32t+32` of its hash (see
//! [`substring`]). The file length is a function of `n`, `w` and the metadata length,
//! so a truncated or extended file is refused before anything is read.
//!
//! Work metadata is serde-encoded with postcard (compact, stable wire format, maintained).
//! The original plan named bincode, but bincode's last release (3.0.0) is only a
//! `compile_error!` and the 2.x line is unmaintained.
//!
//! Budget per frame hash: 32 (hash) + 7 (time, span, quality) + 8 × 5 (tables) = 79
//! bytes, plus 2 MiB of directories per segment.

use crate::hash::Hash256;

/// The format version this build writes (3: each work's banking recipe lists its regions
/// with their keyframe rules; 2 stored one collapse rule and the regions beside the whole
/// frame; 1 had the metadata alone).
pub const FORMAT_VERSION: u32 = 3;
/// The oldest format version this build reads.
pub const OLDEST_SUPPORTED_FORMAT: u32 = 1;

/// First 8 bytes of a segment file.
pub const SEGMENT_MAGIC: [u8; 8] = *b"STAYDSEG";
/// Last 4 bytes of a segment file.
pub const SEGMENT_TAIL: [u8; 4] = *b"SEND";
/// Length of the segment header.
pub const HEADER_LEN: usize = 64;
/// Sections of a segment start at multiples of this.
pub const SECTION_ALIGN: usize = 64;
/// Number of multi-index hashing tables (32-bit substrings of the 256-bit hash).
pub const TABLES: usize = 8;
/// Bits of a table key resolved by the directory; the other `32 - DIR_BITS` are stored.
pub const DIR_BITS: u32 = 16;
/// Most frames a segment can hold (frame numbers are stored in 24 bits).
pub const MAX_SEGMENT_FRAMES: usize = (1 << 24) - 1;
/// Longest time span one collapsed entry may cover (stored in 16 bits).
pub const MAX_SPAN_MS: u64 = u16::MAX as u64;

/// First line of the audit log.
pub const AUDIT_HEADER: &str = "staydown-audit v1";
/// `magic` field of the manifest.
pub const MANIFEST_MAGIC: &str = "staydown-index";

/// Name of the manifest file.
pub const MANIFEST_FILE: &str = "MANIFEST";
/// Name of the manifest's temporary file.
pub const MANIFEST_TMP: &str = "MANIFEST.tmp";
/// Name of the audit log.
pub const AUDIT_FILE: &str = "audit.log";
/// Name of the lock file.
pub const LOCK_FILE: &str = ".lock";

/// File name of segment `id`.
pub fn segment_file(id: u64) -> String {
    format!("seg-{id:08}.sdx")
}

/// Key of `hash` in table `t` (0..[`TABLES`]): bits `32t..32t+32` counted from the most
/// significant end of `hash.0`.
#[inline]
pub fn substring(hash: &Hash256, t: usize) -> u32 {
    (hash.0[t / 2] >> (32 * (1 - (t % 2)))) as u32
}

/// Rounds `x` up to a multiple of [`SECTION_ALIGN`].
#[inline]
pub fn align(x: usize) -> usize {
    x.div_ceil(SECTION_ALIGN) * SECTION_ALIGN
}

/// Byte offsets of the sections of a segment with `n` frames, `w` works and `meta_len`
/// bytes of metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Frames.
    pub n: usize,
    /// Works.
    pub works: usize,
    /// Offset of the hash array.
    pub hashes: usize,
    /// Offset of the `pts_ms` array.
    pub pts: usize,
    /// Offset of the `span_ms` array.
    pub span: usize,
    /// Offset of the quality array.
    pub quality: usize,
    /// Offset of `work_start`.
    pub work_start: usize,
    /// Offsets of each table's directory, suffixes and ids (the first `m`).
    pub tables: [TableLayout; TABLES],
    /// Number of tables: [`TABLES`], or 0 for a segment of fewer than
    /// [`MIN_INDEXED_HASHES`] hashes, which is searched by a scan of its hashes.
    pub m: usize,
    /// Offset of the metadata.
    pub meta: usize,
    /// Length of the metadata.
    pub meta_len: usize,
    /// Offset of the trailing CRC-32.
    pub crc: usize,
    /// Total file length.
    pub len: usize,
}

/// Byte offsets of one table's arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TableLayout {
    /// Directory (`2^DIR_BITS + 1` × `u32`).
    pub dir: usize,
    /// Key suffixes (`n` × `u16`).
    pub suffix: usize,
    /// Frame numbers (`n` × `u24`).
    pub ids: usize,
}

/// Segments with fewer hashes than this have no tables (format ≥ 2): a scan of a few
/// thousand hashes (32 bytes each, read in order) costs less than probing 8 directories, and
/// a small segment (one ban) then takes 40 bytes a hash instead of 2 MiB of directories.
pub const MIN_INDEXED_HASHES: usize = 4096;

/// Entries in a table directory.
pub const DIR_ENTRIES: usize = (1 << DIR_BITS) + 1;

impl Layout {
    /// The number of tables a segment of `n` hashes has.
    pub fn tables_for(n: usize) -> usize {
        if n < MIN_INDEXED_HASHES { 0 } else { TABLES }
    }

    /// The tables in use.
    pub fn table_layouts(&self) -> &[TableLayout] {
        &self.tables[..self.m]
    }

    /// The layout for these counts with `m` tables (0 or [`TABLES`]), or `None` when it
    /// would overflow `usize`.
    pub fn new(n: usize, works: usize, meta_len: usize, m: usize) -> Option<Layout> {
        if m != 0 && m != TABLES {
            return None;
        }
        let mut at = HEADER_LEN;
        let mut take = |bytes: usize| -> Option<usize> {
            let start = align(at);
            at = start.checked_add(bytes)?;
            Some(start)
        };
        let hashes = take(n.checked_mul(32)?)?;
        let pts = take(n.checked_mul(4)?)?;
        let span = take(n.checked_mul(2)?)?;
        let quality = take(n)?;
        let work_start = take(works.checked_add(1)?.checked_mul(4)?)?;
        let mut tables = [TableLayout::default(); TABLES];
        for t in tables.iter_mut().take(m) {
            t.dir = take(DIR_ENTRIES * 4)?;
            t.suffix = take(n.checked_mul(2)?)?;
            t.ids = take(n.checked_mul(3)?)?;
        }
        let meta = take(meta_len)?;
        let crc = at;
        let len = crc.checked_add(8)?;
        Some(Layout {
            n,
            works,
            hashes,
            pts,
            span,
            quality,
            work_start,
            tables,
            m,
            meta,
            meta_len,
            crc,
            len,
        })
    }
}

/// Reads a little-endian `u16` at `off` (caller guarantees bounds).
#[inline]
pub fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

/// Reads a little-endian `u24` at `off`.
#[inline]
pub fn u24_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], 0])
}

/// Reads a little-endian `u32` at `off`.
#[inline]
pub fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// Reads a little-endian `u64` at `off`.
#[inline]
pub fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}

/// Reads the 32-byte hash at `off`.
#[inline]
pub fn hash_at(b: &[u8], off: usize) -> Hash256 {
    Hash256([
        u64_at(b, off),
        u64_at(b, off + 8),
        u64_at(b, off + 16),
        u64_at(b, off + 24),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substrings_cover_the_hash() {
        let h = Hash256([
            0x0123_4567_89ab_cdef,
            0xfedc_ba98_7654_3210,
            0x1111_2222_3333_4444,
            0x5555_6666_7777_8888,
        ]);
        let subs: Vec<u32> = (0..TABLES).map(|t| substring(&h, t)).collect();
        assert_eq!(
            subs,
            [
                0x0123_4567,
                0x89ab_cdef,
                0xfedc_ba98,
                0x7654_3210,
                0x1111_2222,
                0x3333_4444,
                0x5555_6666,
                0x7777_8888
            ]
        );
    }

    #[test]
    fn layout_is_aligned_and_sized() {
        let l = Layout::new(1000, 3, 77, TABLES).unwrap();
        for off in [l.hashes, l.pts, l.span, l.quality, l.work_start, l.meta] {
            assert_eq!(off % SECTION_ALIGN, 0);
        }
        assert_eq!(l.len, l.crc + 8);
        assert!(l.meta + 77 <= l.crc);
        assert!(Layout::new(usize::MAX / 4, 1, 1, TABLES).is_none());
        let small = Layout::new(10, 1, 5, 0).unwrap();
        assert!(small.table_layouts().is_empty());
        assert!(small.len < 1024, "{}", small.len);
    }
}
