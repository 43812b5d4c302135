//! The library's one error type.
//!
//! Every variant that concerns a file carries its path, so a message printed by the
//! binary always names the file and the cause.

use std::path::PathBuf;

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in staydown.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O operation on a file failed (the cause is the error's `source`, which `{:#}`
    /// in anyhow, or walking [`std::error::Error::source`], prints after the path).
    #[error("{}", .path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Input bytes are not what their format requires (corrupt, truncated, not a video).
    #[error("{}: {reason}", .path.display())]
    Format {
        /// The file (or `-` for standard input).
        path: PathBuf,
        /// What is wrong, in words.
        reason: String,
    },
    /// Frame dimensions or counts beyond the configured limits.
    #[error("{}: {what} exceeds the limit ({found} > {limit})", .path.display())]
    Limit {
        /// The file.
        path: PathBuf,
        /// What was too large.
        what: &'static str,
        /// The value found.
        found: u64,
        /// The configured limit.
        limit: u64,
    },
    /// Not a regular file: a FIFO, socket or device (reading one could block forever or
    /// never end).
    #[error("{}: not a regular file ({kind}); only files and directories are read", .path.display())]
    NotRegularFile {
        /// The path.
        path: PathBuf,
        /// What it is instead: `fifo`, `socket`, `character device`, `block device`.
        kind: &'static str,
    },
    /// The decoder reported the file damaged or truncated, and nothing in what could be
    /// decoded matched (a match in the decodable part is still reported as a match).
    #[error("{}: damaged or truncated ({reason}): no verdict on the rest of it", .path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What the decoder said, or how much of the stated duration was decoded.
        reason: String,
    },
    /// No frame could serve as evidence: none decoded, or every one below the quality bar
    /// (flat, black, fades).
    #[error("{}: no usable frame ({frames} decoded, none of PDQ quality {min_quality} or more)", .what)]
    NoUsableFrames {
        /// The file, or the work id.
        what: String,
        /// Frames decoded.
        frames: usize,
        /// The quality bar.
        min_quality: u8,
    },
    /// ffmpeg could not be started.
    #[error(
        "ffmpeg not found ({program}): install it (apt-get install ffmpeg) or set STAYDOWN_FFMPEG to its path"
    )]
    FfmpegMissing {
        /// The program name or path that was tried.
        program: String,
    },
    /// ffmpeg ran but failed on a file.
    #[error("{}: ffmpeg failed: {stderr}", .path.display())]
    Ffmpeg {
        /// The input file.
        path: PathBuf,
        /// The last lines ffmpeg wrote to stderr.
        stderr: String,
    },
    /// ffmpeg recognised no video format in a file (junk, text, or a video cut before its
    /// header): the file is not a video it can read.
    #[error("{}: not a video ({cause})", .path.display())]
    NotVideo {
        /// The file.
        path: PathBuf,
        /// ffmpeg's reason, in a few words.
        cause: String,
    },
    /// A hash in text form could not be parsed.
    #[error("invalid hash {text:?}: {reason}")]
    HashParse {
        /// The offending text (shortened).
        text: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The index on disk is damaged or not an index.
    #[error("{}: corrupt index file: {reason}", .path.display())]
    CorruptIndex {
        /// The damaged file.
        path: PathBuf,
        /// What check failed.
        reason: String,
    },
    /// The index was written by an unsupported format version.
    #[error("{}: index format v{found} unsupported (reads v{oldest}..=v{current}); rebuild it", .path.display())]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
        /// The version found.
        found: u32,
        /// The oldest version this build reads.
        oldest: u32,
        /// The version this build writes.
        current: u32,
    },
    /// A directory holds segment files (or an audit log) but no `MANIFEST`: the index lost
    /// its manifest. Nothing is created over it; `staydown index recover` rebuilds one.
    #[error(
        "{}: {files} index files but no MANIFEST; refusing to create an index over them: run `staydown index recover --index {}` to rebuild the manifest from the segments that verify",
        .dir.display(), .dir.display()
    )]
    ManifestMissing {
        /// The index directory.
        dir: PathBuf,
        /// Segment files and audit log found.
        files: usize,
    },
    /// Another writer holds the index lock.
    #[error("{}: index is locked by {holder}; wait for it to finish or remove the lock file if that process is gone", .path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// Who holds it (pid and host as written in the lock file).
        holder: String,
    },
    /// A work id that must be new is already in the index.
    #[error("work {id:?} is already banned; use --replace to replace it")]
    WorkExists {
        /// The id.
        id: String,
    },
    /// A work id that must exist is not in the index.
    #[error("no work {id:?} in the index")]
    NoSuchWork {
        /// The id.
        id: String,
    },
    /// A caller passed an argument outside its valid range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A failure injected by a test between two steps of an index commit.
    #[error("injected failure at {point}")]
    InjectedFailure {
        /// The step.
        point: String,
    },
    /// The operation was interrupted (Ctrl-C).
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// [`Error::NotRegularFile`] for a FIFO, socket or device at `path` (after following
    /// links), `Ok` for files, directories and paths that cannot be examined (the open that
    /// follows reports those).
    pub fn check_regular(path: &std::path::Path) -> Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            let Ok(meta) = std::fs::metadata(path) else {
                return Ok(());
            };
            let t = meta.file_type();
            let kind = if t.is_fifo() {
                "fifo"
            } else if t.is_socket() {
                "socket"
            } else if t.is_char_device() {
                "character device"
            } else if t.is_block_device() {
                "block device"
            } else {
                return Ok(());
            };
            return Err(Error::NotRegularFile {
                path: path.to_path_buf(),
                kind,
            });
        }
        #[allow(unreachable_code)]
        Ok(())
    }

    /// Shorthand for [`Error::Format`].
    pub fn format(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Format {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
