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
/// returns the log's new length and the CRC-32 of its bytes up to there. `committed_crc` is
/// the CRC-32 of the first `committed` bytes (as [`check_appendable`] returns it); `None`
/// reads them to compute it.
pub(crate) fn append(
    dir: &Path,
    committed: u64,
    committed_crc: Option<u32>,
    entries: &[AuditEntry],
) -> Result<(u64, u32)> {
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
    let prefix_crc = match committed_crc {
        Some(c) => c,
        None if committed == 0 => 0,
        None => {
            let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
            crc32fast::hash(&bytes[..committed as usize])
        }
    };
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
    let mut crc = crc32fast::Hasher::new_with_initial(prefix_crc);
    crc.update(text.as_bytes());
    Ok((committed + text.len() as u64, crc.finalize()))
}

/// Checks the log in `dir` before a writer appends to it: every committed line (the first
/// `committed` bytes) verifies, and what lies past them is only the remnant of a crashed
/// commit (lines of generation `generation + 1`, `generation` being the manifest's, and at
/// most one incomplete last line), which the append cuts. Anything else (committed history past
/// `committed`, a damaged line) is refused: the append would cut or bury it. Returns the
/// CRC-32 of the committed bytes.
///
/// When the manifest recorded that CRC-32 (`committed_crc`), the committed bytes are checked
/// against it (they are then exactly the lines committed, each of which verified when it was
/// written): one pass at memory speed, where parsing every line made each commit cost time in
/// proportion to the history. Without it, or when it does not match, every line is parsed
/// and the first damaged one named.
///
/// # Errors
/// [`Error::CorruptIndex`] naming `audit.log`, the line, and the way out.
pub(crate) fn check_appendable(
    dir: &Path,
    committed: u64,
    generation: u64,
    committed_crc: Option<u32>,
) -> Result<u32> {
    let path = dir.join(AUDIT_FILE);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && committed == 0 => return Ok(0),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::CorruptIndex {
                path,
                reason: format!(
                    "missing, the manifest commits {committed} bytes of it: restore it from a \
                     backup, or run `staydown index recover` to start a new log"
                ),
            });
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    let prefix = bytes.get(..committed as usize);
    let crc = prefix.map(crc32fast::hash);
    let refuse = |reason: String| Error::CorruptIndex {
        path: path.clone(),
        reason: format!(
            "{reason}: refusing to append after it; restore the file from a backup, or run \
             `staydown index recover` to keep the lines that verify"
        ),
    };
    if committed_crc.is_none() || crc != committed_crc {
        read_bytes(&path, &bytes, committed).map_err(|e| match e {
            Error::CorruptIndex { reason, .. } => refuse(reason),
            e => e,
        })?;
    }
    let Some(tail) = bytes.get(committed as usize..) else {
        return Err(refuse(format!(
            "truncated: {} bytes, the manifest commits {committed}",
            bytes.len()
        )));
    };
    if !tail.is_empty() {
        check_tail(&path, &bytes, committed, generation)?;
    }
    match (crc, committed_crc) {
        (Some(c), Some(want)) if c != want => Err(refuse(format!(
            "the {committed} committed bytes have CRC-32 {c:08x}, the manifest committed \
             {want:08x} (every line parses: altered since it was committed)"
        ))),
        (Some(c), _) => Ok(c),
        (None, _) => Err(refuse(format!(
            "truncated: {} bytes, the manifest commits {committed}",
            bytes.len()
        ))),
    }
}

/// Checks that what lies past the `committed` bytes of the log `bytes` is only the remnant
/// of a crashed commit of generation `generation + 1` (see [`check_appendable`]).
fn check_tail(path: &Path, bytes: &[u8], committed: u64, generation: u64) -> Result<()> {
    let tail = &bytes[committed as usize..];
    let first_line = 1 + bytes[..committed as usize]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    let mut lines = tail.split_inclusive(|&b| b == b'\n').peekable();
    let mut k = first_line;
    while let Some(l) = lines.next() {
        let last = lines.peek().is_none();
        let complete = l.ends_with(b"\n");
        let text = std::str::from_utf8(l).unwrap_or("").trim_end_matches('\n');
        let ok = if k == 1 {
            text == AUDIT_HEADER || (last && !complete)
        } else {
            match parse_line(text) {
                // A crashed commit appends lines of exactly the next generation.
                Some(e) => e.generation == generation + 1,
                None => last && !complete,
            }
        };
        if !ok {
            return Err(Error::CorruptIndex {
                path: path.to_path_buf(),
                reason: format!(
                    "line {k} lies past the {committed} bytes the manifest commits but is not \
                     the remnant of a crashed commit (damaged, or not of generation {}): the \
                     manifest or the log is damaged; run `staydown index recover`",
                    generation + 1
                ),
            });
        }
        k += 1;
    }
    Ok(())
}

/// Parses one log line (without its newline); `None` when it is damaged.
pub(crate) fn parse_line(l: &str) -> Option<AuditEntry> {
    let (crc, json) = l.split_once(' ')?;
    let crc = u32::from_str_radix(crc, 16).ok()?;
    if crc32fast::hash(json.as_bytes()) != crc {
        return None;
    }
    serde_json::from_str(json).ok()
}

/// Reads the committed part (`committed` bytes) of the log in `dir`, checking every line.
pub fn read(dir: &Path, committed: u64) -> Result<Vec<AuditEntry>> {
    let path = dir.join(AUDIT_FILE);
    if committed == 0 {
        return Ok(Vec::new());
    }
    let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
    read_bytes(&path, &bytes, committed)
}

/// Checks and parses the first `committed` bytes of the log `bytes` read from `path`.
fn read_bytes(path: &Path, bytes: &[u8], committed: u64) -> Result<Vec<AuditEntry>> {
    if committed == 0 {
        return Ok(Vec::new());
    }
    let corrupt = |reason: String| Error::CorruptIndex {
        path: path.to_path_buf(),
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
        out.push(parse_line(l).ok_or_else(|| corrupt(format!("line {} is damaged", i + 2)))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(generation: u64, work: &str) -> AuditEntry {
        AuditEntry {
            time_unix_s: 1_700_000_000,
            generation,
            action: AuditAction::Ban,
            work: work.to_string(),
            reason: "notice N-1".to_string(),
            frames: 12,
        }
    }

    /// A log of three commits; returns its committed length and CRC-32 as `append` gave them.
    fn three_commits(dir: &Path) -> (u64, u32) {
        let (mut len, mut crc) = (0u64, None);
        for (g, w) in [(1, "a"), (2, "b"), (3, "c")] {
            let (l, c) = append(dir, len, crc, &[entry(g, w)]).unwrap();
            assert_eq!(check_appendable(dir, l, g, Some(c)).unwrap(), c);
            (len, crc) = (l, Some(c));
        }
        (len, crc.unwrap())
    }

    #[test]
    fn the_returned_checksum_is_the_committed_bytes_checksum() {
        let d = tempfile::tempdir().unwrap();
        let (len, crc) = three_commits(d.path());
        let bytes = fs::read(d.path().join(AUDIT_FILE)).unwrap();
        assert_eq!(bytes.len() as u64, len);
        assert_eq!(crc32fast::hash(&bytes), crc);
        // Without the committed checksum, `append` reads it from the file.
        let (len2, crc2) = append(d.path(), len, None, &[entry(4, "d")]).unwrap();
        let bytes = fs::read(d.path().join(AUDIT_FILE)).unwrap();
        assert_eq!((bytes.len() as u64, crc32fast::hash(&bytes)), (len2, crc2));
        assert_eq!(check_appendable(d.path(), len2, 4, None).unwrap(), crc2);
    }

    #[test]
    fn committed_bytes_that_differ_from_the_checksum_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let (len, crc) = three_commits(d.path());
        let path = d.path().join(AUDIT_FILE);
        let text = fs::read_to_string(&path).unwrap();
        // Rewrite the second line with another work and a valid line checksum: every line
        // still parses, but the bytes are not the ones committed.
        let lines: Vec<&str> = text.lines().collect();
        let forged = line(&entry(1, "z"));
        let mut out = format!("{}\n{forged}", lines[0]);
        for l in &lines[2..] {
            out.push_str(l);
            out.push('\n');
        }
        assert_eq!(out.len() as u64, len, "same length, other bytes");
        fs::write(&path, &out).unwrap();
        let err = check_appendable(d.path(), len, 3, Some(crc))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("audit.log") && err.contains("altered since it was committed"),
            "{err}"
        );
        // A manifest from before the checksum was recorded parses lines only.
        assert!(check_appendable(d.path(), len, 3, None).is_ok());

        // A damaged line is still named.
        let mut b = out.into_bytes();
        let n = b.len();
        b[n - 10] ^= 0x02;
        fs::write(&path, &b).unwrap();
        let err = check_appendable(d.path(), len, 3, Some(crc))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 4 is damaged"), "{err}");
    }
}
