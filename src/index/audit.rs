//! The audit log: every ban, replacement, removal and compaction, with time and reason.
//!
//! Append-only text, one checksummed JSON line per event (see [`super::format`]). Lines
//! are appended and fsynced before the manifest that commits them; the manifest records
//! how many bytes of the log are committed, so a crash between the two leaves a tail
//! that readers ignore and the next writer cuts.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

use super::format::{AUDIT_FILE, AUDIT_HEADER};

/// What happened to a work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditAction {
    /// The work was banned (added).
    Ban,
    /// The work was removed from the index (counter-notice upheld, mistaken ban).
    Remove,
    /// Removed works were purged and segments merged.
    Compact,
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When, seconds since the Unix epoch.
    pub time_unix_s: i64,
    /// The generation this event was committed in.
    pub generation: u64,
    /// What happened.
    pub action: AuditAction,
    /// The work (empty for `compact`).
    pub work: String,
    /// Why (the notice, the counter-notice, the operator's words).
    pub reason: String,
    /// Indexed frames added or purged.
    pub frames: u64,
}

/// Encodes one entry as a log line.
pub(crate) fn line(e: &AuditEntry) -> String {
    let json = serde_json::to_string(e).expect("audit entry serialises");
    format!("{:08x} {json}\n", crc32fast::hash(json.as_bytes()))
}

/// Appends `entries` to the log in `dir` (creating it with its header), fsyncs, and
/// returns the log's new length.
pub(crate) fn append(dir: &Path, committed: u64, entries: &[AuditEntry]) -> Result<u64> {
    let path = dir.join(AUDIT_FILE);
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    let len = f.metadata().map_err(|e| Error::io(&path, e))?.len();
    if len < committed {
        return Err(Error::CorruptIndex {
            path,
            reason: format!("truncated: {len} bytes, the manifest commits {committed}"),
        });
    }
    if len > committed {
        // An uncommitted tail from a crashed writer: cut it.
        f.set_len(committed).map_err(|e| Error::io(&path, e))?;
    }
    let mut text = String::new();
    if committed == 0 {
        text.push_str(AUDIT_HEADER);
        text.push('\n');
    }
    for e in entries {
        text.push_str(&line(e));
    }
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(&path, e))?;
    Ok(committed + text.len() as u64)
}

/// Reads the committed part (`committed` bytes) of the log in `dir`, checking every line.
pub fn read(dir: &Path, committed: u64) -> Result<Vec<AuditEntry>> {
    let path = dir.join(AUDIT_FILE);
    if committed == 0 {
        return Ok(Vec::new());
    }
    let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let corrupt = |reason: String| Error::CorruptIndex {
        path: path.clone(),
        reason,
    };
    if (bytes.len() as u64) < committed {
        return Err(corrupt(format!(
            "truncated: {} bytes, the manifest commits {committed}",
            bytes.len()
        )));
    }
    let text = std::str::from_utf8(&bytes[..committed as usize])
        .map_err(|_| corrupt("not utf-8".into()))?;
    let mut lines = text.split_terminator('\n');
    if lines.next() != Some(AUDIT_HEADER) {
        return Err(corrupt("bad header line".into()));
    }
    if !text.ends_with('\n') {
        return Err(corrupt("last committed line is incomplete".into()));
    }
    let mut out = Vec::new();
    for (i, l) in lines.enumerate() {
        let bad = || corrupt(format!("line {} is damaged", i + 2));
        let (crc, json) = l.split_once(' ').ok_or_else(bad)?;
        let crc = u32::from_str_radix(crc, 16).map_err(|_| bad())?;
        if crc32fast::hash(json.as_bytes()) != crc {
            return Err(bad());
        }
        out.push(serde_json::from_str(json).map_err(|_| bad())?);
    }
    Ok(out)
}
