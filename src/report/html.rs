//! The HTML evidence report: one self-contained file (inline CSS, inline SVG, thumbnails as
//! `data:` URIs; no script, no network fetch) that a person opens to check each decision.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;

use super::{Outcome, clock, span, upload_range, work_range};
use crate::decode::{DecodeOptions, Frame, FrameSource};
use crate::error::{Error, Result};
use crate::matcher::{Decision, Match};

/// Small frame images for the report, as `data:image/png;base64,…` URIs.
#[derive(Clone, Debug, Default)]
pub struct Thumbnails {
    /// Frames of the upload by query time (ms).
    pub upload: BTreeMap<u64, String>,
    /// Frames of banked works by (work id, reference time in ms), when the work's source
    /// video was reachable.
    pub works: BTreeMap<(String, u64), String>,
}

impl Thumbnails {
    /// Encodes an 8-bit gray plane as a PNG `data:` URI.
    ///
    /// # Errors
    /// When the plane's length is not `width * height`.
    pub fn png_data_uri(gray: &[u8], width: u32, height: u32) -> Result<String> {
        let img = image::GrayImage::from_raw(width, height, gray.to_vec()).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "thumbnail of {width}x{height} needs {} bytes, got {}",
                u64::from(width) * u64::from(height),
                gray.len()
            ))
        })?;
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(|e| Error::InvalidArgument(format!("png encoding: {e}")))?;
        Ok(png_uri(&png))
    }
}

fn png_uri(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

/// Width of report thumbnails, pixels.
pub const THUMB_WIDTH: u32 = 160;

/// Returns, for each of `times_ms`, the frame of `path` at that time as a PNG `data:` URI
/// ([`THUMB_WIDTH`] wide): in colour through ffmpeg (one short run per time) for video files,
/// else — Y4M, image sequences, or when ffmpeg fails — the gray frame nearest to it from one
/// decoding pass at `fps`.
///
/// # Errors
/// The decoder's errors.
pub fn frames_at(path: &Path, times_ms: &[u64], fps: f64) -> Result<BTreeMap<u64, String>> {
    let mut wanted: Vec<u64> = times_ms.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let mut out = BTreeMap::new();
    let natively_read = path.is_dir()
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("y4m"));
    if !natively_read {
        wanted.retain(
            |&t| match crate::decode::colour_png_at(path, t, THUMB_WIDTH) {
                Ok(png) => {
                    out.insert(t, png_uri(&png));
                    false
                }
                Err(_) => true,
            },
        );
    }
    if wanted.is_empty() {
        return Ok(out);
    }
    let opts = DecodeOptions {
        fps: Some(fps),
        max_width: Some(THUMB_WIDTH),
        ..DecodeOptions::default()
    };
    let mut best: Vec<Option<Frame>> = vec![None; wanted.len()];
    let dist = |a: u64, b: u64| a.abs_diff(b);
    for frame in FrameSource::open(path, &opts)? {
        let frame = frame?;
        let mut any_ahead = false;
        for (i, &t) in wanted.iter().enumerate() {
            let better = best[i]
                .as_ref()
                .is_none_or(|b| dist(frame.pts_ms, t) < dist(b.pts_ms, t));
            if better {
                best[i] = Some(frame.clone());
            }
            any_ahead |= t + 1000 >= frame.pts_ms;
        }
        if !any_ahead {
            break;
        }
    }
    for (t, f) in wanted.into_iter().zip(best) {
        if let Some(f) = f {
            out.insert(t, Thumbnails::png_data_uri(&f.luma, f.width, f.height)?);
        }
    }
    Ok(out)
}

struct Entry {
    path: String,
    word: &'static str,
    decision: Option<Decision>,
    duration_ms: u64,
    matches: Vec<Match>,
    error: Option<String>,
    thumbs: Thumbnails,
}

/// An evidence report under construction: add files, then [`HtmlReport::render`] or
/// [`HtmlReport::write`].
#[derive(Default)]
pub struct HtmlReport {
    title: String,
    /// Header facts shown under the title: (label, value).
    facts: Vec<(String, String)>,
    entries: Vec<Entry>,
    counts: BTreeMap<&'static str, usize>,
}

/// How many evidence frame pairs are shown per match.
pub const PAIRS_SHOWN: usize = 6;

/// Escapes text for HTML element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The evidence pairs a report shows for a match: spread evenly over the segment.
pub fn shown_pairs(m: &Match) -> Vec<crate::matcher::Pair> {
    let n = m.pairs.len();
    if n <= PAIRS_SHOWN {
        return m.pairs.clone();
    }
    (0..PAIRS_SHOWN)
        .map(|i| m.pairs[i * (n - 1) / (PAIRS_SHOWN - 1)])
        .collect()
}

impl HtmlReport {
    /// An empty report with a title.
    pub fn new(title: impl Into<String>) -> Self {
        HtmlReport {
            title: title.into(),
            ..Default::default()
        }
    }

    /// Adds a fact to the header (e.g. `("index", "idx/")`); the staydown version is always
    /// shown.
    pub fn fact(&mut self, label: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.facts.push((label.into(), value.into()));
        self
    }

    /// Records one scanned file. Clean files are counted but not shown; flagged, review and
    /// error files are shown.
    pub fn add(&mut self, path: &Path, outcome: &Outcome, thumbs: Thumbnails) {
        *self.counts.entry(outcome.word()).or_default() += 1;
        if outcome.decision() == Some(Decision::Clean) {
            return;
        }
        let (duration_ms, matches, error) = match outcome {
            Outcome::Verdict {
                duration_ms,
                verdict,
            } => (*duration_ms, verdict.matches.clone(), None),
            Outcome::Error(e) => (0, Vec::new(), Some(e.clone())),
        };
        self.entries.push(Entry {
            path: path.display().to_string(),
            word: outcome.word(),
            decision: outcome.decision(),
            duration_ms,
            matches,
            error,
            thumbs,
        });
    }

    /// The whole report as one HTML document.
    pub fn render(&self) -> String {
        let mut h = String::new();
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{}</title><style>{CSS}</style></head><body>\n<h1>{}</h1>\n<p class=\"facts\">",
            esc(&self.title),
            esc(&self.title)
        );
        for (label, value) in &self.facts {
            let _ = write!(h, "<span>{}: <b>{}</b></span> ", esc(label), esc(value));
        }
        let _ = write!(
            h,
            "<span>staydown <b>{}</b></span></p>\n<p class=\"summary\">",
            env!("CARGO_PKG_VERSION")
        );
        let total: usize = self.counts.values().sum();
        let _ = write!(h, "{total} files scanned:");
        for word in ["match", "review", "clean", "error"] {
            let n = self.counts.get(word).copied().unwrap_or(0);
            let _ = write!(h, " <span class=\"tag {word}\">{n} {word}</span>");
        }
        h.push_str("</p>\n");
        h.push_str(LEGEND);
        if self.entries.is_empty() {
            h.push_str("<p>No upload was flagged or needs review.</p>\n");
        }
        let mut order: Vec<&Entry> = self.entries.iter().collect();
        order.sort_by_key(|e| std::cmp::Reverse(e.decision));
        for e in order {
            self.render_entry(&mut h, e);
        }
        h.push_str(
            "<footer>staydown evidence report. Each decision rests on the frame pairs shown: \
             the upload frame beside the banked work's frame at the aligned time, with their \
             Hamming distance (of 256 bits; 0 is identical, unrelated frames sit near 128).</footer>\n\
             </body></html>\n",
        );
        h
    }

    fn render_entry(&self, h: &mut String, e: &Entry) {
        let _ = writeln!(
            h,
            "<section class=\"file\"><h2><span class=\"tag {}\">{}</span> {}</h2>",
            e.word,
            e.word.to_uppercase(),
            esc(&e.path)
        );
        if let Some(err) = &e.error {
            let _ = writeln!(h, "<p class=\"error\">{}</p></section>", esc(err));
            return;
        }
        let _ = writeln!(
            h,
            "<p>Duration {}. {} matched segment(s).</p>",
            clock(e.duration_ms),
            e.matches.len()
        );
        h.push_str(&timeline_svg(e.duration_ms, &e.matches));
        for m in &e.matches {
            let (q0, q1) = upload_range(m, e.duration_ms);
            let (r0, r1) = work_range(m);
            let _ = write!(
                h,
                "<div class=\"match\"><h3><span class=\"tag {d}\">{d}</span> work <code>{id}</code> {title}</h3>\
                 <table class=\"meta\"><tr><th>rights holder</th><td>{rh}</td><th>notice</th><td>{notice}</td></tr>\
                 <tr><th>upload</th><td>{q}</td><th>work</th><td>{r}</td></tr>\
                 <tr><th title=\"0 to 1: how much of the segment matches and how closely\">score</th><td>{score:.2}</td><th>frames</th><td>{n} (mean distance {md:.1} bits)</td></tr>\
                 <tr><th>speed</th><td>{speed:.2}</td><th>mirrored</th><td>{mir}</td></tr></table>\n<div class=\"pairs\">",
                d = m.decision.as_str(),
                id = esc(&m.meta.id),
                title = esc(&m.meta.title),
                rh = esc(&m.meta.rightsholder),
                notice = esc(&m.meta.notice),
                q = span(q0, q1),
                r = span(r0, r1),
                score = m.score,
                n = m.matched_frames,
                md = m.mean_distance,
                speed = m.speed,
                mir = if m.mirrored { "yes" } else { "no" },
            );
            for p in shown_pairs(m) {
                let up = e.thumbs.upload.get(&p.query_ms);
                let work = e.thumbs.works.get(&(m.meta.id.clone(), p.ref_ms));
                h.push_str("<figure>");
                for (src, label) in [(up, "upload"), (work, "work")] {
                    match src {
                        Some(uri) => {
                            let _ = write!(h, "<img src=\"{uri}\" alt=\"{label} frame\">");
                        }
                        None if label == "work" => {
                            h.push_str("<div class=\"nothumb\">work source not reachable</div>")
                        }
                        None => h.push_str("<div class=\"nothumb\">no frame</div>"),
                    }
                }
                let _ = write!(
                    h,
                    "<figcaption>upload {} ↔ work {} — <span title=\"Hamming distance of the two frames' PDQ hashes\">{} bits apart</span></figcaption></figure>",
                    clock(p.query_ms),
                    clock(p.ref_ms),
                    p.distance
                );
            }
            h.push_str("</div></div>\n");
        }
        h.push_str("</section>\n");
    }

    /// Writes the report to `path` (through a temporary file and a rename, so a reader never
    /// sees half a report).
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("html.tmp");
        std::fs::write(&tmp, self.render()).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    }
}

/// A timeline: the upload's track on top, one track per matched work below, and a band from
/// each matched upload range to the work range it aligns with.
fn timeline_svg(duration_ms: u64, matches: &[Match]) -> String {
    const W: f64 = 760.0;
    const X0: f64 = 120.0;
    const TRACK: f64 = 14.0;
    const GAP: f64 = 46.0;
    let span_w = W - X0 - 10.0;
    let dur = duration_ms.max(1) as f64;
    let height = 30.0 + GAP * matches.len() as f64 + TRACK;
    let mut s = format!(
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{height}\" \
         viewBox=\"0 0 {W} {height}\" role=\"img\" aria-label=\"timeline of matched segments\">"
    );
    let _ = write!(
        s,
        "<text x=\"4\" y=\"20\">upload {}</text><rect x=\"{X0}\" y=\"10\" width=\"{span_w}\" height=\"{TRACK}\" class=\"track\"/>",
        clock(duration_ms)
    );
    for (i, m) in matches.iter().enumerate() {
        let y = 10.0 + GAP * (i + 1) as f64;
        let (q0, q1) = upload_range(m, duration_ms);
        let (r0, r1) = work_range(m);
        let work_dur = m.meta.duration_ms.max(r1).max(1) as f64;
        let qx0 = X0 + span_w * q0 as f64 / dur;
        let qx1 = (X0 + span_w * q1 as f64 / dur).max(qx0 + 2.0);
        let rx0 = X0 + span_w * r0 as f64 / work_dur;
        let rx1 = (X0 + span_w * r1 as f64 / work_dur).max(rx0 + 2.0);
        let class = m.decision.as_str();
        let label: String = m.meta.id.chars().take(16).collect();
        let _ = write!(
            s,
            "<text x=\"4\" y=\"{ty}\">{label}</text>\
             <rect x=\"{X0}\" y=\"{y}\" width=\"{span_w}\" height=\"{TRACK}\" class=\"track\"/>\
             <polygon points=\"{qx0:.1},{qy:.1} {qx1:.1},{qy:.1} {rx1:.1},{y:.1} {rx0:.1},{y:.1}\" class=\"band {class}\"/>\
             <rect x=\"{qx0:.1}\" y=\"10\" width=\"{qw:.1}\" height=\"{TRACK}\" class=\"seg {class}\"/>\
             <rect x=\"{rx0:.1}\" y=\"{y}\" width=\"{rw:.1}\" height=\"{TRACK}\" class=\"seg {class}\"/>",
            ty = y + 11.0,
            label = esc(&label),
            qy = 10.0 + TRACK,
            qw = qx1 - qx0,
            rw = rx1 - rx0,
        );
    }
    s.push_str("</svg>\n");
    s
}

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:980px;color:#222;background:#fafafa}\
h1{font-size:22px}h2{font-size:16px;margin:0 0 8px}h3{font-size:14px;margin:12px 0 6px}\
section.file{background:#fff;border:1px solid #ddd;border-radius:6px;padding:14px 16px;margin:14px 0}\
.tag{display:inline-block;padding:1px 7px;border-radius:4px;font-size:12px;font-weight:600;color:#fff;background:#777}\
.tag.match{background:#c0392b}.tag.review{background:#a35a00}.tag.clean{background:#1e8449}.tag.error{background:#555}\
table.meta{border-collapse:collapse;margin:4px 0 8px}table.meta th{text-align:left;color:#666;font-weight:500;padding:2px 10px 2px 0}\
table.meta td{padding:2px 18px 2px 0}.pairs{display:flex;flex-wrap:wrap;gap:10px}\
figure{margin:0;border:1px solid #e3e3e3;border-radius:4px;padding:6px;background:#f4f4f4}\
figure img,.nothumb{width:120px;height:68px;object-fit:contain;background:#000;display:inline-block;margin-right:4px;vertical-align:top}\
.nothumb{color:#bbb;font-size:11px;text-align:center;line-height:1.3;padding-top:16px;box-sizing:border-box}\
figcaption{font-size:12px;color:#444;margin-top:4px}svg.timeline{display:block;margin:6px 0 4px}\
svg text{font-size:11px;fill:#444}.track{fill:#e8e8e8}.seg.match{fill:#c0392b}.seg.review{fill:#d68910}\
.band{opacity:.25}.band.match{fill:#c0392b}.band.review{fill:#d68910}p.error{color:#a00}\
p.facts{color:#555;font-size:13px;margin:-6px 0 8px}p.facts span{margin-right:14px;white-space:nowrap}\
dl.legend{font-size:12.5px;color:#444;background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 12px;margin:8px 0}\
dl.legend dt{font-weight:600;float:left;clear:left;width:5.5em}dl.legend dd{margin:0 0 3px 5.5em}\
svg.timeline{max-width:100%;height:auto}table.meta{max-width:100%}\
@media (max-width:600px){body{margin:10px}section.file{padding:10px}table.meta th,table.meta td{display:block;padding:0}\
table.meta th{margin-top:4px}figure img,.nothumb{width:calc(50% - 4px);height:auto;aspect-ratio:16/9;margin-right:2px}figure{width:100%}}\
footer{color:#777;font-size:12px;margin-top:24px}";

/// What the report's words mean, shown under the counts.
const LEGEND: &str = "<dl class=\"legend\">\
<dt>match</dt><dd>a segment long and close enough to act on (the file is flagged)</dd>\
<dt>review</dt><dd>a shorter or weaker segment: a person decides</dd>\
<dt>score</dt><dd>0 to 1: how much of the segment's frames match the work, and how closely; \
higher is stronger evidence</dd>\
<dt>bits</dt><dd>how far apart two frames' PDQ hashes are, of 256 bits: 0 is the same picture, \
up to about 30 the same picture re-encoded, cropped or recoloured, about 128 unrelated pictures</dd>\
</dl>\n";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::Verdict;

    #[test]
    fn report_is_self_contained_and_escapes_text() {
        let mut m = super::super::tests::sample_match();
        m.meta.title = "<script>alert(1)</script>".into();
        let outcome = Outcome::Verdict {
            duration_ms: 61_000,
            verdict: Verdict {
                verdict: Decision::Match,
                matches: vec![m],
            },
        };
        let mut thumbs = Thumbnails::default();
        thumbs.upload.insert(
            12_000,
            Thumbnails::png_data_uri(&[0, 255, 255, 0], 2, 2).unwrap(),
        );
        let mut r = HtmlReport::new("scan of uploads");
        r.add(Path::new("up/a&b.mp4"), &outcome, thumbs);
        r.add(
            Path::new("bad.mp4"),
            &Outcome::Error("zero bytes".into()),
            Thumbnails::default(),
        );
        let html = r.render();
        assert!(html.contains("up/a&amp;b.mp4"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("data:image/png;base64,"));
        assert!(html.contains("work source not reachable"));
        assert!(html.contains("zero bytes"));
        assert!(html.contains("<polygon"));
        // Ranges end where the last matched frame ends, in tenths, as in text and JSON.
        assert!(html.contains("<td>00:12.0–00:58.0</td>"), "{html}");
        assert!(html.contains("<td>05:02.0–05:48.0</td>"));
        assert!(html.contains("Duration 01:01.0."));
        assert!(html.contains("upload 00:12.0 ↔ work 05:02.0"));
        assert!(
            !html.contains("http://") || html.matches("http://").count() == 1,
            "only the SVG namespace"
        );
        assert!(Thumbnails::png_data_uri(&[0; 3], 2, 2).is_err());
    }
}
