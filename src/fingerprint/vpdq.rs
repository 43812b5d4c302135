//! vPDQ's text format, so hash lists other platforms share can be used as they are.
//!
//! The reference (ThreatExchange `vpdq/cpp/vpdq/cpp/io/vpdqio.cpp`) writes one line per hashed
//! frame, four comma-separated fields, no header, `\n` line ends:
//!
//! ```text
//! frameNumber,quality,pdqHex,timestamp
//! 0,100,f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,0.000
//! 25,98,…,1.000
//! ```
//!
//! - `frameNumber`: 0-based index of the frame among all decoded frames of the video (the
//!   reference hashes every `⌊secondsPerHash · frameRate⌋`-th frame, so at 1 fps and 25 fps
//!   the numbers are 0, 25, 50, …);
//! - `quality`: PDQ quality, an integer 0..=100;
//! - `pdqHex`: the 64-hex-digit PDQ hash (lowercase when written, either case read);
//! - `timestamp`: seconds, `frameNumber / frameRate`, printed fixed with 3 decimals.
//!
//! Reading mirrors the reference loader (`frameNumber` and `quality` as integers, the hash as
//! 64 hex digits, the timestamp as a decimal number), but strictly: a line with another number
//! of fields, a negative or fractional number, a quality above 100, a bad hash or a timestamp
//! that is not a finite non-negative number is an error naming the line; blank lines and a
//! trailing `\r` are accepted. Frames are sorted by time. The frame rate is recovered from
//! `frameNumber / timestamp` of the last line with a non-zero timestamp; the duration, size
//! and mirror hashes are unknown (0, 0, `None`).
//!
//! Writing: `frameNumber = round(pts_ms · fps / 1000)` when the fingerprint's frame rate is
//! known (the reference's numbering), else the frame's position in the list; the timestamp is
//! `pts_ms / 1000` with 3 decimals, exact for millisecond times.

use std::io::{BufRead, Write};
use std::path::Path;

use super::{Fingerprint, FrameHash};
use crate::error::{Error, Result};
use crate::hash::Hash256;

impl Fingerprint {
    /// The fingerprint in vPDQ's text format (see the [module docs](self)).
    pub fn to_vpdq(&self) -> String {
        let mut out = Vec::new();
        self.write_vpdq(&mut out)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("ASCII")
    }

    /// Writes the fingerprint in vPDQ's text format.
    ///
    /// # Errors
    /// The writer's errors, as [`Error::Io`] naming `<writer>`.
    pub fn write_vpdq(&self, mut out: impl Write) -> Result<()> {
        for (i, f) in self.frames.iter().enumerate() {
            let number = if self.fps > 0.0 && self.fps.is_finite() {
                (f.pts_ms as f64 * self.fps / 1000.0).round() as u64
            } else {
                i as u64
            };
            writeln!(
                out,
                "{},{},{},{}.{:03}",
                number,
                f.quality,
                f.hash,
                f.pts_ms / 1000,
                f.pts_ms % 1000
            )
            .map_err(|e| Error::io("<writer>", e))?;
        }
        Ok(())
    }

    /// Reads vPDQ text (see the [module docs](self)); `name` is used in errors.
    ///
    /// # Errors
    /// [`Error::Format`] naming `name` and the line for a malformed line or an empty list;
    /// [`Error::Io`] if reading fails.
    pub fn read_vpdq(reader: impl BufRead, name: impl AsRef<Path>) -> Result<Fingerprint> {
        let name = name.as_ref();
        let mut frames: Vec<FrameHash> = Vec::new();
        let mut rate = None;
        for (i, line) in reader.lines().enumerate() {
            let line_no = i + 1;
            let line = line.map_err(|e| Error::io(name, e))?;
            let line = line.strip_suffix('\r').unwrap_or(&line);
            if line.trim().is_empty() {
                continue;
            }
            let bad = |what: String| Error::format(name, format!("line {line_no}: {what}"));
            let fields: Vec<&str> = line.split(',').collect();
            if fields.len() != 4 {
                return Err(bad(format!(
                    "expected 4 comma-separated fields (frameNumber,quality,pdqHex,timestamp), found {}",
                    fields.len()
                )));
            }
            let number: u64 = fields[0]
                .trim()
                .parse()
                .map_err(|_| bad(format!("invalid frame number {:?}", fields[0])))?;
            let quality: u8 = fields[1]
                .trim()
                .parse()
                .ok()
                .filter(|q| *q <= 100)
                .ok_or_else(|| bad(format!("invalid quality {:?} (0..=100)", fields[1])))?;
            let hash: Hash256 = fields[2].trim().parse().map_err(|e| bad(format!("{e}")))?;
            let seconds: f64 = fields[3]
                .trim()
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s < 1e12)
                .ok_or_else(|| bad(format!("invalid timestamp {:?} (seconds)", fields[3])))?;
            if seconds > 0.0 && number > 0 {
                rate = Some(number as f64 / seconds);
            }
            frames.push(FrameHash {
                pts_ms: (seconds * 1000.0).round() as u64,
                hash,
                quality,
                mirror: None,
            });
        }
        if frames.is_empty() {
            return Err(Error::format(name, "no hashes in the vPDQ list"));
        }
        frames.sort_by_key(|f| f.pts_ms);
        let fps = rate.unwrap_or(0.0);
        // The list does not say how long the video was: duration stays 0 (unknown).
        Ok(Fingerprint {
            frames,
            fps,
            ..Fingerprint::default()
        })
    }

    /// Reads a vPDQ text file.
    ///
    /// # Errors
    /// As [`Fingerprint::read_vpdq`], and [`Error::Io`] if the file cannot be opened.
    pub fn read_vpdq_file(path: impl AsRef<Path>) -> Result<Fingerprint> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        Fingerprint::read_vpdq(std::io::BufReader::new(file), path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BRIDGE: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

    fn parse(text: &str) -> Result<Fingerprint> {
        Fingerprint::read_vpdq(text.as_bytes(), "list.txt")
    }

    #[test]
    fn reference_lines_round_trip_exactly() {
        let text = format!(
            "0,100,{BRIDGE},0.000\n30,97,{h2},1.001\n60,12,{h3},2.002\n7492,49,{BRIDGE},249.983\n",
            h2 = "0".repeat(64),
            h3 = "f".repeat(64)
        );
        let fp = parse(&text).unwrap();
        assert_eq!(fp.frames.len(), 4);
        assert_eq!(fp.frames[1].pts_ms, 1001);
        assert_eq!(fp.frames[0].hash.to_string(), BRIDGE);
        assert!((fp.fps - 29.97).abs() < 1e-3, "{}", fp.fps);
        assert_eq!(fp.to_vpdq(), text);
    }

    #[test]
    fn written_fingerprints_read_back() {
        let frames: Vec<FrameHash> = (0..40u64)
            .map(|i| FrameHash {
                pts_ms: i * 1000 + (i % 3),
                hash: Hash256([i, i * 31, !i, i << 40]),
                quality: (i * 7 % 101) as u8,
                mirror: None,
            })
            .collect();
        let fp = Fingerprint {
            frames,
            fps: 25.0,
            duration_ms: 40_000,
            ..Fingerprint::default()
        };
        let text = fp.to_vpdq();
        assert!(text.starts_with("0,0,"), "{text}");
        assert!(text.lines().nth(2).unwrap().ends_with(",2.002"));
        let back = parse(&text).unwrap();
        assert_eq!(back.frames, fp.frames);
        assert!((back.fps - 25.0).abs() < 1e-3);
        assert_eq!(back.to_vpdq(), text);
    }

    #[test]
    fn crlf_blank_lines_and_unsorted_input() {
        let text = format!("25,50,{BRIDGE},1.000\r\n\r\n0,60,{BRIDGE},0.000\r\n");
        let fp = parse(&text).unwrap();
        assert_eq!(fp.frames[0].pts_ms, 0);
        assert_eq!(fp.frames[1].quality, 50);
    }

    #[test]
    fn malformed_lines_are_refused_with_their_number() {
        let good = format!("0,100,{BRIDGE},0.000\n");
        for (bad, want) in [
            (format!("1,100,{BRIDGE}\n"), "found 3"),
            (format!("1,100,{BRIDGE},1.0,extra\n"), "found 5"),
            (format!("-1,100,{BRIDGE},1.000\n"), "invalid frame number"),
            (format!("1.5,100,{BRIDGE},1.000\n"), "invalid frame number"),
            (format!("1,101,{BRIDGE},1.000\n"), "invalid quality"),
            (format!("1,q,{BRIDGE},1.000\n"), "invalid quality"),
            ("1,100,abc,1.000\n".to_string(), "expected 64 hex digits"),
            (
                format!("1,100,{},1.000\n", "g".repeat(64)),
                "not a hex digit",
            ),
            (format!("1,100,{BRIDGE},-1\n"), "invalid timestamp"),
            (format!("1,100,{BRIDGE},nan\n"), "invalid timestamp"),
        ] {
            let msg = parse(&format!("{good}{bad}")).unwrap_err().to_string();
            assert!(msg.starts_with("list.txt: line 2: "), "{msg}");
            assert!(msg.contains(want), "{want}: {msg}");
        }
        assert!(parse("").unwrap_err().to_string().contains("no hashes"));
        assert!(parse("\n\n").is_err());
    }
}
