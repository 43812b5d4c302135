//! Rendering verdicts: human text, JSON Lines and a self-contained HTML evidence report.
//!
//! This module decides nothing: it shows what the matcher found, in the forms operators
//! and pipelines read. The JSON object is the contract of DESIGN.md:
//!
//! ```json
//! {"path": "...", "verdict": "match", "duration": 61.2,
//!  "matches": [{"work": "ID", "title": "...", "rightsholder": "...", "notice": "...",
//!               "score": 0.97, "query_start": 12.0, "query_end": 58.0, "ref_start": 302.0,
//!               "ref_end": 348.0, "matched_frames": 46, "speed": 1.0, "mirrored": false}]}
//! ```
//! with `"verdict": "error"` and an `"error"` message when the file could not be scanned.

mod html;

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::matcher::{Decision, Match, Verdict};

pub use html::{HtmlReport, THUMB_WIDTH, Thumbnails, frames_at, shown_pairs};

/// The outcome of scanning one file: a verdict, or the error that stopped it.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// The file was scanned.
    Verdict {
        /// Duration of the upload in milliseconds.
        duration_ms: u64,
        /// The matcher's verdict.
        verdict: Verdict,
    },
    /// The file could not be scanned; the message names the cause.
    Error(String),
}

impl Outcome {
    /// The word for the outcome: `match`, `review`, `clean` or `error`.
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Verdict { verdict, .. } => verdict.verdict.as_str(),
            Outcome::Error(_) => "error",
        }
    }

    /// The decision, when there is one.
    pub fn decision(&self) -> Option<Decision> {
        match self {
            Outcome::Verdict { verdict, .. } => Some(verdict.verdict),
            Outcome::Error(_) => None,
        }
    }
}

/// One match as the JSON contract has it.
#[derive(Serialize)]
struct ContractMatch<'a> {
    work: &'a str,
    title: &'a str,
    rightsholder: &'a str,
    notice: &'a str,
    score: f64,
    query_start: f64,
    query_end: f64,
    ref_start: f64,
    ref_end: f64,
    matched_frames: u32,
    speed: f64,
    mirrored: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Vec<[f64; 3]>>,
}

#[derive(Serialize)]
struct ContractFile<'a> {
    path: String,
    verdict: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<f64>,
    matches: Vec<ContractMatch<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The JSON object of DESIGN.md for one file, on one line without a trailing newline.
///
/// With `evidence`, each match also carries `"evidence": [[query_s, ref_s, distance], …]`,
/// the matched frame pairs (`check --json` adds them; `scan --json` keeps to the contract).
pub fn json_line(path: &Path, outcome: &Outcome, evidence: bool) -> String {
    let (duration, matches, error) = match outcome {
        Outcome::Verdict {
            duration_ms,
            verdict,
        } => (
            Some(round3(secs(*duration_ms))),
            verdict
                .matches
                .iter()
                .map(|m| {
                    let (q0, q1) = upload_range(m, *duration_ms);
                    let (r0, r1) = work_range(m);
                    ContractMatch {
                        work: &m.meta.id,
                        title: &m.meta.title,
                        rightsholder: &m.meta.rightsholder,
                        notice: &m.meta.notice,
                        score: round3(m.score),
                        query_start: secs(q0),
                        query_end: secs(q1),
                        ref_start: secs(r0),
                        ref_end: secs(r1),
                        matched_frames: m.matched_frames,
                        speed: round3(m.speed),
                        mirrored: m.mirrored,
                        evidence: evidence.then(|| {
                            m.pairs
                                .iter()
                                .map(|p| [secs(p.query_ms), secs(p.ref_ms), f64::from(p.distance)])
                                .collect()
                        }),
                    }
                })
                .collect(),
            None,
        ),
        Outcome::Error(e) => (None, Vec::new(), Some(e.as_str())),
    };
    let file = ContractFile {
        path: path.display().to_string(),
        verdict: outcome.word(),
        duration,
        matches,
        error,
    };
    serde_json::to_string(&file).expect("plain data serialises")
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch (UTC).
pub fn utc(unix_s: i64) -> String {
    let days = unix_s.div_euclid(86_400);
    let secs = unix_s.rem_euclid(86_400);
    // Civil-from-days (H. Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// `mm:ss.t` (or `h:mm:ss.t` from an hour on) for a time in milliseconds, to the nearest
/// tenth of a second: a 10 s clip ends at `00:10.0`, a 4.004 s one at `00:04.0`.
pub fn clock(ms: u64) -> String {
    let tenths = (ms + 50) / 100;
    let (s, t) = (tenths / 10, tenths % 10);
    if s >= 3600 {
        format!("{}:{:02}:{:02}.{t}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}.{t}", s / 60, s % 60)
    }
}

/// `00:12.0–00:46.0` for a time range in milliseconds.
pub fn span(start_ms: u64, end_ms: u64) -> String {
    format!("{}–{}", clock(start_ms), clock(end_ms))
}

/// The sampling step seen in a list of frame times: the smallest gap between two distinct
/// times (0 when there are fewer than two).
fn step(mut times: Vec<u64>) -> u64 {
    times.sort_unstable();
    times.dedup();
    times.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(0)
}

/// The end of the time a match's last frame stands for: `last_ms + step_ms`, never past
/// `cap_ms` when known (not 0).
fn covered_end(last_ms: u64, step_ms: u64, cap_ms: u64) -> u64 {
    let end = last_ms + step_ms;
    if cap_ms > 0 {
        end.min(cap_ms.max(last_ms))
    } else {
        end
    }
}

/// The upload's sampling step seen in a match: the smallest gap between its matched frames.
fn upload_step(m: &Match) -> u64 {
    step(m.pairs.iter().map(|p| p.query_ms).collect())
}

/// The part of the upload a match covers, in milliseconds: from its first matched frame to the
/// end of its last. A sampled frame stands for the video from its own time to the next
/// sample's, so the range ends one sampling step (the smallest gap between the match's frames)
/// after its last matched frame; `duration_ms` (0 if unknown) bounds it. Text, JSON and the
/// HTML report all show these times: frames 0–9 s of a 10 s clip sampled once a second cover
/// 0–10 s, not 0–9.
pub fn upload_range(m: &Match, duration_ms: u64) -> (u64, u64) {
    (
        m.query_start_ms,
        covered_end(m.query_end_ms, upload_step(m), duration_ms),
    )
}

/// The part of the banked work a match covers, in milliseconds: the image of
/// [`upload_range`] through the alignment (the last matched work frame plus one upload step
/// times the speed); the work's recorded duration bounds the end.
pub fn work_range(m: &Match) -> (u64, u64) {
    let speed = if m.speed.is_finite() && m.speed > 0.0 {
        m.speed
    } else {
        1.0
    };
    let step = (upload_step(m) as f64 * speed).round() as u64;
    (
        m.ref_start_ms,
        covered_end(m.ref_end_ms, step, m.meta.duration_ms),
    )
}

/// One line about one match: the work, who asked for its removal, and where it matched
/// (`duration_ms`: the upload's, 0 if unknown; see [`upload_range`]).
pub fn match_summary(m: &Match, duration_ms: u64) -> String {
    let mut s = format!("work {:?}", m.meta.id);
    if !m.meta.title.is_empty() {
        let _ = write!(s, " \"{}\"", m.meta.title);
    }
    let mut who = Vec::new();
    if !m.meta.rightsholder.is_empty() {
        who.push(m.meta.rightsholder.clone());
    }
    if !m.meta.notice.is_empty() {
        who.push(format!("notice {}", m.meta.notice));
    }
    if !who.is_empty() {
        let _ = write!(s, " ({})", who.join(", "));
    }
    let (q0, q1) = upload_range(m, duration_ms);
    let (r0, r1) = work_range(m);
    let _ = write!(
        s,
        ": upload {} = work {}, score {:.2}",
        span(q0, q1),
        span(r0, r1),
        m.score
    );
    if m.mirrored {
        s.push_str(", mirrored");
    }
    if (m.speed - 1.0).abs() >= 0.02 {
        let _ = write!(s, ", speed {:.2}", m.speed);
    }
    s
}

/// The scan output for one file: nothing for a clean file, else a line with the verdict and
/// path and one indented line per match (or the error).
pub fn scan_lines(path: &Path, outcome: &Outcome) -> String {
    let mut out = String::new();
    match outcome {
        Outcome::Verdict {
            verdict,
            duration_ms,
        } => {
            if verdict.verdict == Decision::Clean {
                return out;
            }
            let _ = writeln!(
                out,
                "{:<6} {}",
                verdict.verdict.as_str().to_uppercase(),
                path.display()
            );
            for m in &verdict.matches {
                let _ = writeln!(
                    out,
                    "       {} [{}]",
                    match_summary(m, *duration_ms),
                    m.decision
                );
            }
        }
        Outcome::Error(e) => {
            let _ = writeln!(out, "ERROR  {}: {e}", path.display());
        }
    }
    out
}

/// The full evidence for one upload, as `staydown check` prints it.
pub fn check_text(path: &Path, outcome: &Outcome) -> String {
    let mut out = String::new();
    let (duration_ms, verdict) = match outcome {
        Outcome::Error(e) => {
            let _ = writeln!(out, "{}: error: {e}", path.display());
            return out;
        }
        Outcome::Verdict {
            duration_ms,
            verdict,
        } => (*duration_ms, verdict),
    };
    let _ = writeln!(
        out,
        "{}: {} ({} of video)",
        path.display(),
        verdict.verdict.as_str().to_uppercase(),
        clock(duration_ms)
    );
    if verdict.matches.is_empty() {
        let _ = writeln!(out, "  no banned work matched");
    }
    for (i, m) in verdict.matches.iter().enumerate() {
        let _ = writeln!(out, "\n  [{}] {} — {}", i + 1, m.decision, m.meta.id);
        if !m.meta.title.is_empty() {
            let _ = writeln!(out, "      title         {}", m.meta.title);
        }
        if !m.meta.rightsholder.is_empty() {
            let _ = writeln!(out, "      rights holder {}", m.meta.rightsholder);
        }
        if !m.meta.notice.is_empty() {
            let _ = writeln!(out, "      notice        {}", m.meta.notice);
        }
        let (q0, q1) = upload_range(m, duration_ms);
        let (r0, r1) = work_range(m);
        let _ = writeln!(
            out,
            "      upload        {}  matches work {}",
            span(q0, q1),
            span(r0, r1)
        );
        let _ = writeln!(
            out,
            "      strength      score {:.2}, {} frames, mean distance {:.1} bits, speed {:.2}{}",
            m.score,
            m.matched_frames,
            m.mean_distance,
            m.speed,
            if m.mirrored { ", mirrored" } else { "" }
        );
        let shown: Vec<String> = m
            .pairs
            .iter()
            .take(12)
            .map(|p| {
                format!(
                    "{}↔{} ({}b)",
                    clock(p.query_ms),
                    clock(p.ref_ms),
                    p.distance
                )
            })
            .collect();
        let more = m.pairs.len().saturating_sub(shown.len());
        let _ = write!(out, "      frames        {}", shown.join("  "));
        if more > 0 {
            let _ = write!(out, "  … {more} more");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::WorkMeta;
    use crate::matcher::Pair;

    pub(crate) fn sample_match() -> Match {
        Match {
            work: 0,
            meta: WorkMeta {
                id: "w1".into(),
                title: "A Film".into(),
                rightsholder: "Studio".into(),
                notice: "N-1".into(),
                ..Default::default()
            },
            query_start_ms: 12_000,
            query_end_ms: 57_000,
            ref_start_ms: 302_000,
            ref_end_ms: 347_000,
            matched_frames: 46,
            weighted_frames: 46.0,
            mean_distance: 8.25,
            speed: 1.0,
            mirrored: true,
            score: 0.9712,
            decision: Decision::Match,
            // One frame a second, 12 s to 57 s of the upload = 302 s to 347 s of the work.
            pairs: (0..46)
                .map(|i| Pair {
                    query_ms: 12_000 + 1000 * i,
                    ref_ms: 302_000 + 1000 * i,
                    distance: 6,
                })
                .collect(),
        }
    }

    #[test]
    fn json_line_keeps_to_the_contract() {
        let outcome = Outcome::Verdict {
            duration_ms: 61_200,
            verdict: Verdict {
                verdict: Decision::Match,
                matches: vec![sample_match()],
            },
        };
        let line = json_line(Path::new("up/a.mp4"), &outcome, false);
        assert_eq!(
            line,
            r#"{"path":"up/a.mp4","verdict":"match","duration":61.2,"matches":[{"work":"w1","title":"A Film","rightsholder":"Studio","notice":"N-1","score":0.971,"query_start":12.0,"query_end":58.0,"ref_start":302.0,"ref_end":348.0,"matched_frames":46,"speed":1.0,"mirrored":true}]}"#
        );
        let with = json_line(Path::new("up/a.mp4"), &outcome, true);
        assert!(with.contains(r#""evidence":[[12.0,302.0,6.0],"#), "{with}");
        let err = json_line(
            Path::new("bad.mp4"),
            &Outcome::Error("truncated".into()),
            false,
        );
        assert_eq!(
            err,
            r#"{"path":"bad.mp4","verdict":"error","matches":[],"error":"truncated"}"#
        );
    }

    #[test]
    fn clocks_and_text() {
        assert_eq!(clock(0), "00:00.0");
        assert_eq!(clock(9_949), "00:09.9");
        assert_eq!(clock(9_950), "00:10.0");
        assert_eq!(clock(61_999), "01:02.0");
        assert_eq!(clock(3_723_400), "1:02:03.4");
        let m = sample_match();
        assert_eq!(
            match_summary(&m, 61_200),
            "work \"w1\" \"A Film\" (Studio, notice N-1): upload 00:12.0–00:58.0 = work 05:02.0–05:48.0, score 0.97, mirrored"
        );
        let clean = Outcome::Verdict {
            duration_ms: 1,
            verdict: Verdict {
                verdict: Decision::Clean,
                matches: vec![],
            },
        };
        assert_eq!(scan_lines(Path::new("x"), &clean), "");
        assert!(check_text(Path::new("x"), &clean).contains("no banned work matched"));
    }

    /// A match over every frame of a clip of `secs` seconds sampled `per_s` times a second.
    fn whole_clip(secs: u64, per_s: u64, work_ms: u64) -> Match {
        let step = 1000 / per_s;
        let last = (secs * per_s - 1) * step;
        Match {
            query_start_ms: 0,
            query_end_ms: last,
            ref_start_ms: 0,
            ref_end_ms: last,
            pairs: (0..secs * per_s)
                .map(|i| Pair {
                    query_ms: i * step,
                    ref_ms: i * step,
                    distance: 0,
                })
                .collect(),
            meta: WorkMeta {
                duration_ms: work_ms,
                ..sample_match().meta
            },
            ..sample_match()
        }
    }

    #[test]
    fn a_range_ends_where_its_last_frame_ends() {
        // A 10 s clip sampled once a second: frames at 0..=9 s cover 0–10 s, not 0–9.
        let m = whole_clip(10, 1, 10_000);
        assert_eq!(upload_range(&m, 10_000), (0, 10_000));
        assert_eq!(work_range(&m), (0, 10_000));
        assert!(
            match_summary(&m, 10_000).contains("upload 00:00.0–00:10.0 = work 00:00.0–00:10.0")
        );
        // Four times a second: the last frame at 9.75 s covers up to 10 s.
        assert_eq!(upload_range(&whole_clip(10, 4, 0), 10_000), (0, 10_000));
        // Never past the end of the video: a 9.4 s upload whose last sample is at 9 s.
        assert_eq!(upload_range(&m, 9_400), (0, 9_400));
        // Unknown durations (0) do not cut the range.
        assert_eq!(upload_range(&m, 0), (0, 10_000));
        assert_eq!(work_range(&whole_clip(10, 1, 0)), (0, 10_000));
        // The work side is the upload's range through the alignment: at speed 2 the last
        // upload second stands for two seconds of the work.
        let fast = Match {
            speed: 2.0,
            ..whole_clip(10, 1, 0)
        };
        assert_eq!(work_range(&fast), (0, 11_000));
        // A single matched frame shows as the instant it is.
        let one = Match {
            query_end_ms: 3_000,
            query_start_ms: 3_000,
            pairs: vec![Pair {
                query_ms: 3_000,
                ref_ms: 5_000,
                distance: 2,
            }],
            ..m.clone()
        };
        assert_eq!(upload_range(&one, 10_000), (3_000, 3_000));
        // Text, JSON and the check view say the same.
        let outcome = Outcome::Verdict {
            duration_ms: 10_000,
            verdict: Verdict {
                verdict: Decision::Match,
                matches: vec![m],
            },
        };
        let json = json_line(Path::new("c.mp4"), &outcome, false);
        assert!(
            json.contains(r#""query_start":0.0,"query_end":10.0,"ref_start":0.0,"ref_end":10.0"#),
            "{json}"
        );
        let text = check_text(Path::new("c.mp4"), &outcome);
        assert!(text.contains("(00:10.0 of video)"), "{text}");
        assert!(
            text.contains("upload        00:00.0–00:10.0  matches work 00:00.0–00:10.0"),
            "{text}"
        );
        assert!(text.contains("00:09.0↔00:09.0 (0b)"), "{text}");
        assert!(scan_lines(Path::new("c.mp4"), &outcome).contains("upload 00:00.0–00:10.0"));
    }
}
