//! Native YUV4MPEG2 (Y4M) reader.
//!
//! Stream header `YUV4MPEG2 W<width> H<height> F<num>:<den> I<i> A<a:b> C<colour> X<ext>`
//! ending in `\n`; then per frame a `FRAME` header (optionally with parameters) ending in `\n`
//! and the planes (Y, then chroma). Read: colour spaces `420jpeg`, `420paldv`, `420mpeg2`,
//! `420`, `411`, `422`, `444`, `444alpha` and `mono` at 8 bits; `F` (default 25:1 when absent,
//! as ffmpeg does); `XCOLORRANGE=FULL|LIMITED`. `I`, `A` and other `X` tags are ignored. Only
//! the luma plane is kept; chroma is skipped. Luma is limited range unless the header says
//! `XCOLORRANGE=FULL`, except `mono`, which is full range unless it says `LIMITED` (ffmpeg's
//! convention for gray), and is expanded to full range.

use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::scale::{AreaScaler, Range};
use super::{DecodeOptions, Frame, Rational, Sampler, SourceInfo, rescale_round, scaled_size};
use crate::error::{Error, Result};

/// Longest accepted stream or frame header line.
const MAX_HEADER: usize = 4096;

pub(crate) struct Y4mFrames {
    reader: BufReader<Box<dyn Read + Send>>,
    path: PathBuf,
    width: u32,
    height: u32,
    rate: Rational,
    range: Range,
    lut: [u8; 256],
    chroma_bytes: u64,
    sampler: Sampler,
    out_size: (u32, u32),
    scaler: Option<AreaScaler>,
    /// Index of the next input frame.
    index: u64,
    buf: Vec<u8>,
    duration_estimate: Option<u64>,
}

enum Line {
    Eof,
    Full(Vec<u8>),
    /// The stream ended before the newline.
    Partial(Vec<u8>),
    TooLong,
}

fn read_line(reader: &mut impl BufRead) -> io::Result<Line> {
    let mut line = Vec::new();
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(if line.is_empty() {
                Line::Eof
            } else {
                Line::Partial(line)
            });
        }
        let room = MAX_HEADER + 1 - line.len();
        let take = available.len().min(room);
        if let Some(nl) = available[..take].iter().position(|&b| b == b'\n') {
            line.extend_from_slice(&available[..nl]);
            reader.consume(nl + 1);
            return Ok(Line::Full(line));
        }
        line.extend_from_slice(&available[..take]);
        reader.consume(take);
        if line.len() > MAX_HEADER {
            return Ok(Line::TooLong);
        }
    }
}

fn skip(reader: &mut impl Read, n: u64) -> io::Result<u64> {
    io::copy(&mut reader.take(n), &mut io::sink())
}

/// Bytes of chroma (and alpha) per frame for a colour space, or `None` if unsupported.
fn chroma_bytes(colour: &str, w: u64, h: u64) -> Option<u64> {
    let half = |x: u64| x.div_ceil(2);
    Some(match colour {
        "420jpeg" | "420paldv" | "420mpeg2" | "420" => 2 * half(w) * half(h),
        "411" => 2 * w.div_ceil(4) * h,
        "422" => 2 * half(w) * h,
        "444" => 2 * w * h,
        "444alpha" => 3 * w * h,
        "mono" => 0,
        _ => return None,
    })
}

impl Y4mFrames {
    pub fn new(
        inner: Box<dyn Read + Send>,
        path: &Path,
        opts: &DecodeOptions,
        file_size: Option<u64>,
    ) -> Result<Y4mFrames> {
        opts.validate()?;
        let mut reader = BufReader::with_capacity(1 << 20, inner);
        let bad = |reason: String| Error::format(path, reason);
        let header = match read_line(&mut reader).map_err(|e| Error::io(path, e))? {
            Line::Eof => return Err(bad("empty input, no Y4M header".into())),
            Line::Full(l) => l,
            Line::Partial(l) if !l.starts_with(super::Y4M_MAGIC) => {
                return Err(bad("not a Y4M stream (no YUV4MPEG2 signature)".into()));
            }
            Line::Partial(_) => return Err(bad("truncated Y4M header (no end of line)".into())),
            Line::TooLong => {
                return Err(bad(format!(
                    "not a Y4M stream (no header line within {MAX_HEADER} bytes)"
                )));
            }
        };
        let rest = header
            .strip_prefix(super::Y4M_MAGIC)
            .filter(|r| r.is_empty() || r[0] == b' ')
            .ok_or_else(|| bad("not a Y4M stream (no YUV4MPEG2 signature)".into()))?;
        let rest =
            std::str::from_utf8(rest).map_err(|_| bad("Y4M header is not ASCII text".into()))?;
        let (mut width, mut height) = (None, None);
        let mut rate = Rational { num: 25, den: 1 };
        let mut colour = "420jpeg".to_string();
        let mut range = None;
        for token in rest.split(' ').filter(|t| !t.is_empty()) {
            // The tag is the first character, which need not be ASCII (a byte split could
            // panic inside a multibyte character).
            let mut chars = token.chars();
            let Some(tag) = chars.next() else { continue };
            let value = chars.as_str();
            match tag {
                'W' | 'H' => {
                    let v: u64 = value
                        .parse()
                        .map_err(|_| bad(format!("invalid Y4M header: bad dimension {token:?}")))?;
                    if tag == 'W' {
                        width = Some(v);
                    } else {
                        height = Some(v);
                    }
                }
                'F' => {
                    let parsed = value
                        .split_once(':')
                        .and_then(|(n, d)| Some((n.parse::<u32>().ok()?, d.parse::<u32>().ok()?)));
                    match parsed {
                        Some((n, d)) if n > 0 && d > 0 => {
                            rate = Rational {
                                num: u64::from(n),
                                den: u64::from(d),
                            }
                        }
                        _ => return Err(bad(format!("invalid Y4M frame rate {token:?}"))),
                    }
                }
                'C' => colour = value.to_string(),
                'X' => {
                    if let Some(r) = value.strip_prefix("COLORRANGE=") {
                        range = match r {
                            "FULL" => Some(Range::Full),
                            "LIMITED" => Some(Range::Limited),
                            _ => None,
                        };
                    }
                }
                _ => {}
            }
        }
        let (Some(w), Some(h)) = (width, height) else {
            return Err(bad(
                "invalid Y4M header: missing width (W) or height (H)".into()
            ));
        };
        opts.limits.check_size(path, w, h)?;
        let chroma = chroma_bytes(&colour, w, h).ok_or_else(|| {
            bad(format!(
                "unsupported Y4M colour space C{colour} (8-bit 420, 411, 422, 444, mono are read)"
            ))
        })?;
        let range = range.unwrap_or(if colour == "mono" {
            Range::Full
        } else {
            Range::Limited
        });
        let (width, height) = (w as u32, h as u32);
        let out_size = scaled_size(width, height, opts.max_width);
        let frame_bytes = 6 + w * h + chroma;
        let duration_estimate = file_size.and_then(|size| {
            let body = size.checked_sub(header.len() as u64 + 1)?;
            (body % frame_bytes == 0)
                .then(|| rescale_round(body / frame_bytes, 1000 * rate.den, rate.num))
        });
        Ok(Y4mFrames {
            reader,
            path: path.to_path_buf(),
            width,
            height,
            rate,
            range,
            lut: range.table(),
            chroma_bytes: chroma,
            sampler: Sampler::new(rate, opts.fps_rational()),
            out_size,
            scaler: None,
            index: 0,
            buf: Vec::new(),
            duration_estimate,
        })
    }

    pub fn info(&self) -> SourceInfo {
        SourceInfo {
            width: self.width,
            height: self.height,
            fps: self.rate.as_f64(),
            duration_ms: self.duration_estimate,
        }
    }

    /// Duration from the number of frames read, once the stream has ended.
    pub fn duration_ms(&self) -> Option<u64> {
        Some(rescale_round(
            self.index,
            1000 * self.rate.den,
            self.rate.num,
        ))
    }

    fn truncated(&self, what: &str, expected: u64, got: u64) -> Error {
        Error::format(
            &self.path,
            format!(
                "truncated Y4M stream: frame #{} (0-based) {what}: expected {expected} bytes, got {got}",
                self.index
            ),
        )
    }

    pub fn next_frame(&mut self) -> Result<Option<Frame>> {
        loop {
            let line = read_line(&mut self.reader).map_err(|e| Error::io(&self.path, e))?;
            let header = match line {
                Line::Eof => return Ok(None),
                Line::Full(l) => l,
                Line::Partial(l) => {
                    return Err(self.truncated("header", 6, l.len() as u64));
                }
                Line::TooLong => {
                    return Err(Error::format(
                        &self.path,
                        format!(
                            "corrupt Y4M stream: frame #{} header longer than {MAX_HEADER} bytes",
                            self.index
                        ),
                    ));
                }
            };
            if !(header.starts_with(b"FRAME") && (header.len() == 5 || header[5] == b' ')) {
                return Err(Error::format(
                    &self.path,
                    format!(
                        "corrupt Y4M stream: expected a FRAME header for frame #{} (0-based)",
                        self.index
                    ),
                ));
            }
            let luma_bytes = u64::from(self.width) * u64::from(self.height);
            if self.sampler.keep(self.index) {
                self.buf.resize(luma_bytes as usize, 0);
                let got = super::read_full(&mut self.reader, &mut self.buf)
                    .map_err(|e| Error::io(&self.path, e))?;
                if got as u64 != luma_bytes {
                    return Err(self.truncated("luma plane", luma_bytes, got as u64));
                }
                let frame = self.convert();
                self.skip_chroma()?;
                let pts_ms = self.sampler.pts_ms(self.index);
                self.index += 1;
                return Ok(Some(Frame { pts_ms, ..frame }));
            } else {
                let got =
                    skip(&mut self.reader, luma_bytes).map_err(|e| Error::io(&self.path, e))?;
                if got != luma_bytes {
                    return Err(self.truncated("luma plane", luma_bytes, got));
                }
                self.skip_chroma()?;
                self.index += 1;
            }
        }
    }

    fn skip_chroma(&mut self) -> Result<()> {
        let got =
            skip(&mut self.reader, self.chroma_bytes).map_err(|e| Error::io(&self.path, e))?;
        if got != self.chroma_bytes {
            return Err(self.truncated("chroma planes", self.chroma_bytes, got));
        }
        Ok(())
    }

    /// Scales and range-maps the luma in `buf` into a new frame (pts set by the caller).
    fn convert(&mut self) -> Frame {
        let (w, h) = self.out_size;
        let luma = if (w, h) == (self.width, self.height) {
            if self.range == Range::Full {
                self.buf.clone()
            } else {
                self.buf.iter().map(|&v| self.lut[usize::from(v)]).collect()
            }
        } else {
            let scaler = match &mut self.scaler {
                Some(s) if s.fits(self.width, self.height, w, h) => s,
                slot => slot.insert(AreaScaler::new(self.width, self.height, w, h)),
            };
            let mut out = vec![0u8; w as usize * h as usize];
            scaler.scale(&self.buf, &mut out, self.range);
            out
        };
        Frame {
            pts_ms: 0,
            width: w,
            height: h,
            luma,
            scale: super::shrink(self.width, w),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn open(bytes: Vec<u8>, opts: &DecodeOptions) -> Result<Y4mFrames> {
        Y4mFrames::new(Box::new(Cursor::new(bytes)), Path::new("t.y4m"), opts, None)
    }

    fn all(bytes: Vec<u8>, opts: &DecodeOptions) -> Result<Vec<Frame>> {
        let mut f = open(bytes, opts)?;
        let mut out = Vec::new();
        while let Some(frame) = f.next_frame()? {
            out.push(frame);
        }
        Ok(out)
    }

    fn stream(header: &str, frames: &[&[u8]]) -> Vec<u8> {
        let mut v = header.as_bytes().to_vec();
        for f in frames {
            v.extend_from_slice(b"FRAME\n");
            v.extend_from_slice(f);
        }
        v
    }

    #[test]
    fn mono_full_range_every_frame() {
        let s = stream(
            "YUV4MPEG2 W2 H2 F10:1 Ip A1:1 Cmono XYSCSS=MONO\n",
            &[&[0, 1, 2, 3], &[4, 5, 6, 7]],
        );
        let frames = all(s, &DecodeOptions::every_frame()).unwrap();
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1].luma, [4, 5, 6, 7]);
        assert_eq!(frames[1].pts_ms, 100);
    }

    #[test]
    fn c420_limited_range_is_expanded_and_chroma_skipped() {
        // 3x3 4:2:0: luma 9 bytes, chroma 2 * 2 * 2 = 8 bytes.
        let mut f = vec![16u8; 9];
        f[4] = 235;
        f.extend_from_slice(&[128; 8]);
        let s = stream("YUV4MPEG2 W3 H3 F25:1 C420mpeg2\n", &[&f, &f]);
        let frames = all(s, &DecodeOptions::every_frame()).unwrap();
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].luma, [0, 0, 0, 0, 255, 0, 0, 0, 0]);
    }

    #[test]
    fn frame_parameters_are_accepted() {
        let s = {
            let mut v = b"YUV4MPEG2 W1 H1 F1:1 C444\nFRAME Ixyz Xfoo\n".to_vec();
            v.extend_from_slice(&[200, 1, 2]);
            v
        };
        let frames = all(s, &DecodeOptions::every_frame()).unwrap();
        assert_eq!(frames.len(), 1);
    }

    #[test]
    fn sampling_and_downscaling() {
        // 10 fps, 25 frames of 4x2 mono; 1 fps keeps the first frame of each second:
        // frames 0, 10 and 20, at their own times.
        let frames: Vec<Vec<u8>> = (0..25u8).map(|i| vec![i; 8]).collect();
        let refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
        let s = stream("YUV4MPEG2 W4 H2 F10:1 Cmono\n", &refs);
        let opts = DecodeOptions {
            max_width: Some(2),
            ..DecodeOptions::default()
        };
        let out = all(s, &opts).unwrap();
        let got: Vec<(u64, u8, u32, u32)> = out
            .iter()
            .map(|f| (f.pts_ms, f.luma[0], f.width, f.height))
            .collect();
        assert_eq!(got, [(0, 0, 2, 1), (1000, 10, 2, 1), (2000, 20, 2, 1)]);
    }

    #[test]
    fn sampling_faster_than_the_input_keeps_every_frame_once() {
        let s = stream("YUV4MPEG2 W1 H1 F1:1 Cmono\n", &[&[7], &[9]]);
        let opts = DecodeOptions {
            fps: Some(2.0),
            ..DecodeOptions::default()
        };
        let out = all(s, &opts).unwrap();
        let got: Vec<(u64, u8)> = out.iter().map(|f| (f.pts_ms, f.luma[0])).collect();
        assert_eq!(got, [(0, 7), (1000, 9)]);
    }

    fn err(bytes: &[u8]) -> String {
        match all(bytes.to_vec(), &DecodeOptions::every_frame()) {
            Ok(f) => panic!("accepted, {} frames", f.len()),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn bad_streams_are_errors_naming_the_cause() {
        assert!(err(b"").contains("empty input"), "{}", err(b""));
        assert!(err(b"RIFF\x00\x00").contains("not a Y4M"));
        assert!(err(&[b'x'; 5000]).contains("not a Y4M"));
        assert!(err(b"YUV4MPEG2 W4 H4 F25:1").contains("truncated Y4M header"));
        assert!(err(b"YUV4MPEG2 H4 F25:1\n").contains("missing width"));
        assert!(err(b"YUV4MPEG2 W4 H4 F0:1\n").contains("frame rate"));
        assert!(err(b"YUV4MPEG2 Wx H4\n").contains("bad dimension"));
        assert!(err(b"YUV4MPEG2 W4 H4 C420p10\n").contains("unsupported"));
        assert!(err(b"YUV4MPEG2 W999999999 H999999999\n").contains("exceeds the limit"));
        assert!(err(b"YUV4MPEG2 W0 H4\n").contains("invalid frame size"));
        assert!(err(b"YUV4MPEG2 W2 H2 Cmono\nFRAME\n\x01\x02").contains("frame #0"));
        assert!(err(b"YUV4MPEG2 W2 H2 Cmono\nFRAME\n\x01\x02\x03\x04FRA").contains("frame #1"));
        assert!(err(b"YUV4MPEG2 W2 H2 Cmono\nJUNK!\n").contains("expected a FRAME"));
        assert!(err(b"YUV4MPEG2 W2 H2 C420\nFRAME\n\x01\x02\x03\x04\x05").contains("chroma"));
        assert!(err(b"YUV4MPEG2 W1 H1 Cmono\nFRAMEXYZ\n\x01").contains("expected a FRAME"));
    }

    #[test]
    fn header_only_stream_has_no_frames() {
        assert!(
            all(b"YUV4MPEG2 W2 H2\n".to_vec(), &DecodeOptions::default())
                .unwrap()
                .is_empty()
        );
    }
}
