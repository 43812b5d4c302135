//! Finding the videos to scan under a set of paths.
//!
//! The walk follows the habits of tools operators already know (ripgrep, clamscan): hidden
//! files and directories are skipped unless asked for, symbolic links are followed with loop
//! detection, `--include`/`--exclude` globs filter paths, and a file is taken as a video by its
//! extension or, for an unknown extension, by a quick look at its first bytes. What cannot be
//! read is reported, never silently dropped, and the walk goes on past it.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::error::{Error, Result};

/// File extensions taken as video without looking inside (lowercase).
pub const VIDEO_EXTENSIONS: &[&str] = &[
    "3gp", "asf", "avi", "f4v", "flv", "m2ts", "m4v", "mkv", "mov", "mp4", "mpeg", "mpg", "mts",
    "mxf", "ogv", "qt", "ts", "vob", "webm", "wmv", "y4m",
];

/// Extensions that are never videos: skipped without opening them.
const NOT_VIDEO_EXTENSIONS: &[&str] = &[
    "txt", "md", "json", "jsonl", "csv", "html", "htm", "css", "js", "jpg", "jpeg", "png", "gif",
    "webp", "bmp", "svg", "pdf", "zip", "gz", "tar", "mp3", "wav", "flac", "aac", "ogg", "opus",
    "srt", "vtt", "ass", "nfo", "xml", "log", "sdx",
];

/// How to walk the paths given to a scan.
#[derive(Clone, Debug, Default)]
pub struct WalkOptions {
    /// Also visit hidden files and directories (names starting with `.`).
    pub hidden: bool,
    /// Only files whose path matches one of these globs (all files when empty).
    pub include: Vec<String>,
    /// Skip files and directories whose path matches one of these globs.
    pub exclude: Vec<String>,
}

/// A file the walk selected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The file.
    pub path: PathBuf,
    /// Index of the root (in the list of paths given) the file was found under.
    pub root: usize,
}

/// What a walk yields: the files to scan and the paths it could not read.
#[derive(Debug, Default)]
pub struct Walk {
    /// Files to scan, in walk order (sorted by name within a directory).
    pub files: Vec<Found>,
    /// Paths that could not be read (permission denied, a symlink loop, a vanished file).
    pub errors: Vec<(Found, Error)>,
}

fn glob_set(globs: &[String]) -> Result<Option<GlobSet>> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        let glob =
            Glob::new(g).map_err(|e| Error::InvalidArgument(format!("bad glob {g:?}: {e}")))?;
        builder.add(glob);
    }
    builder
        .build()
        .map(Some)
        .map_err(|e| Error::InvalidArgument(format!("bad globs: {e}")))
}

/// True when `name` matches a glob either as a whole path or by its file name, the way
/// `--include '*.mp4'` is meant.
fn matches(set: &GlobSet, path: &Path) -> bool {
    set.is_match(path) || path.file_name().is_some_and(|n| set.is_match(n))
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') && n != "." && n != "..")
}

/// Walks `roots` and returns the video files under them.
///
/// A root that is a file is always taken (even with an unknown extension or hidden), so a user
/// who names a file gets a verdict or an error for it. FIFOs, sockets and devices (and links
/// to them) are never opened: each is an error of the walk. Within directories, files are taken by
/// extension ([`VIDEO_EXTENSIONS`]) or, for an extension that is neither a known video nor a
/// known non-video, by [`looks_like_video`].
///
/// # Errors
/// Only for invalid globs; unreadable paths are returned in [`Walk::errors`].
pub fn walk(roots: &[PathBuf], opts: &WalkOptions) -> Result<Walk> {
    let include = glob_set(&opts.include)?;
    let exclude = glob_set(&opts.exclude)?;
    let mut out = Walk::default();
    for (root_index, root) in roots.iter().enumerate() {
        let found = |path: PathBuf| Found {
            path,
            root: root_index,
        };
        match fs::metadata(root) {
            Err(e) => {
                out.errors
                    .push((found(root.clone()), Error::io(root.clone(), e)));
                continue;
            }
            Ok(m) if !m.is_dir() => {
                match Error::check_regular(root) {
                    Ok(()) => out.files.push(found(root.clone())),
                    Err(e) => out.errors.push((found(root.clone()), e)),
                }
                continue;
            }
            Ok(_) => {}
        }
        let walker = walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                if e.depth() == 0 {
                    return true;
                }
                if !opts.hidden && is_hidden(e.path()) {
                    return false;
                }
                !exclude.as_ref().is_some_and(|x| matches(x, e.path()))
            });
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let path = e.path().map(Path::to_path_buf).unwrap_or(root.clone());
                    let io = e
                        .into_io_error()
                        .unwrap_or_else(|| std::io::Error::other("symbolic link loop (skipped)"));
                    out.errors.push((found(path.clone()), Error::io(path, io)));
                    continue;
                }
            };
            if entry.file_type().is_dir() {
                continue;
            }
            let is_file = entry.file_type().is_file();
            let path = entry.into_path();
            if include.as_ref().is_some_and(|inc| !matches(inc, &path)) {
                continue;
            }
            if !is_file {
                // A FIFO, socket or device (or a link to one): reported, never opened.
                if let Err(e) = Error::check_regular(&path) {
                    out.errors.push((found(path), e));
                }
                continue;
            }
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            let take = match ext.as_deref() {
                Some(e) if VIDEO_EXTENSIONS.contains(&e) => true,
                Some(e) if NOT_VIDEO_EXTENSIONS.contains(&e) => false,
                _ => looks_like_video(&path).unwrap_or(false),
            };
            if take {
                out.files.push(found(path));
            }
        }
    }
    Ok(out)
}

/// A quick probe of the first bytes of a file for the container formats ffmpeg reads most:
/// ISO BMFF (mp4, mov, 3gp), Matroska/WebM, AVI, FLV, MPEG-TS, MPEG-PS, Ogg, ASF, Y4M.
///
/// # Errors
/// When the file cannot be opened or read.
pub fn looks_like_video(path: &Path) -> Result<bool> {
    let mut head = [0u8; 400];
    let mut file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(sniff(&head[..n]))
}

fn sniff(h: &[u8]) -> bool {
    let at = |i: usize, m: &[u8]| h.len() >= i + m.len() && &h[i..i + m.len()] == m;
    at(4, b"ftyp")
        || at(0, &[0x1A, 0x45, 0xDF, 0xA3])
        || (at(0, b"RIFF") && at(8, b"AVI "))
        || at(0, b"FLV")
        || (h.len() >= 377 && h[0] == 0x47 && h[188] == 0x47 && h[376] == 0x47)
        || at(0, &[0x00, 0x00, 0x01, 0xBA])
        || at(0, b"OggS")
        || at(0, &[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11])
        || at(0, b"YUV4MPEG2")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path, bytes: &[u8]) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    fn names(w: &Walk, root: &Path) -> Vec<String> {
        w.files
            .iter()
            .map(|f| f.path.strip_prefix(root).unwrap().display().to_string())
            .collect()
    }

    #[test]
    fn walk_selects_videos_by_extension_and_magic() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        touch(&d.join("a.mp4"), b"");
        touch(&d.join("sub/b.MKV"), b"x");
        touch(&d.join("notes.txt"), b"hello");
        touch(&d.join("blob.bin"), b"\0\0\0\x18ftypisom....");
        touch(&d.join("other.bin"), b"just bytes");
        touch(&d.join(".hidden/c.mp4"), b"");
        touch(&d.join(".d.webm"), b"");
        let w = walk(&[d.to_path_buf()], &WalkOptions::default()).unwrap();
        assert_eq!(names(&w, d), ["a.mp4", "blob.bin", "sub/b.MKV"]);
        let w = walk(
            &[d.to_path_buf()],
            &WalkOptions {
                hidden: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            names(&w, d),
            [".d.webm", ".hidden/c.mp4", "a.mp4", "blob.bin", "sub/b.MKV"]
        );
    }

    #[test]
    fn include_and_exclude_globs() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        touch(&d.join("keep/a.mp4"), b"");
        touch(&d.join("keep/b.webm"), b"");
        touch(&d.join("skip/c.mp4"), b"");
        let opts = WalkOptions {
            include: vec!["*.mp4".into()],
            exclude: vec!["**/skip".into()],
            ..Default::default()
        };
        let w = walk(&[d.to_path_buf()], &opts).unwrap();
        assert_eq!(names(&w, d), ["keep/a.mp4"]);
        let bad = WalkOptions {
            include: vec!["[".into()],
            ..Default::default()
        };
        assert!(matches!(
            walk(&[d.to_path_buf()], &bad),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loop_is_reported_and_walk_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        touch(&d.join("x/a.mp4"), b"");
        std::os::unix::fs::symlink(d, d.join("x/loop")).unwrap();
        let w = walk(&[d.to_path_buf()], &WalkOptions::default()).unwrap();
        assert_eq!(names(&w, d), ["x/a.mp4"]);
        assert_eq!(w.errors.len(), 1, "{:?}", w.errors);
    }

    #[test]
    fn missing_root_is_an_error_named_by_path_and_a_named_file_is_always_taken() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        touch(&d.join("clip.unknown"), b"nothing");
        let roots = [d.join("nope"), d.join("clip.unknown")];
        let w = walk(&roots, &WalkOptions::default()).unwrap();
        assert_eq!(w.files.len(), 1);
        assert_eq!(w.files[0].root, 1);
        assert_eq!(w.errors.len(), 1);
        assert!(w.errors[0].1.to_string().contains("nope"));
    }

    #[test]
    fn sniff_recognises_containers() {
        assert!(sniff(b"\0\0\0\x20ftypmp42"));
        assert!(sniff(&[0x1A, 0x45, 0xDF, 0xA3, 1]));
        assert!(sniff(b"RIFF\0\0\0\0AVI LIST"));
        assert!(sniff(b"YUV4MPEG2 W2 H2"));
        assert!(!sniff(b"%PDF-1.4"));
        assert!(!sniff(b""));
    }
}
