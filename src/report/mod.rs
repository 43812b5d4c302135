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
                .map(|m| ContractMatch {
                    work: &m.meta.id,
                    title: &m.meta.title,
                    rightsholder: &m.meta.rightsholder,
                    notice: &m.meta.notice,
                    score: round3(m.score),
                    query_start: secs(m.query_start_ms),
                    query_end: secs(m.query_end_ms),
                    ref_start: secs(m.ref_start_ms),
                    ref_end: secs(m.ref_end_ms),
                    matched_frames: m.matched_frames,
                    speed: round3(m.speed),
                    mirrored: m.mirrored,
                    evidence: evidence.then(|| {
                        m.pairs
                            .iter()
                            .map(|p| [secs(p.query_ms), secs(p.ref_ms), f64::from(p.distance)])
                            .collect()
                    }),
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

/// `m:ss` (or `h:mm:ss` from an hour on) for a time in milliseconds, rounded down to the second.
pub fn clock(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// `12:00–12:46` for a time range in milliseconds.
pub fn span(start_ms: u64, end_ms: u64) -> String {
    format!("{}–{}", clock(start_ms), clock(end_ms))
}

/// One line about one match: the work, who asked for its removal, and where it matched.
pub fn match_summary(m: &Match) -> String {
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
    let _ = write!(
        s,
        ": upload {} = work {}, score {:.2}",
        span(m.query_start_ms, m.query_end_ms),
        span(m.ref_start_ms, m.ref_end_ms),
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
        Outcome::Verdict { verdict, .. } => {
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
                let _ = writeln!(out, "       {} [{}]", match_summary(m), m.decision);
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
        let _ = writeln!(
            out,
            "      upload        {}  matches work {}",
            span(m.query_start_ms, m.query_end_ms),
            span(m.ref_start_ms, m.ref_end_ms)
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
                    "{}.{:01}↔{}.{:01} ({}b)",
                    clock(p.query_ms),
                    p.query_ms % 1000 / 100,
                    clock(p.ref_ms),
                    p.ref_ms % 1000 / 100,
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
            query_end_ms: 58_000,
            ref_start_ms: 302_000,
            ref_end_ms: 348_000,
            matched_frames: 46,
            weighted_frames: 46.0,
            mean_distance: 8.25,
            speed: 1.0,
            mirrored: true,
            score: 0.9712,
            decision: Decision::Match,
            pairs: vec![Pair {
                query_ms: 12_000,
                ref_ms: 302_000,
                distance: 6,
            }],
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
        assert!(with.contains(r#""evidence":[[12.0,302.0,6.0]]"#), "{with}");
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
        assert_eq!(clock(0), "00:00");
        assert_eq!(clock(61_999), "01:01");
        assert_eq!(clock(3_723_000), "1:02:03");
        let m = sample_match();
        assert_eq!(
            match_summary(&m),
            "work \"w1\" \"A Film\" (Studio, notice N-1): upload 00:12–00:58 = work 05:02–05:48, score 0.97, mirrored"
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
}
