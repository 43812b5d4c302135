//! The writer lock: `.lock`, created with `O_EXCL`, holding the owner's pid and host.
//!
//! A lock left by a process that no longer runs on this host (a crash, `kill -9`) is
//! stale and is taken over; a lock from another host is never broken automatically.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

use super::format::LOCK_FILE;

/// Holds `.lock` until dropped (dropping releases the lock; it commits nothing).
#[derive(Debug)]
pub(crate) struct LockGuard {
    path: PathBuf,
}

fn host() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_string())
}

/// True when the lock content names a process of this host that no longer exists.
fn is_stale(content: &str) -> bool {
    let mut pid = None;
    let mut lock_host = None;
    for part in content.split_whitespace() {
        if let Some(p) = part.strip_prefix("pid=") {
            pid = p.parse::<u32>().ok();
        } else if let Some(h) = part.strip_prefix("host=") {
            lock_host = Some(h.to_string());
        }
    }
    match (pid, lock_host) {
        (Some(pid), Some(h)) if h == host() => {
            Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists()
        }
        _ => false,
    }
}

impl LockGuard {
    /// Takes the lock of the index in `dir`.
    ///
    /// # Errors
    /// [`Error::Locked`] naming the holder when another live writer has it.
    pub(crate) fn acquire(dir: &Path) -> Result<LockGuard> {
        let path = dir.join(LOCK_FILE);
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    let since = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or(0);
                    let text =
                        format!("pid={} host={} since={since}\n", std::process::id(), host());
                    f.write_all(text.as_bytes())
                        .and_then(|_| f.sync_all())
                        .map_err(|e| Error::io(&path, e))?;
                    return Ok(LockGuard { path });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    let content = fs::read_to_string(&path).unwrap_or_default();
                    if is_stale(&content) {
                        // The holder is gone: take the lock over.
                        match fs::remove_file(&path) {
                            Ok(()) => continue,
                            Err(e) if e.kind() == ErrorKind::NotFound => continue,
                            Err(e) => return Err(Error::io(&path, e)),
                        }
                    }
                    let holder = content.trim();
                    return Err(Error::Locked {
                        path,
                        holder: if holder.is_empty() {
                            "an unknown process".to_string()
                        } else {
                            holder.to_string()
                        },
                    });
                }
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Err(Error::Locked {
            path,
            holder: "a process that keeps retaking it".to_string(),
        })
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_writer_is_refused_and_stale_lock_taken_over() {
        let d = tempfile::tempdir().unwrap();
        let g = LockGuard::acquire(d.path()).unwrap();
        let err = LockGuard::acquire(d.path()).unwrap_err().to_string();
        assert!(err.contains("index is locked by pid="), "{err}");
        drop(g);
        // A dead pid on this host: stale.
        fs::write(
            d.path().join(LOCK_FILE),
            format!("pid=4294967 host={} since=0\n", host()),
        )
        .unwrap();
        let g = LockGuard::acquire(d.path()).unwrap();
        drop(g);
        // Another host: never broken.
        fs::write(d.path().join(LOCK_FILE), "pid=1 host=elsewhere since=0\n").unwrap();
        assert!(LockGuard::acquire(d.path()).is_err());
    }
}
