//! Rebuilding a lost or damaged manifest from the segments that verify.
//!
//! The way out named by [`crate::Error::ManifestMissing`] and by the manifest and audit log
//! errors. Nothing is deleted: segments that fail verification stay where they are (and
//! are reported), a damaged audit log is kept beside the new one, the old manifest is kept
//! as `MANIFEST.before-recover-<unix s>`.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

use super::audit::{self, AuditAction, AuditEntry};
use super::format::{AUDIT_FILE, AUDIT_HEADER, MANIFEST_FILE, segment_file};
use super::lock::LockGuard;
use super::manifest::{self, Manifest, SegmentEntry, Tombstone};
use super::segment::Segment;

/// What [`recover`] rebuilt, and what it could not keep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Generation of the new manifest.
    pub generation: u64,
    /// Segment files that verified and are named by the new manifest.
    pub kept: Vec<String>,
    /// Segment files that failed verification, with the error: renamed `<file>.damaged`
    /// (kept, never read again).
    pub dropped: Vec<(String, String)>,
    /// Works that answer searches after the recovery.
    pub live_works: usize,
    /// Works kept in a segment but not live, with why: removed according to the audit
    /// log, superseded by a later copy under the same id, or never banked according to a
    /// readable audit log (the leftover of a crashed commit).
    pub not_live: Vec<(String, String)>,
    /// Works banked according to the audit log (their last `ban` or `remove` line is a
    /// `ban`) that no verified segment holds: lost with a dropped segment.
    pub lost: Vec<String>,
    /// Lines of the audit log kept in `audit.log`.
    pub audit_lines: usize,
    /// Where a damaged audit log was set aside (its verified lines were kept).
    pub audit_set_aside: Option<PathBuf>,
    /// Where the previous manifest was kept.
    pub old_manifest: Option<PathBuf>,
}

fn now_unix_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `seg-<id>.sdx` → id (only names a writer gives).
fn segment_id(name: &str) -> Option<u64> {
    let id: u64 = name
        .strip_prefix("seg-")?
        .strip_suffix(".sdx")?
        .parse()
        .ok()?;
    (segment_file(id) == name).then_some(id)
}

/// A new file `base-<unix s>` (or `-<unix s>.<k>`) that does not exist yet.
fn free_name(dir: &Path, base: &str) -> PathBuf {
    let t = now_unix_s();
    let mut p = dir.join(format!("{base}-{t}"));
    let mut k = 1;
    while p.exists() {
        p = dir.join(format!("{base}-{t}.{k}"));
        k += 1;
    }
    p
}

/// Copies `from` to a new file `to` (never over an existing one) and fsyncs it.
fn copy_new(from: &Path, to: &Path) -> Result<()> {
    let bytes = fs::read(from).map_err(|e| Error::io(from, e))?;
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)
        .map_err(|e| Error::io(to, e))?;
    f.write_all(&bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(to, e))
}

/// The audit log's lines: the verified prefix (its length in bytes and its entries) and
/// every line that verifies anywhere in the file.
struct AuditScan {
    prefix_bytes: u64,
    prefix: Vec<AuditEntry>,
    all: Vec<AuditEntry>,
    damaged: bool,
}

fn scan_audit(path: &Path) -> Result<Option<AuditScan>> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut scan = AuditScan {
        prefix_bytes: 0,
        prefix: Vec::new(),
        all: Vec::new(),
        damaged: false,
    };
    let mut in_prefix = true;
    let mut at = 0u64;
    for (k, l) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let complete = l.ends_with(b"\n");
        let text = std::str::from_utf8(l).unwrap_or("").trim_end_matches('\n');
        at += l.len() as u64;
        if k == 0 {
            if text == AUDIT_HEADER && complete {
                scan.prefix_bytes = at;
            } else {
                in_prefix = false;
                scan.damaged = true;
            }
            continue;
        }
        match audit::parse_line(text).filter(|_| complete) {
            Some(e) => {
                if in_prefix {
                    scan.prefix.push(e.clone());
                    scan.prefix_bytes = at;
                }
                scan.all.push(e);
            }
            None => {
                in_prefix = false;
                // A torn last line is the remnant of a crashed commit, not damage.
                scan.damaged |= complete;
            }
        }
    }
    Ok(Some(scan))
}

/// Rebuilds the manifest of the index in `dir` from the segment files that verify (every
/// CRC and table invariant), whether the manifest is missing, damaged or inconsistent.
///
/// Which works are live comes from the audit log: a work is live when its last `ban`
/// or `remove` line is a `ban`; several copies under one id keep the last segment's. With
/// no readable audit log every work of a verified segment is live. A damaged audit log is
/// set aside (`audit.log.damaged-<unix s>`) and its verified prefix kept as the new log. A
/// `compact`-action line records the recovery. Nothing is deleted or overwritten without a
/// copy.
///
/// # Errors
/// [`Error::Locked`] when a writer is active; I/O errors. Segment damage is reported in
/// [`Recovery::dropped`], not as an error.
pub fn recover(dir: impl AsRef<Path>) -> Result<Recovery> {
    let dir = dir.as_ref();
    if !dir.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "{}: not a directory",
            dir.display()
        )));
    }
    let _lock = LockGuard::acquire(dir)?;
    let mut rec = Recovery::default();

    // Segments, in id order.
    let mut ids: Vec<(u64, String)> = Vec::new();
    let mut max_id = 0u64;
    let rd = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for e in rd {
        let e = e.map_err(|e| Error::io(dir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let base = name
            .strip_suffix(".tmp")
            .or_else(|| name.strip_suffix(".damaged"))
            .unwrap_or(&name);
        if let Some(id) = segment_id(base) {
            max_id = max_id.max(id);
            if base == name {
                ids.push((id, name));
            }
        }
    }
    ids.sort_unstable();
    let mut segments: Vec<(u64, Segment)> = Vec::new();
    for (id, name) in ids {
        match Segment::read(&dir.join(&name)).and_then(|s| s.verify().map(|()| s)) {
            Ok(s) => {
                rec.kept.push(name);
                segments.push((id, s));
            }
            Err(e) => {
                // Set aside under a name no writer reads, so the index can be written again;
                // the bytes stay for whoever can repair or replace them.
                let from = dir.join(&name);
                let to = dir.join(format!("{name}.damaged"));
                if to.exists() {
                    return Err(Error::InvalidArgument(format!(
                        "{}: exists; move it away and run recover again",
                        to.display()
                    )));
                }
                fs::rename(&from, &to).map_err(|e| Error::io(&from, e))?;
                rec.dropped.push((name, e.to_string()));
            }
        }
    }

    // The audit log: verified prefix kept, damage set aside.
    let audit_path = dir.join(AUDIT_FILE);
    let scan = scan_audit(&audit_path)?;
    let mut committed = 0u64;
    if let Some(s) = &scan {
        committed = s.prefix_bytes;
        rec.audit_lines = s.prefix.len();
        if s.damaged {
            let aside = free_name(dir, &format!("{AUDIT_FILE}.damaged"));
            copy_new(&audit_path, &aside)?;
            let tmp = dir.join(format!("{AUDIT_FILE}.tmp"));
            let bytes = fs::read(&audit_path).map_err(|e| Error::io(&audit_path, e))?;
            manifest::write_synced(&tmp, &bytes[..s.prefix_bytes as usize])?;
            fs::rename(&tmp, &audit_path).map_err(|e| Error::io(&audit_path, e))?;
            manifest::sync_dir(dir)?;
            rec.audit_set_aside = Some(aside);
        }
    }

    // Which works are live.
    let last_action: Option<HashMap<&str, AuditAction>> =
        scan.as_ref().filter(|s| !s.all.is_empty()).map(|s| {
            let mut m = HashMap::new();
            for e in s.all.iter().filter(|e| e.action != AuditAction::Compact) {
                m.insert(e.work.as_str(), e.action);
            }
            m
        });
    let mut last_copy: HashMap<&str, (u64, usize)> = HashMap::new();
    for (id, seg) in &segments {
        for (w, meta) in seg.works.iter().enumerate() {
            last_copy.insert(meta.id.as_str(), (*id, w));
        }
    }
    let mut tombstones = Vec::new();
    for (id, seg) in &segments {
        for (w, meta) in seg.works.iter().enumerate() {
            let why = match last_action.as_ref().map(|m| m.get(meta.id.as_str())) {
                Some(Some(AuditAction::Remove)) => Some("removed according to the audit log"),
                Some(None) => Some("not banked according to the audit log"),
                _ if last_copy.get(meta.id.as_str()) != Some(&(*id, w)) => {
                    Some("superseded by a later copy under the same id")
                }
                _ => None,
            };
            match why {
                Some(why) => {
                    tombstones.push(Tombstone {
                        segment: *id,
                        work: w as u32,
                        id: meta.id.clone(),
                    });
                    rec.not_live
                        .push((meta.id.clone(), format!("{}: {why}", segment_file(*id))));
                }
                None => rec.live_works += 1,
            }
        }
    }

    if let Some(last) = &last_action {
        let mut lost: Vec<String> = last
            .iter()
            .filter(|(id, a)| **a == AuditAction::Ban && !last_copy.contains_key(*id))
            .map(|(id, _)| id.to_string())
            .collect();
        lost.sort();
        rec.lost = lost;
    }

    // The old manifest, kept; the generation moves past it and past the log.
    let manifest_path = dir.join(MANIFEST_FILE);
    let old = Manifest::load(dir).ok().flatten();
    if manifest_path.exists() {
        let kept = free_name(dir, &format!("{MANIFEST_FILE}.before-recover"));
        copy_new(&manifest_path, &kept)?;
        rec.old_manifest = Some(kept);
    }
    let logged = scan
        .as_ref()
        .and_then(|s| s.all.iter().map(|e| e.generation).max())
        .unwrap_or(0);
    let mut m = Manifest::empty();
    m.generation = old.map_or(0, |o| o.generation).max(logged) + 1;
    m.next_segment = max_id + 1;
    m.segments = segments
        .iter()
        .map(|(id, s)| SegmentEntry {
            id: *id,
            file: segment_file(*id),
            frames: s.frames() as u64,
            works: s.works.len() as u32,
            bytes: s.bytes().len() as u64,
            crc32: s.stored_crc(),
        })
        .collect();
    m.tombstones = tombstones;
    let entry = AuditEntry {
        time_unix_s: now_unix_s(),
        generation: m.generation,
        action: AuditAction::Compact,
        work: String::new(),
        reason: format!(
            "recover: manifest rebuilt from {} segments ({} dropped), {} works live",
            rec.kept.len(),
            rec.dropped.len(),
            rec.live_works
        ),
        frames: 0,
    };
    let (bytes, crc) = audit::append(dir, committed, None, &[entry])?;
    (m.audit_bytes, m.audit_crc32) = (bytes, Some(crc));
    rec.audit_lines += 1;
    let tmp = manifest::tmp_path(dir);
    manifest::write_synced(&tmp, &m.to_bytes())?;
    fs::rename(&tmp, &manifest_path).map_err(|e| Error::io(&manifest_path, e))?;
    manifest::sync_dir(dir)?;
    rec.generation = m.generation;
    Ok(rec)
}
