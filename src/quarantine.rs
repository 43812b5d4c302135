//! Moving flagged uploads aside: quarantine moves files (a rename, or copy + fsync + remove
//! across filesystems) and never deletes anything; every move is appended to a manifest in the
//! quarantine directory.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};

/// The name of the manifest in the quarantine directory.
pub const MANIFEST_NAME: &str = "quarantine.jsonl";

/// One line of the quarantine manifest (`quarantine.jsonl` in the quarantine directory).
#[derive(Clone, Debug, Serialize)]
pub struct QuarantineRecord<'a> {
    /// Where the file was.
    pub from: &'a Path,
    /// Where it is now.
    pub to: &'a Path,
    /// Seconds since the Unix epoch when it was moved.
    pub moved_unix_s: u64,
    /// Why (the works it matched).
    pub reason: &'a str,
}

/// Moves `path` (found under `root`) into `quarantine`, keeping its path relative to `root`,
/// and appends a line to `quarantine/quarantine.jsonl`. Returns the new path.
///
/// A rename when source and quarantine share a filesystem; otherwise copy, fsync, then remove
/// the original. An existing file at the destination is never overwritten: a number is added
/// before the extension instead (`x.mp4`, then `x.1.mp4`, `x.2.mp4`). Nothing is ever deleted before its copy is durable.
///
/// # Errors
/// When the directory cannot be created or the file cannot be moved; the original is then
/// left where it was.
pub fn quarantine(path: &Path, root: &Path, quarantine: &Path, reason: &str) -> Result<PathBuf> {
    let rel = if root.is_dir() {
        path.strip_prefix(root).unwrap_or(path)
    } else {
        Path::new(path.file_name().unwrap_or(path.as_os_str()))
    };
    let rel: PathBuf = rel
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .collect();
    let mut dest = quarantine.join(&rel);
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let mut n = 1;
    while dest.exists() {
        dest = quarantine.join(&rel).with_file_name(numbered_name(&rel, n));
        n += 1;
    }
    if fs::rename(path, &dest).is_err() {
        copy_durably(path, &dest)?;
        fs::remove_file(path).map_err(|e| Error::io(path, e))?;
    }
    let record = QuarantineRecord {
        from: path,
        to: &dest,
        moved_unix_s: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        reason,
    };
    let manifest = quarantine.join(MANIFEST_NAME);
    let mut line = serde_json::to_string(&record).map_err(|e| Error::io(&manifest, e.into()))?;
    line.push('\n');
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&manifest)
        .map_err(|e| Error::io(&manifest, e))?;
    f.write_all(line.as_bytes())
        .and_then(|()| f.sync_data())
        .map_err(|e| Error::io(&manifest, e))?;
    Ok(dest)
}

/// The file name of `rel` with `.n` before its extension (`x.mp4` → `x.1.mp4`, `x` → `x.1`),
/// so a quarantined copy keeps the extension players and scanners go by.
fn numbered_name(rel: &Path, n: u32) -> std::ffi::OsString {
    let mut name = rel.file_stem().unwrap_or_default().to_os_string();
    name.push(format!(".{n}"));
    if let Some(ext) = rel.extension() {
        name.push(".");
        name.push(ext);
    }
    name
}

fn copy_durably(from: &Path, to: &Path) -> Result<()> {
    let tmp = to.with_extension("partial");
    let result = (|| {
        fs::copy(from, &tmp).map_err(|e| Error::io(from, e))?;
        fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io(&tmp, e))?;
        fs::rename(&tmp, to).map_err(|e| Error::io(to, e))?;
        if let Some(dir) = to.parent() {
            fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| Error::io(dir, e))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path, bytes: &[u8]) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    #[test]
    fn quarantine_moves_keeps_relative_path_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("uploads");
        let q = dir.path().join("q");
        touch(&root.join("c1/v.mp4"), b"one");
        let to = quarantine(&root.join("c1/v.mp4"), &root, &q, "work w1").unwrap();
        assert_eq!(to, q.join("c1/v.mp4"));
        assert!(!root.join("c1/v.mp4").exists());
        assert_eq!(fs::read(&to).unwrap(), b"one");
        touch(&root.join("c1/v.mp4"), b"two");
        let to2 = quarantine(&root.join("c1/v.mp4"), &root, &q, "work w1").unwrap();
        assert_eq!(to2, q.join("c1/v.1.mp4"));
        assert_eq!(fs::read(&to).unwrap(), b"one");
        assert_eq!(fs::read(&to2).unwrap(), b"two");
        touch(&root.join("c1/v.mp4"), b"three");
        let to3 = quarantine(&root.join("c1/v.mp4"), &root, &q, "work w1").unwrap();
        assert_eq!(to3, q.join("c1/v.2.mp4"));
        touch(&root.join("noext"), b"a");
        quarantine(&root.join("noext"), &root, &q, "work w1").unwrap();
        touch(&root.join("noext"), b"b");
        let to4 = quarantine(&root.join("noext"), &root, &q, "work w1").unwrap();
        assert_eq!(to4, q.join("noext.1"));
        let manifest = fs::read_to_string(q.join("quarantine.jsonl")).unwrap();
        assert_eq!(manifest.lines().count(), 5);
        assert!(manifest.contains("\"reason\":\"work w1\""));
    }
}
