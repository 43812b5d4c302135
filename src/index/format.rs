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
//! # Segment file (`seg-<id>.sdx`), format version 5
//!
//! All integers little-endian. `n` = indexed frame hashes (rows), `w` = works. Every section
//! starts at a multiple of 64 bytes ([`SECTION_ALIGN`]); padding bytes are zero.
//!
//! | offset | size | field |
//! |--------|------|-------|
//! | 0      | 8    | magic `STAYDSEG` |
//! | 8      | 4    | format version (`u32`) |
//! | 12     | 4    | number of MIH tables `m` (`u32`: 8, or 0 below [`MIN_INDEXED_HASHES`] hashes, format ≥ 2) |
//! | 16     | 4    | directory bits `b` (`u32`, [`MIN_DIR_BITS`]`..=`[`MAX_DIR_BITS`]; written as [`dir_bits_for`]`(n)`) |
//! | 20     | 4    | works `w` (`u32`) |
//! | 24     | 8    | rows `n` (`u64`, < 2^24) |
//! | 32     | 8    | metadata length in bytes (`u64`) |
//! | 40     | 4    | CRC-32 of bytes 0..40 followed by the metadata section (checked at every open) |
//! | 44     | 20   | zero |
//! | 64     | 32·n | hashes: each four `u64`, `Hash256.0[0]` first |
//! | …      | 8·n  | one record per row: `pts_ms` (`u32`), `span_ms` (`u16`: the collapsed run covers `pts_ms ..= pts_ms + span_ms`), PDQ quality of the run's first frame (`u8`), region tag (`u8`: the ordinal of the fingerprint the row came from in the work's recipe, [`crate::index::IndexedFrame::region`]) |
//! | …      | 4·(w+1) | `work_start` (`u32`): rows of work `i` are `work_start[i]..work_start[i+1]` |
//! | …      | 8·w  | each work's source frame rate (`f64` bits; 0 = unknown) |
//! | …      | per table `t` in `0..m` (none when `m` = 0): | |
//! |        | 4·(2^b+1) | directory (`u32`): entries whose key's top `b` bits equal `p` are `dir[p]..dir[p+1]` |
//! |        | ⌈e·n/8⌉ | entries sorted by key, bit-packed, `e` = [`entry_bits`]`(n, b)` = `32 - b + id_bits` bits each: entry `j` is bits `e·j .. e·(j+1)` of the section, counted from bit 0 of its first byte (little-endian), and holds `suffix << id_bits | row`, where `id_bits` = [`id_bits`]`(n)` and `suffix` is the key's low `32 - b` bits |
//! | …      | meta length | postcard `Vec<(WorkMeta, BankOptions)>`: each work with the recipe it was banked with, in `work_start` order |
//! | …      | 4    | CRC-32 of every byte before it |
//! | end−4  | 4    | magic `SEND` |
//!
//! The key of a row in table `t` is bits `32t..32t+32` of its hash (see [`substring`]). The
//! directory's width follows the row count: `b = round(log2 n) - 3` ([`dir_bits_for`]), so a
//! bucket holds about 8 entries at every size, and an entry keeps every key bit below the
//! prefix beside its row: `32 - b + id_bits` ≈ 35 bits whatever `n` (36 at most). A segment
//! of a few thousand rows has directories of a few KiB (2 MiB each in format 4, whatever the
//! size); one of 2^24 rows has 2^21-entry directories (8 MiB a table) whose buckets are a
//! cache line or two. The entry and directory widths follow from the header, and the file
//! length is a function of `n`, `w`, `b` and the metadata length, so a truncated or extended
//! file is refused before anything is read.
//!
//! Budget per row: 32 (hash) + 8 (record) + 8 × (35 bits + 4 · 2^b / n bytes of directory)
//! ≈ 79 bytes (78–81 as `n` sits between powers of two; 79.06 B/hash measured at 10^8, 79.4
//! at 2·10^6, README). Format 4 spent 80 (8 × 5-byte entries) above 2^16 rows plus 2 MiB of
//! directories a segment.
//!
//! # Format 4 (read, never written)
//!
//! As above but for: `b` = 16 always; entries are `e` = [`entry_bytes`]`(n)` whole bytes
//! (4 up to 2^16 rows, else 5), each `suffix << id_bits | row` with the key's 16 low bits.
//! (Keeping fewer key bits in 4 bytes at every size was tried then: at 10^7 rows only 8 of
//! the 16 fit, the bucket filter let about one false candidate per probed bucket through,
//! and the matcher's seed search was 4× slower.)
//!
//! # Formats 1 to 3 (read, never written)
//!
//! As format 4 but for: the record is three arrays, `pts_ms` (4·n), `span_ms` (2·n) and
//! quality (n), each its own section, and rows have no region tag (read as
//! [`crate::index::REGION_UNKNOWN`], or as 0 for a work whose recipe banked one region
//! alone: then every row is its fingerprint 0); no frame-rate section; a table is its
//! directory, the 16 low key bits of each entry (`u16`, 2·n) and each entry's row (`u24`,
//! 3·n), each its own section. Format 1 has `m` = 8 always and its metadata is
//! `Vec<WorkMeta>` alone; format 2's recipes have one collapse rule and list the regions
//! beside the whole frame.
//!
//! Work metadata is serde-encoded with postcard (compact, stable wire format, maintained).
//! The original plan named bincode, but bincode's last release (3.0.0) is only a
//! `compile_error!` and the 2.x line is unmaintained.

use crate::hash::Hash256;

/// The format version this build writes (5: the directory width follows the segment's size,
/// [`dir_bits_for`], table entries are bit-packed, and each work's recipe names its hashing
/// [`Kernel`](crate::hash::Kernel); 4: a region tag per row, one 8-byte record per row, table
/// entries of the key's 16 low bits and the row in 4 or 5 bytes, each work's frame rate; 3:
/// each work's banking recipe lists its regions with their keyframe rules; 2 stored one
/// collapse rule and the regions beside the whole frame; 1 had the metadata alone).
pub const FORMAT_VERSION: u32 = 5;
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
/// Bits of a table key resolved by the directory in formats 1 to 4; the other
/// `32 - LEGACY_DIR_BITS` are stored. Format 5 records its own width, [`dir_bits_for`].
pub const LEGACY_DIR_BITS: u32 = 16;
/// Fewest directory bits a format-5 segment may record.
pub const MIN_DIR_BITS: u32 = 1;
/// Most directory bits a format-5 segment may record (a 64 MiB directory a table).
pub const MAX_DIR_BITS: u32 = 24;
/// A format-5 directory has about `2^BUCKET_LOG2` entries a bucket on average: see
/// [`dir_bits_for`].
pub const BUCKET_LOG2: u32 = 3;
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

/// Bits of a format-4 or format-5 table entry that hold the row (at least 1): enough for
/// `n - 1`.
#[inline]
pub fn id_bits(n: usize) -> u32 {
    (usize::BITS - n.saturating_sub(1).leading_zeros()).max(1)
}

/// Bytes of a format-4 table entry in a segment of `n` rows: the `32 - LEGACY_DIR_BITS` key
/// bits below the directory prefix and [`id_bits`]`(n)` bits of row, 4 up to 2^16 rows, else
/// 5 (rows are below 2^24, [`MAX_SEGMENT_FRAMES`]).
#[inline]
pub fn entry_bytes(n: usize) -> usize {
    if (32 - LEGACY_DIR_BITS) + id_bits(n) <= 32 {
        4
    } else {
        5
    }
}

/// The directory width a format-5 segment of `n` rows is written with: `round(log2 n)` less
/// [`BUCKET_LOG2`], within [`MIN_DIR_BITS`]`..=`[`MAX_DIR_BITS`], so a bucket holds about
/// `2^BUCKET_LOG2` entries whatever the segment's size. A small segment's directories then
/// take a few KiB and stay in cache, and a large one's buckets are a cache line or two.
/// An entry keeps the `32 - d` key bits below the prefix and [`id_bits`]`(n)` bits of row,
/// about `32 + BUCKET_LOG2` bits at every size.
pub fn dir_bits_for(n: usize) -> u32 {
    // round(log2 n): the bit length of n, less one unless n's next bit down is set.
    let len = usize::BITS - n.max(1).leading_zeros();
    let up = len >= 2 && (n >> (len - 2)) & 1 == 1;
    let log2 = len - 1 + u32::from(up);
    log2.saturating_sub(BUCKET_LOG2)
        .clamp(MIN_DIR_BITS, MAX_DIR_BITS)
}

/// Bits of one format-5 table entry in a segment of `n` rows with a `dir_bits`-bit
/// directory: the key's low `32 - dir_bits` bits above [`id_bits`]`(n)` bits of row.
#[inline]
pub fn entry_bits(n: usize, dir_bits: u32) -> u32 {
    32 - dir_bits + id_bits(n)
}

/// Byte offsets of the sections of a segment of format `version` with `n` rows, `w` works
/// and `meta_len` bytes of metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Format version (1 to [`FORMAT_VERSION`]).
    pub version: u32,
    /// Rows.
    pub n: usize,
    /// Works.
    pub works: usize,
    /// Offset of the hash array.
    pub hashes: usize,
    /// Format 4: offset of the 8-byte row records (0 before).
    pub records: usize,
    /// Formats 1 to 3: offset of the `pts_ms` array (0 in format 4).
    pub pts: usize,
    /// Formats 1 to 3: offset of the `span_ms` array (0 in format 4).
    pub span: usize,
    /// Formats 1 to 3: offset of the quality array (0 in format 4).
    pub quality: usize,
    /// Offset of `work_start`.
    pub work_start: usize,
    /// Format 4: offset of the works' frame rates (0 before).
    pub work_fps: usize,
    /// Offsets of each table's arrays (the first `m`).
    pub tables: [TableLayout; TABLES],
    /// Directory bits: the key's top `dir_bits` resolve a bucket ([`LEGACY_DIR_BITS`] before
    /// format 5).
    pub dir_bits: u32,
    /// Bits from one table entry to the next (format 4: 8 × [`entry_bytes`]; format 5:
    /// [`entry_bits`]; 0 before).
    pub entry_bits: u32,
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
    /// Directory (`2^dir_bits + 1` × `u32`).
    pub dir: usize,
    /// Formats 4 and 5: entries (`n` × [`Layout::entry_bits`] bits, see [`id_bits`]); 0
    /// before.
    pub entries: usize,
    /// Formats 1 to 3: key suffixes (`n` × `u16`); 0 in format 4.
    pub suffix: usize,
    /// Formats 1 to 3: rows (`n` × `u24`); 0 in format 4.
    pub ids: usize,
}

/// Segments with fewer hashes than this have no tables (format ≥ 2): a scan of a few
/// thousand hashes (32 bytes each, read in order) costs less than probing 8 directories, and
/// a small segment (one ban) then takes 40 bytes a hash instead of 2 MiB of directories.
pub const MIN_INDEXED_HASHES: usize = 4096;

/// Entries in a table directory of `dir_bits` bits.
#[inline]
pub fn dir_entries(dir_bits: u32) -> usize {
    (1 << dir_bits) + 1
}

impl Layout {
    /// The number of tables a segment of `n` hashes has.
    pub fn tables_for(n: usize) -> usize {
        if n < MIN_INDEXED_HASHES { 0 } else { TABLES }
    }

    /// The tables in use.
    pub fn table_layouts(&self) -> &[TableLayout] {
        &self.tables[..self.m]
    }

    /// The layout of format [`FORMAT_VERSION`] for these counts with `m` tables (0 or
    /// [`TABLES`]) and directories of [`dir_bits_for`]`(n)` bits, or `None` when it would
    /// overflow `usize`.
    pub fn new(n: usize, works: usize, meta_len: usize, m: usize) -> Option<Layout> {
        Layout::of_version(FORMAT_VERSION, n, works, meta_len, m, dir_bits_for(n))
    }

    /// The layout of format `version` (1 to [`FORMAT_VERSION`]) for these counts with `m`
    /// tables of `dir_bits`-bit directories, or `None` when it would overflow `usize`, the
    /// version is unknown, or `dir_bits` is not one the version has ([`LEGACY_DIR_BITS`]
    /// before format 5, [`MIN_DIR_BITS`]`..=`[`MAX_DIR_BITS`] in it).
    pub fn of_version(
        version: u32,
        n: usize,
        works: usize,
        meta_len: usize,
        m: usize,
        dir_bits: u32,
    ) -> Option<Layout> {
        if (m != 0 && m != TABLES) || !(OLDEST_SUPPORTED_FORMAT..=FORMAT_VERSION).contains(&version)
        {
            return None;
        }
        let dir_ok = if version >= 5 {
            (MIN_DIR_BITS..=MAX_DIR_BITS).contains(&dir_bits)
        } else {
            dir_bits == LEGACY_DIR_BITS
        };
        if !dir_ok {
            return None;
        }
        let entry_bits = match version {
            5.. => entry_bits(n, dir_bits),
            4 => 8 * entry_bytes(n) as u32,
            _ => 0,
        };
        let v3 = version >= 4;
        let mut at = HEADER_LEN;
        let mut take = |bytes: usize| -> Option<usize> {
            let start = align(at);
            at = start.checked_add(bytes)?;
            Some(start)
        };
        let hashes = take(n.checked_mul(32)?)?;
        let (mut records, mut pts, mut span, mut quality) = (0, 0, 0, 0);
        if v3 {
            records = take(n.checked_mul(8)?)?;
        } else {
            pts = take(n.checked_mul(4)?)?;
            span = take(n.checked_mul(2)?)?;
            quality = take(n)?;
        }
        let work_start = take(works.checked_add(1)?.checked_mul(4)?)?;
        let work_fps = if v3 { take(works.checked_mul(8)?)? } else { 0 };
        let mut tables = [TableLayout::default(); TABLES];
        for t in tables.iter_mut().take(m) {
            t.dir = take(dir_entries(dir_bits) * 4)?;
            if v3 {
                t.entries = take(n.checked_mul(entry_bits as usize)?.div_ceil(8))?;
            } else {
                t.suffix = take(n.checked_mul(2)?)?;
                t.ids = take(n.checked_mul(3)?)?;
            }
        }
        let meta = take(meta_len)?;
        let crc = at;
        let len = crc.checked_add(8)?;
        Some(Layout {
            version,
            n,
            works,
            hashes,
            records,
            pts,
            span,
            quality,
            work_start,
            work_fps,
            tables,
            dir_bits,
            entry_bits,
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

/// Reads a little-endian 40-bit integer at `off`.
#[inline]
pub fn u40_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a[..5].copy_from_slice(&b[off..off + 5]);
    u64::from_le_bytes(a)
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
        for off in [l.hashes, l.records, l.work_start, l.work_fps, l.meta] {
            assert_eq!(off % SECTION_ALIGN, 0);
        }
        for t in l.table_layouts() {
            assert_eq!((t.dir % SECTION_ALIGN, t.entries % SECTION_ALIGN), (0, 0));
            assert!(t.entries >= t.dir + dir_entries(l.dir_bits) * 4);
        }
        let v2 = Layout::of_version(2, 1000, 3, 77, TABLES, LEGACY_DIR_BITS).unwrap();
        for off in [
            v2.hashes,
            v2.pts,
            v2.span,
            v2.quality,
            v2.work_start,
            v2.meta,
        ] {
            assert_eq!(off % SECTION_ALIGN, 0);
        }
        assert!(Layout::of_version(FORMAT_VERSION + 1, 10, 1, 1, 0, 8).is_none());
        assert!(Layout::of_version(4, 10, 1, 1, 0, 8).is_none());
        assert!(Layout::of_version(5, 10, 1, 1, 0, MAX_DIR_BITS + 1).is_none());
        assert_eq!(l.len, l.crc + 8);
        assert!(l.meta + 77 <= l.crc);
        assert!(Layout::new(usize::MAX / 4, 1, 1, TABLES).is_none());
        let small = Layout::new(10, 1, 5, 0).unwrap();
        assert!(small.table_layouts().is_empty());
        assert!(small.len < 1024, "{}", small.len);
    }

    #[test]
    fn entries_hold_the_row_and_the_whole_key_suffix() {
        assert_eq!(
            (id_bits(0), id_bits(1), id_bits(2), id_bits(3)),
            (1, 1, 1, 2)
        );
        assert_eq!((id_bits(1 << 16), id_bits((1 << 16) + 1)), (16, 17));
        assert_eq!(id_bits(MAX_SEGMENT_FRAMES), 24);
        assert_eq!(entry_bytes(MIN_INDEXED_HASHES), 4);
        assert_eq!(entry_bytes(1 << 16), 4);
        assert_eq!(entry_bytes((1 << 16) + 1), 5);
        assert_eq!(entry_bytes(MAX_SEGMENT_FRAMES), 5);
        for n in [1usize, 4096, 65_536, 65_537, 1_000_000, MAX_SEGMENT_FRAMES] {
            assert!(((n - 1) as u64) < 1u64 << id_bits(n), "{n}");
            assert!(
                (32 - LEGACY_DIR_BITS) + id_bits(n) <= 8 * entry_bytes(n) as u32,
                "{n}"
            );
        }
        let l = Layout::of_version(4, 1 << 20, 1, 1, TABLES, LEGACY_DIR_BITS).unwrap();
        let t = l.table_layouts();
        assert!(t[1].dir >= t[0].entries + 5 * (1 << 20));
    }

    #[test]
    fn the_directory_follows_the_segment_size() {
        assert_eq!(dir_bits_for(0), MIN_DIR_BITS);
        assert_eq!(dir_bits_for(4096), 12 - BUCKET_LOG2);
        // round(log2 n): 2^12 · 1.4 rounds down, 2^12 · 1.5 up.
        assert_eq!(dir_bits_for(5734), 12 - BUCKET_LOG2);
        assert_eq!(dir_bits_for(6144), 13 - BUCKET_LOG2);
        assert_eq!(dir_bits_for(MAX_SEGMENT_FRAMES), 24 - BUCKET_LOG2);
        assert_eq!(dir_bits_for(usize::MAX), MAX_DIR_BITS);
        for n in [1usize, 100, 4096, 65_537, 1_000_000, MAX_SEGMENT_FRAMES] {
            let d = dir_bits_for(n);
            let w = entry_bits(n, d);
            // The shifted 8-byte read of an entry holds it whole.
            assert!(w + 7 <= 64, "{n}");
            // Bytes per row of a segment with tables, without the metadata: at most 81.
            let l = Layout::new(n, 1, 0, TABLES).unwrap();
            if n >= MIN_INDEXED_HASHES {
                let per_row = l.len as f64 / n as f64;
                assert!(
                    per_row < 81.0,
                    "{n}: {per_row} B/row, d {d}, {w}-bit entries"
                );
            }
        }
    }
}
