//! Decoding through an `ffmpeg` subprocess.
//!
//! The command is
//!
//! ```text
//! ffmpeg -hide_banner -nostdin -nostats -loglevel info -i file:<path> -map 0:v:0 -an -sn -dn
//!        -vf [select='<rule>',][scale=w=min(iw\,<W>):h=-1:flags=area,]format=gray,showinfo
//!        -vsync passthrough -f rawvideo -pix_fmt gray pipe:1
//! ```
//!
//! ffmpeg samples with a `select` expression (the slot rule of the `decode` module docs, which
//! the native decoders share: the first frame of each slot, at its own time), scales
//! by area averaging and converts to full-range gray in one swscale pass, and writes the bare
//! planes to stdout. `showinfo`, last in the chain, logs every frame's `pts_time` and size
//! `s:WxH` on stderr *before* the frame reaches the pipe, so each plane is read with its true
//! size and its timestamp on the video's own timeline (measured from the first frame, so a
//! non-zero start time gives times from 0; variable frame rates keep their real times). `-vsync passthrough` stops ffmpeg from
//! duplicating or dropping frames after the filters, so log lines and planes stay one to one.
//! A thread reads stderr: it parses the input header (duration, size, frame rate, rotation),
//! forwards the per-frame lines and keeps the last other lines (bounded) for error messages.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::thread::JoinHandle;

use super::{DecodeOptions, Frame, Limits, SourceInfo};
use crate::error::{Error, Result};

/// Lines of stderr kept for error messages.
const TAIL_LINES: usize = 8;
/// Longest stderr line kept (longer lines are cut).
const MAX_LINE: usize = 1000;

/// The ffmpeg program: `STAYDOWN_FFMPEG` if set, else `ffmpeg` on `PATH`.
pub(crate) fn program() -> OsString {
    std::env::var_os("STAYDOWN_FFMPEG").unwrap_or_else(|| OsString::from("ffmpeg"))
}

#[derive(Debug)]
enum Event {
    /// The input header was printed and processing starts.
    Header(SourceInfo),
    /// `showinfo` saw a frame.
    Frame {
        pts_ms: u64,
        width: u32,
        height: u32,
    },
    /// ffmpeg said the input is damaged or cut short (the first such line).
    Damage(String),
    /// stderr closed (ffmpeg exited); the last lines it wrote.
    End(Vec<String>),
}

/// What ffmpeg writes about an input that was cut short or damaged in transfer.
const DAMAGE_SIGNS: [&str; 2] = ["partial file", "corrupt input packet"];

/// The `select` filter applying the sampling rule of the module docs at rate `r`: a frame is
/// kept when its slot `floor((t - start_t) · r)` is greater than the last kept frame's (the
/// first frame is always kept). `start_t` is the first frame's time, so slots are anchored at
/// the video's first frame; the `1e-6` absorbs float error in `t` at exact slot boundaries.
fn select_filter(r: super::Rational) -> String {
    let slot = |t: &str| format!("floor(({t}-start_t)*{}/{}+1e-6)", r.num, r.den);
    format!(
        "select='isnan(prev_selected_t)+gte({},{}+1)',",
        slot("t"),
        slot("prev_selected_t")
    )
}

pub(crate) struct FfmpegFrames {
    path: PathBuf,
    child: Child,
    stdout: ChildStdout,
    events: Receiver<Event>,
    stderr_thread: Option<JoinHandle<()>>,
    info: SourceInfo,
    limits: Limits,
    /// Time of the first frame, subtracted from every frame's.
    origin_ms: Option<u64>,
    /// For a window ([`DecodeOptions::window_ms`]): its start, added to every frame's time
    /// (ffmpeg times the frames from the seek point) instead of subtracting the first's.
    shift_ms: Option<u64>,
    /// Time of the last frame decoded, relative to the first.
    last_ms: Option<u64>,
    /// Milliseconds between sampled frames, when known.
    step_ms: Option<u64>,
    /// What ffmpeg said of a damaged or truncated input.
    damage: Option<String>,
    done: bool,
}

impl FfmpegFrames {
    pub fn spawn(path: &Path, opts: &DecodeOptions) -> Result<FfmpegFrames> {
        opts.validate()?;
        let program = program();
        let mut chain = String::new();
        if let Some(r) = opts.fps_rational() {
            chain.push_str(&select_filter(r));
        }
        if let Some(w) = opts.max_width {
            chain.push_str(&format!("scale=w=min(iw\\,{w}):h=-1:flags=area,"));
        }
        chain.push_str("format=gray,showinfo");
        let mut input = OsString::from("file:");
        input.push(path.as_os_str());
        // A window: ffmpeg seeks to its start (decoding from the keyframe before it and
        // dropping what precedes the start) and stops reading after it. Its frames are timed
        // from the seek point, so the start is added back.
        let seek: Vec<String> = opts.window_ms.map_or_else(Vec::new, |(start, end)| {
            vec![
                "-ss".into(),
                format!("{:.3}", start as f64 / 1000.0),
                "-t".into(),
                format!("{:.3}", (end - start) as f64 / 1000.0),
            ]
        });
        let mut child = Command::new(&program)
            .args(["-hide_banner", "-nostdin", "-nostats", "-loglevel", "info"])
            .args(&seek)
            .arg("-i")
            .arg(&input)
            .args(["-map", "0:v:0", "-an", "-sn", "-dn", "-vf"])
            .arg(&chain)
            .args([
                "-vsync",
                "passthrough",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "gray",
                "pipe:1",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied => Error::FfmpegMissing {
                    program: program.to_string_lossy().into_owned(),
                },
                _ => Error::io(&program, e),
            })?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, rx) = channel();
        let thread = std::thread::Builder::new()
            .name("ffmpeg-stderr".into())
            .spawn(move || read_stderr(stderr, |e| tx.send(e).is_ok()))
            .map_err(|e| Error::io(path, e));
        let thread = match thread {
            Ok(t) => t,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        let mut frames = FfmpegFrames {
            path: path.to_path_buf(),
            child,
            stdout,
            events: rx,
            stderr_thread: Some(thread),
            info: SourceInfo::default(),
            limits: opts.limits,
            origin_ms: None,
            shift_ms: opts.window_ms.map(|(start, _)| start),
            last_ms: None,
            step_ms: opts.fps.map(|f| (1000.0 / f).ceil() as u64),
            damage: None,
            done: false,
        };
        // Wait for the header, or for ffmpeg to give up on the file.
        loop {
            match frames.events.recv() {
                Ok(Event::Header(info)) => {
                    frames.info = info;
                    return Ok(frames);
                }
                Ok(Event::Frame { .. }) => {}
                Ok(Event::Damage(d)) => frames.damage = Some(d),
                Ok(Event::End(tail)) => return Err(frames.failure(tail)),
                Err(_) => return Err(frames.failure(Vec::new())),
            }
        }
    }

    pub fn info(&self) -> SourceInfo {
        self.info.clone()
    }

    /// Once the stream has ended: why the input looks damaged or truncated, if it does —
    /// ffmpeg said so (a partial file, a corrupt packet), or the frames decoded stop well
    /// before the stated duration (less than three quarters of it, a second and a sampling
    /// step allowed for).
    pub fn damage(&self) -> Option<String> {
        if let Some(d) = &self.damage {
            return Some(format!("ffmpeg: {d}"));
        }
        if self.shift_ms.is_some() {
            // A window ends before the source does.
            return None;
        }
        let duration = self.info.duration_ms.filter(|&d| d > 0)?;
        let step = self.step_ms.unwrap_or(0).max(if self.info.fps > 0.0 {
            (1000.0 / self.info.fps).ceil() as u64
        } else {
            0
        });
        let decoded = self.last_ms.map_or(0, |t| t + step);
        let enough = (duration * 3 / 4).saturating_sub(1000 + step);
        (self.done && decoded < enough).then(|| {
            format!(
                "decoded {:.1} s of its stated {:.1} s",
                decoded as f64 / 1000.0,
                duration as f64 / 1000.0
            )
        })
    }

    pub fn duration_ms(&self) -> Option<u64> {
        self.info.duration_ms
    }

    /// Waits for ffmpeg to exit and builds the error from its last stderr lines.
    fn failure(&mut self, mut tail: Vec<String>) -> Error {
        self.done = true;
        let status = self.child.wait();
        if tail.is_empty() {
            // Drain: the End event may still be on its way.
            while let Ok(e) = self.events.recv() {
                if let Event::End(t) = e {
                    tail = t;
                }
            }
        }
        let mut stderr = tail.join("\n");
        if stderr.is_empty() {
            stderr = match status {
                Ok(s) => format!("ffmpeg exited ({s}) without a message"),
                Err(e) => format!("ffmpeg did not exit cleanly: {e}"),
            };
        }
        if let Some(cause) = not_a_video(&stderr) {
            return Error::NotVideo {
                path: self.path.clone(),
                cause,
            };
        }
        Error::Ffmpeg {
            path: self.path.clone(),
            stderr,
        }
    }

    pub fn next_frame(&mut self) -> Result<Option<Frame>> {
        if self.done {
            return Ok(None);
        }
        loop {
            let event = match self.events.recv() {
                Ok(e) => e,
                Err(_) => Event::End(Vec::new()),
            };
            match event {
                Event::Header(_) => {}
                Event::Damage(d) => {
                    self.damage.get_or_insert(d);
                }
                Event::Frame {
                    pts_ms,
                    width,
                    height,
                } => {
                    if let Err(e) =
                        self.limits
                            .check_size(&self.path, u64::from(width), u64::from(height))
                    {
                        self.done = true;
                        return Err(e);
                    }
                    let mut luma = vec![0u8; width as usize * height as usize];
                    let got = super::read_full(&mut self.stdout, &mut luma)
                        .map_err(|e| Error::io(&self.path, e))?;
                    if got != luma.len() {
                        let tail = self.wait_end();
                        let mut err = self.failure(tail);
                        if let Error::Ffmpeg { stderr, .. } = &mut err {
                            stderr.push_str(&format!(
                                "\n(ffmpeg output ended inside a frame: {got} of {} bytes)",
                                luma.len()
                            ));
                        }
                        return Err(err);
                    }
                    // Times are measured from the first frame, as the sampling slots are (in
                    // a window, from the source's start).
                    let pts_ms = match self.shift_ms {
                        Some(start) => pts_ms + start,
                        None => pts_ms.saturating_sub(*self.origin_ms.get_or_insert(pts_ms)),
                    };
                    self.last_ms = Some(pts_ms);
                    return Ok(Some(Frame {
                        pts_ms,
                        width,
                        height,
                        luma,
                        scale: super::shrink(self.info.width, width),
                    }));
                }
                Event::End(tail) => {
                    self.done = true;
                    let mut extra = [0u8; 1];
                    let leftover = super::read_full(&mut self.stdout, &mut extra).unwrap_or(0);
                    let status = self.child.wait().map_err(|e| Error::io(&self.path, e))?;
                    if status.success() && leftover == 0 {
                        return Ok(None);
                    }
                    let mut err = self.failure(tail);
                    if leftover != 0 {
                        if let Error::Ffmpeg { stderr, .. } = &mut err {
                            stderr.push_str("\n(ffmpeg wrote a frame it did not log)");
                        }
                    }
                    return Err(err);
                }
            }
        }
    }

    fn wait_end(&mut self) -> Vec<String> {
        while let Ok(e) = self.events.recv() {
            if let Event::End(t) = e {
                return t;
            }
        }
        Vec::new()
    }
}

impl Drop for FfmpegFrames {
    fn drop(&mut self) {
        // Kill (harmless if it has exited) and reap, then let the stderr thread finish.
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(t) = self.stderr_thread.take() {
            let _ = t.join();
        }
    }
}

/// The frame of `path` at `t_ms` (the first frame at or after it), in colour, `width` pixels
/// wide, as PNG bytes: one ffmpeg run that seeks, decodes one frame and encodes it. For
/// evidence thumbnails, where a reviewer compares colours that the hashes never see.
///
/// # Errors
/// [`Error::FfmpegMissing`] when ffmpeg cannot be started, [`Error::Ffmpeg`] when it fails or
/// writes no frame (`t_ms` past the end).
pub(crate) fn colour_png_at(path: &Path, t_ms: u64, width: u32) -> Result<Vec<u8>> {
    let prog = program();
    let out = Command::new(&prog)
        .args(["-nostdin", "-v", "error", "-ss"])
        .arg(format!("{}.{:03}", t_ms / 1000, t_ms % 1000))
        .arg("-i")
        .arg(path)
        .args(["-frames:v", "1", "-vf"])
        .arg(format!("scale={width}:-2"))
        .args(["-f", "image2pipe", "-c:v", "png", "-"])
        .stdin(Stdio::null())
        .output()
        .map_err(|_| Error::FfmpegMissing {
            program: prog.to_string_lossy().into_owned(),
        })?;
    if !out.status.success() || out.stdout.is_empty() {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(Error::Ffmpeg {
            path: path.to_path_buf(),
            stderr: if stderr.is_empty() {
                format!("no frame at {t_ms} ms")
            } else {
                stderr
            },
        });
    }
    Ok(out.stdout)
}

/// When ffmpeg's last lines say it could not read the input as any format, the cause in a
/// few words (its distinctive lines without their `[demuxer @ 0x…]` prefixes and its generic
/// warnings), else `None`.
fn not_a_video(stderr: &str) -> Option<String> {
    const INVALID: &str = "Invalid data found when processing input";
    if !stderr.contains(INVALID) {
        return None;
    }
    let causes: Vec<&str> = stderr
        .lines()
        .map(|l| match (l.starts_with('['), l.find("] ")) {
            (true, Some(i)) => &l[i + 2..],
            _ => l,
        })
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.contains(INVALID)
                && !l.contains("misdetection possible")
                && !l.starts_with("Truncating packet")
        })
        .collect();
    Some(if causes.is_empty() {
        "ffmpeg recognises no format in it".to_string()
    } else {
        causes.join("; ")
    })
}

/// Splits stderr into lines (on `\n` or `\r`, each cut to [`MAX_LINE`]) and turns them into
/// events; `send` returns false when nobody listens any more.
fn read_stderr(mut stderr: impl Read, mut send: impl FnMut(Event) -> bool) {
    let mut parser = StderrParser::default();
    let mut line: Vec<u8> = Vec::new();
    let mut buf = [0u8; 8192];
    let mut listening = true;
    let mut handle = |line: &[u8], parser: &mut StderrParser, listening: &mut bool| {
        if line.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(line);
        if let Some(event) = parser.line(&text) {
            if *listening && !send(event) {
                *listening = false;
            }
        }
    };
    loop {
        let n = match stderr.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        for &b in &buf[..n] {
            if b == b'\n' || b == b'\r' {
                handle(&line, &mut parser, &mut listening);
                line.clear();
            } else if line.len() < MAX_LINE {
                line.push(b);
            }
        }
    }
    handle(&line, &mut parser, &mut listening);
    if let Some(h) = parser.header_event() {
        if listening {
            listening = send(h);
        }
    }
    if listening {
        send(Event::End(parser.tail.into_iter().collect()));
    }
}

#[derive(Default)]
struct StderrParser {
    in_input: bool,
    damaged: bool,
    seen_video: bool,
    header_sent: bool,
    info: SourceInfo,
    rotated: bool,
    last_pts_ms: u64,
    tail: VecDeque<String>,
}

impl StderrParser {
    fn header_event(&mut self) -> Option<Event> {
        if self.header_sent {
            return None;
        }
        self.header_sent = true;
        let mut info = self.info.clone();
        if self.rotated {
            std::mem::swap(&mut info.width, &mut info.height);
        }
        Some(Event::Header(info))
    }

    fn line(&mut self, line: &str) -> Option<Event> {
        if let Some(frame) = self.showinfo(line) {
            return Some(frame);
        }
        if !self.damaged && DAMAGE_SIGNS.iter().any(|s| line.contains(s)) {
            self.damaged = true;
            let what = line.rsplit("] ").next().unwrap_or(line).trim();
            return Some(Event::Damage(what.to_string()));
        }
        if line.contains("] color_range:")
            || line.contains("] config ")
            || line.starts_with("-vsync is deprecated")
        {
            // showinfo's second line per frame and its setup lines; newer ffmpegs' note on
            // `-vsync` (kept for ffmpeg 4, which lacks `-fps_mode`).
            return None;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with("Input #") {
            self.in_input = true;
        } else if trimmed.starts_with("Output #") {
            self.in_input = false;
        } else if self.in_input {
            self.header_line(trimmed);
        }
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line.to_string());
        if trimmed.starts_with("Stream mapping:") {
            self.in_input = false;
            return self.header_event();
        }
        None
    }

    fn header_line(&mut self, line: &str) {
        if let Some(rest) = line.strip_prefix("Duration: ") {
            let d = rest.split(',').next().unwrap_or("");
            self.info.duration_ms = parse_hms_ms(d);
        } else if line.starts_with("Stream #") && line.contains(": Video: ") && !self.seen_video {
            self.seen_video = true;
            let fields = line.split(": Video: ").nth(1).unwrap_or("");
            for field in fields.split(", ") {
                let first = field.split(' ').next().unwrap_or("");
                if let Some((w, h)) = first.split_once('x') {
                    if let (Ok(w), Ok(h)) = (w.parse(), h.parse()) {
                        self.info.width = w;
                        self.info.height = h;
                    }
                }
                if let Some(v) = field.strip_suffix(" fps") {
                    self.info.fps = parse_rate(v).unwrap_or(0.0);
                } else if let Some(v) = field.strip_suffix(" tbr") {
                    if self.info.fps == 0.0 {
                        self.info.fps = parse_rate(v).unwrap_or(0.0);
                    }
                }
            }
        } else if let Some(rest) = line.split("rotation of ").nth(1) {
            if let Some(deg) = rest.split(' ').next().and_then(|d| d.parse::<f64>().ok()) {
                let quarter = (deg / 90.0).round() as i64;
                self.rotated = self.seen_video && quarter.rem_euclid(2) == 1;
            }
        }
    }

    /// `[Parsed_showinfo_3 @ 0x…] n:   0 pts:      0 pts_time:0       … s:256x144 …`
    fn showinfo(&mut self, line: &str) -> Option<Event> {
        if !line.starts_with("[Parsed_showinfo") {
            return None;
        }
        let body = line.split("] ").nth(1)?;
        if !body.trim_start().starts_with("n:") {
            return None;
        }
        let mut pts_ms = None;
        let mut size = None;
        let mut tokens = body.split_whitespace();
        while let Some(t) = tokens.next() {
            if let Some(v) = t.strip_prefix("pts_time:") {
                let v = if v.is_empty() { tokens.next()? } else { v };
                pts_ms = v
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .map(|x| (x * 1000.0).round().max(0.0) as u64);
            } else if let Some(v) = t.strip_prefix("s:") {
                let (w, h) = v.split_once('x')?;
                size = Some((w.parse().ok()?, h.parse().ok()?));
            }
        }
        let (width, height) = size?;
        // A frame without a timestamp (NOPTS) keeps the previous one.
        let pts_ms = pts_ms.unwrap_or(self.last_pts_ms);
        self.last_pts_ms = pts_ms;
        Some(Event::Frame {
            pts_ms,
            width,
            height,
        })
    }
}

/// `HH:MM:SS.cc` to milliseconds.
fn parse_hms_ms(s: &str) -> Option<u64> {
    let mut parts = s.trim().split(':');
    let h: u64 = parts.next()?.parse().ok()?;
    let m: u64 = parts.next()?.parse().ok()?;
    let sec: f64 = parts.next()?.parse().ok()?;
    if !(sec.is_finite() && sec >= 0.0) {
        return None;
    }
    Some(h * 3_600_000 + m * 60_000 + (sec * 1000.0).round() as u64)
}

/// `25`, `29.97`, `1k` to frames per second.
fn parse_rate(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, mult) = match s.strip_suffix('k') {
        Some(n) => (n, 1000.0),
        None => (s, 1.0),
    };
    num.parse::<f64>().ok().map(|v| v * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:x.mp4':
  Metadata:
    major_brand     : isom
  Duration: 00:01:05.28, start: 0.000000, bitrate: 1100 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 1280x720 [SAR 1:1 DAR 16:9], 1097 kb/s, 29.97 fps, 29.97 tbr, 12800 tbn (default)
    Side data:
      displaymatrix: rotation of -90.00 degrees
Stream mapping:
  Stream #0:0 -> #0:0 (h264 (native) -> rawvideo (native))
[Parsed_showinfo_3 @ 0x563bd9ca5300] config in time_base: 1/1, frame_rate: 1/1
[Parsed_showinfo_3 @ 0x563bd9ca5300] n:   0 pts:      0 pts_time:0       pos:   134432 fmt:gray sar:1/1 s:144x256 i:P iskey:0 type:B checksum:C778071C plane_checksum:[C778071C] mean:[119] stdev:[56.5]
[Parsed_showinfo_3 @ 0x563bd9ca5300] color_range:pc color_space:unknown color_primaries:unknown color_trc:unknown
[Parsed_showinfo_3 @ 0x563bd9ca5300] n:   1 pts:   1001 pts_time:1.001   pos:   293612 fmt:gray sar:1/1 s:144x256 i:P iskey:0 type:B checksum:76A42BE8 plane_checksum:[76A42BE8] mean:[118] stdev:[55.6]
[h264 @ 0x55] error while decoding MB 3 4
";

    #[test]
    fn parses_header_frames_and_keeps_a_tail() {
        let mut events = Vec::new();
        read_stderr(LOG.as_bytes(), |e| {
            events.push(e);
            true
        });
        let Event::Header(info) = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!((info.width, info.height), (720, 1280));
        assert!((info.fps - 29.97).abs() < 1e-9);
        assert_eq!(info.duration_ms, Some(65_280));
        assert!(matches!(
            events[1],
            Event::Frame {
                pts_ms: 0,
                width: 144,
                height: 256
            }
        ));
        assert!(matches!(events[2], Event::Frame { pts_ms: 1001, .. }));
        let Event::End(tail) = &events[3] else {
            panic!("{events:?}")
        };
        assert_eq!(
            tail.last().unwrap(),
            "[h264 @ 0x55] error while decoding MB 3 4"
        );
        assert!(tail.iter().all(|l| !l.contains("showinfo")));
        assert_eq!(events.len(), 4);
    }

    #[test]
    fn unreadable_input_is_not_a_video_in_a_few_words() {
        let junk = "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55f07eeefa40] Format mov,mp4,m4a,3gp,3g2,mj2 detected only with low score of 1, misdetection possible!\n\
                    [mov,mp4,m4a,3gp,3g2,mj2 @ 0x55f07eeefa40] moov atom not found\n\
                    file:junk.mp4: Invalid data found when processing input";
        assert_eq!(not_a_video(junk).as_deref(), Some("moov atom not found"));
        let text = "[matroska,webm @ 0x5] Format matroska,webm detected only with low score of 1, misdetection possible!\n\
                    Truncating packet of size 10611 to 23\n\
                    [matroska,webm @ 0x5] EBML header parsing failed\n\
                    file:notes.mkv: Invalid data found when processing input";
        assert_eq!(
            not_a_video(text).as_deref(),
            Some("EBML header parsing failed")
        );
        assert_eq!(not_a_video("Conversion failed!"), None);
    }

    #[test]
    fn long_lines_and_endless_stderr_stay_bounded() {
        let junk = vec![b'x'; 100_000];
        let mut lines = Vec::new();
        for _ in 0..100 {
            lines.extend_from_slice(b"some warning\r");
        }
        lines.extend_from_slice(&junk);
        let mut end = None;
        read_stderr(lines.as_slice(), |e| {
            if let Event::End(t) = e {
                end = Some(t);
            }
            true
        });
        let tail = end.unwrap();
        assert_eq!(tail.len(), TAIL_LINES);
        assert_eq!(tail.last().unwrap().len(), MAX_LINE);
    }

    #[test]
    fn time_parsing() {
        assert_eq!(parse_hms_ms("00:00:05.28"), Some(5280));
        assert_eq!(parse_hms_ms("N/A"), None);
        assert_eq!(parse_rate("1k"), Some(1000.0));
        assert_eq!(parse_rate("23.98"), Some(23.98));
    }
}
