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

    /// Shorthand for [`Error::Format`].
    pub fn format(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Format {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
