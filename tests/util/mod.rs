//! Helpers for integration tests that run the built `staydown` binary in a fresh temporary
//! directory (after ripgrep's `Dir` and `TestCommand`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A fresh temporary directory, removed when dropped.
pub struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    /// A new empty directory whose name starts with `name`.
    pub fn new(name: &str) -> Dir {
        let tmp = tempfile::Builder::new()
            .prefix(&format!("staydown-{name}-"))
            .tempdir()
            .expect("temporary directory");
        Dir { tmp }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// `self.path().join(rel)`.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// Writes `bytes` to `rel`, creating parent directories.
    pub fn create(&self, rel: impl AsRef<Path>, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// A `staydown` command running in this directory.
    pub fn command(&self) -> TestCommand {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_staydown"));
        cmd.current_dir(self.path()).stdin(Stdio::null());
        TestCommand { cmd }
    }
}

/// A command under test, with assertion helpers that print its output on failure.
pub struct TestCommand {
    cmd: Command,
}

impl TestCommand {
    /// Adds one argument.
    pub fn arg(&mut self, a: impl AsRef<std::ffi::OsStr>) -> &mut Self {
        self.cmd.arg(a);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    /// Sets an environment variable.
    pub fn env(&mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> &mut Self {
        self.cmd.env(k, v);
        self
    }

    /// Removes an environment variable.
    pub fn env_remove(&mut self, k: &str) -> &mut Self {
        self.cmd.env_remove(k);
        self
    }

    /// Runs and returns the raw output.
    pub fn output(&mut self) -> Output {
        self.cmd.output().expect("run staydown")
    }

    /// Runs, asserts the exit code, returns stdout.
    pub fn expect_code(&mut self, code: i32) -> String {
        let out = self.output();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            self.cmd
        );
        stdout
    }

    /// Runs, asserts success, returns stdout.
    pub fn stdout(&mut self) -> String {
        self.expect_code(0)
    }

    /// Runs, asserts the exit code, returns stderr.
    pub fn stderr_with_code(&mut self, code: i32) -> String {
        let out = self.output();
        assert_eq!(out.status.code(), Some(code), "{:?}: {out:?}", self.cmd);
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

/// True when ffmpeg can be run (tests that need it print a note and return otherwise).
pub fn have_ffmpeg() -> bool {
    let ok = Command::new(std::env::var("STAYDOWN_FFMPEG").unwrap_or_else(|_| "ffmpeg".into()))
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("note: ffmpeg not found, skipping the parts of this test that need it");
    }
    ok
}

/// The fixtures directory of the crate.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Writes a small synthetic Y4M video (160x120, 10 fps) of `seed` lasting `secs` seconds to `path`,
/// creating parent directories.
pub fn synth_y4m(path: &Path, seed: u64, secs: u64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    staydown::synth::SynthVideo::new(seed)
        .size(160, 120)
        .fps(10)
        .duration_ms(secs * 1000)
        .video()
        .save_y4m(path)
        .expect("write synthetic video");
}

/// Bans `video` into the index `index` as work `id` (title "Title <id>", rights holder
/// "Holder <id>", notice "N-<id>").
pub fn ban(dir: &Dir, video: &Path, index: &Path, id: &str) {
    dir.command()
        .arg("ban")
        .arg(video)
        .arg("--index")
        .arg(index)
        .args(["--work", id])
        .args(["--title", &format!("Title {id}")])
        .args(["--rightsholder", &format!("Holder {id}")])
        .args(["--notice", &format!("N-{id}")])
        .expect_code(0);
}

/// A fresh directory with `works/w1.y4m` (seed 101, 20 s) banned as `w1` into `index/`.
pub fn banked(name: &str) -> Dir {
    let dir = Dir::new(name);
    let work = dir.join("works/w1.y4m");
    synth_y4m(&work, 101, 20);
    ban(&dir, &work, &dir.join("index"), "w1");
    dir
}

/// Encodes a synthetic video of `seed` (192x144, 25 fps, `seconds` long) with ffmpeg as
/// `dir/synth-<seed>.mp4`, as `staydown eval` makes its synthetic works.
pub fn synthetic_mp4(dir: &Path, seed: u64, seconds: u64) -> PathBuf {
    let out = dir.join(format!("synth-{seed}.mp4"));
    let video = staydown::synth::SynthVideo::new(seed)
        .size(192, 144)
        .fps(25)
        .duration_ms(seconds * 1000)
        .video();
    staydown::eval::encode_synthetic(Path::new("ffmpeg"), &video, &out).unwrap();
    out
}

/// A fingerprint of `n` frames 250 ms apart with pseudo-random hashes from `seed` (the same
/// seed gives the same hashes) and the PDQ quality `quality(i)` for frame `i`.
pub fn random_fingerprint(
    seed: u64,
    n: usize,
    quality: impl Fn(usize) -> u8,
) -> staydown::Fingerprint {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    staydown::Fingerprint {
        frames: (0..n)
            .map(|i| staydown::FrameHash {
                pts_ms: i as u64 * 250,
                hash: staydown::Hash256([next(), next(), next(), next()]),
                quality: quality(i),
                mirror: None,
            })
            .collect(),
        duration_ms: n as u64 * 250,
        ..staydown::Fingerprint::default()
    }
}
