//! The manifest: which segments are live, which works are removed, how much of the
//! audit log is committed. Replaced atomically; its rename is the commit point.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

use super::format::{
    FORMAT_VERSION, MANIFEST_FILE, MANIFEST_MAGIC, MANIFEST_TMP, OLDEST_SUPPORTED_FORMAT,
    segment_file,
};

/// A live segment as named by the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentEntry {
    /// Segment id (its file is [`super::format::segment_file`]).
    pub id: u64,
    /// File name within the index directory.
    pub file: String,
    /// Indexed frames.
    pub frames: u64,
    /// Works (including removed ones until `compact`).
    pub works: u32,
    /// File length in bytes.
    pub bytes: u64,
    /// The segment's whole-file CRC-32 (as stored in its footer).
    pub crc32: u32,
}

/// A removed work: it stays in its segment until `compact`, but never answers a search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// Segment holding the work.
    pub segment: u64,
    /// The work's ordinal within that segment.
    pub work: u32,
    /// The work's id (for people reading the manifest).
    pub id: String,
}

/// The content of `MANIFEST`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`MANIFEST_MAGIC`].
    pub magic: String,
    /// Format version of the index.
    pub format_version: u32,
    /// Incremented by every commit.
    pub generation: u64,
    /// The id the next segment gets.
    pub next_segment: u64,
    /// Live segments, in work-ordinal order.
    pub segments: Vec<SegmentEntry>,
    /// Removed works not yet purged.
    pub tombstones: Vec<Tombstone>,
    /// Bytes of `audit.log` that belong to this generation.
    pub audit_bytes: u64,
    /// CRC-32 of those `audit_bytes` bytes, so a writer checks the committed history with one
    /// checksum instead of parsing every line (`None` in manifests written before it was
    /// recorded: the writer then parses every line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_crc32: Option<u32>,
}

impl Manifest {
    /// The manifest of a new, empty index.
    pub fn empty() -> Manifest {
        Manifest {
            magic: MANIFEST_MAGIC.to_string(),
            format_version: FORMAT_VERSION,
            generation: 0,
            next_segment: 1,
            segments: Vec::new(),
            tombstones: Vec::new(),
            audit_bytes: 0,
            audit_crc32: None,
        }
    }

    /// The file's bytes: one JSON line and a `crc32 <hex>` line.
    pub fn to_bytes(&self) -> Vec<u8> {
        let json = serde_json::to_string(self).expect("manifest serialises");
        let crc = crc32fast::hash(json.as_bytes());
        format!("{json}\ncrc32 {crc:08x}\n").into_bytes()
    }

    /// Parses and checks the bytes of `path`.
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Manifest> {
        let corrupt = |reason: &str| Error::CorruptIndex {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let text = std::str::from_utf8(bytes).map_err(|_| corrupt("not utf-8"))?;
        let mut lines = text.split('\n');
        let json = lines.next().unwrap_or_default();
        let crc_line = lines
            .next()
            .ok_or_else(|| corrupt("truncated: no checksum line"))?;
        let rest: Vec<&str> = lines.collect();
        if rest != [""] {
            return Err(corrupt("unexpected bytes after the checksum line"));
        }
        let crc = crc_line
            .strip_prefix("crc32 ")
            .filter(|h| h.len() == 8)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| corrupt("malformed checksum line"))?;
        if crc32fast::hash(json.as_bytes()) != crc {
            return Err(corrupt("checksum mismatch (altered or torn)"));
        }
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| corrupt(&format!("json: {e}")))?;
        if value.get("magic").and_then(|m| m.as_str()) != Some(MANIFEST_MAGIC) {
            return Err(corrupt("not a staydown manifest (bad magic)"));
        }
        let version = value
            .get("format_version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| corrupt("no format_version"))?;
        if !(OLDEST_SUPPORTED_FORMAT as u64..=FORMAT_VERSION as u64).contains(&version) {
            return Err(Error::UnsupportedFormat {
                path: path.to_path_buf(),
                found: version.min(u32::MAX as u64) as u32,
                oldest: OLDEST_SUPPORTED_FORMAT,
                current: FORMAT_VERSION,
            });
        }
        let m: Manifest =
            serde_json::from_value(value).map_err(|e| corrupt(&format!("json: {e}")))?;
        m.check(path)?;
        Ok(m)
    }

    /// Checks what a checksum cannot: that the manifest is consistent with itself. Each
    /// segment is listed once under its own file name, `next_segment` is past every live
    /// segment (so no writer renames a new segment over a live one), and each removed work
    /// is named once.
    ///
    /// # Errors
    /// [`Error::CorruptIndex`] naming `path` and the way out (`staydown index recover`).
    pub fn check(&self, path: &Path) -> Result<()> {
        let corrupt = |what: String| Error::CorruptIndex {
            path: path.to_path_buf(),
            reason: format!(
                "{what}; the manifest is inconsistent: run `staydown index recover` to rebuild it \
                 from the segments that verify"
            ),
        };
        let mut ids: Vec<u64> = self.segments.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(corrupt(format!("segment {} is listed twice", w[0])));
        }
        for e in &self.segments {
            if e.file != segment_file(e.id) {
                return Err(corrupt(format!(
                    "segment {} has an unexpected file name {:?}",
                    e.id, e.file
                )));
            }
        }
        if let Some(&max) = ids.last()
            && self.next_segment <= max
        {
            return Err(corrupt(format!(
                "next_segment {} names a segment at or before live segment {max}",
                self.next_segment
            )));
        }
        let mut dead: Vec<(u64, u32)> = self
            .tombstones
            .iter()
            .map(|t| (t.segment, t.work))
            .collect();
        dead.sort_unstable();
        if let Some(w) = dead.windows(2).find(|w| w[0] == w[1]) {
            return Err(corrupt(format!(
                "work {} of segment {} is removed twice",
                w[0].1, w[0].0
            )));
        }
        Ok(())
    }

    /// Reads `dir/MANIFEST`; `Ok(None)` when it does not exist.
    pub fn load(dir: &Path) -> Result<Option<Manifest>> {
        let path = dir.join(MANIFEST_FILE);
        match fs::read(&path) {
            Ok(b) => Manifest::from_bytes(&path, &b).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }
}

/// Writes `bytes` to `path` and fsyncs it (creating or truncating).
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.write_all(bytes).map_err(|e| Error::io(path, e))?;
    f.sync_all().map_err(|e| Error::io(path, e))
}

/// Fsyncs a directory so renames and creations in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// Path of the manifest's temp file.
pub(crate) fn tmp_path(dir: &Path) -> std::path::PathBuf {
    dir.join(MANIFEST_TMP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let p = Path::new("MANIFEST");
        let mut m = Manifest::empty();
        m.generation = 7;
        let b = m.to_bytes();
        assert_eq!(Manifest::from_bytes(p, &b).unwrap(), m);
        for cut in [0, 1, b.len() / 2, b.len() - 1] {
            assert!(Manifest::from_bytes(p, &b[..cut]).is_err(), "cut {cut}");
        }
        for i in 0..b.len() {
            let mut f = b.clone();
            f[i] ^= 0x04;
            let err = Manifest::from_bytes(p, &f).unwrap_err().to_string();
            assert!(err.contains("MANIFEST"), "{err}");
        }
    }
}
