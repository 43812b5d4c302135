//! The HTML evidence report of `scan --report` is self-contained and renders to a non-blank
//! page in headless Chromium (skipped with a message when Chromium is absent).

mod util;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use util::{banked, synth_y4m};

fn chromium() -> Option<PathBuf> {
    let fixed = PathBuf::from("/usr/bin/chromium");
    if fixed.exists() {
        return Some(fixed);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("chromium"))
        .find(|p| p.exists())
}

#[test]
fn report_is_self_contained_and_renders() {
    let dir = banked("report");
    std::fs::create_dir_all(dir.join("up")).unwrap();
    std::fs::copy(dir.join("works/w1.y4m"), dir.join("up/copy.y4m")).unwrap();
    synth_y4m(&dir.join("up/other.y4m"), 202, 20);
    dir.command()
        .args([
            "scan",
            "up",
            "--index",
            "index",
            "--no-progress",
            "--report",
            "r.html",
        ])
        .expect_code(1);
    let report = dir.join("r.html");
    let html = std::fs::read_to_string(&report).expect("report written");
    for (i, _) in html.match_indices("http") {
        let rest = &html[i..];
        if rest.starts_with("http://") || rest.starts_with("https://") {
            assert!(
                rest.starts_with("http://www.w3.org/2000/svg"),
                "a network reference in the report: {}",
                &rest[..rest.len().min(80)]
            );
        }
    }
    assert!(
        html.contains("data:image/png;base64"),
        "no embedded thumbnails"
    );
    assert!(html.contains("w1") && html.contains("copy.y4m"));

    let Some(chromium) = chromium() else {
        eprintln!(
            "chromium not found: skipping the report rendering test (apt-get install chromium)"
        );
        return;
    };
    let shot = dir.join("shot.png");
    let status = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.join("chrome-profile").display()
        ))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1000,900")
        .arg(format!("file://{}", report.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run chromium");
    assert!(status.success(), "chromium failed: {status:?}");
    if let Ok(keep) = std::env::var("STAYDOWN_KEEP_SHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
    let img = image::open(&shot).expect("decode screenshot").to_rgb8();
    let bg = *img.get_pixel(2, img.height() - 2);
    let total = u64::from(img.width()) * u64::from(img.height());
    let differ = img
        .pixels()
        .filter(|p| {
            p.0.iter()
                .zip(bg.0)
                .map(|(a, b)| a.abs_diff(b) as u32)
                .sum::<u32>()
                > 60
        })
        .count() as u64;
    assert!(
        differ * 100 > total,
        "screenshot is blank: {differ} of {total} pixels differ"
    );
    let reddish = img
        .pixels()
        .filter(|p| {
            let [r, g, b] = p.0;
            r > 180 && u32::from(g) + 40 < u32::from(r) && u32::from(b) + 80 < u32::from(r)
        })
        .count();
    assert!(
        reddish > 20,
        "no red/orange match tag in the screenshot ({reddish} pixels)"
    );
}

/// Runs headless Chromium on `page` with `extra` arguments (a screenshot or `--dump-dom`);
/// returns stdout.
fn run_chromium(chromium: &Path, profile: &Path, extra: &[String], page: &Path) -> String {
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .expect("run chromium");
    assert!(out.status.success(), "chromium failed: {:?}", out.status);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A script the test adds to its own copy of the report (the report has none): once the
/// page is laid out it writes what a reviewer would see into `<pre id="probe">` as JSON.
const PROBE: &str = r#"<script>
window.addEventListener('load', () => {
  const lum = (c) => {
    const v = c.match(/[\d.]+/g).slice(0, 3).map(Number).map((x) => {
      x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  };
  const contrast = (el) => {
    const s = getComputedStyle(el);
    const [a, b] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
  };
  let colourful = 0;
  for (const img of document.querySelectorAll('figure img')) {
    const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const g = c.getContext('2d'); g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.max(d[i], d[i+1], d[i+2]) - Math.min(d[i], d[i+1], d[i+2]) > 80) n++;
    }
    if (n * 10 > c.width * c.height) colourful++;
  }
  const badges = [...document.querySelectorAll('.tag')].map((t) => [t.textContent, contrast(t)]);
  const probe = document.createElement('pre');
  probe.id = 'probe';
  probe.textContent = JSON.stringify({
    images: document.querySelectorAll('figure img').length,
    colourful,
    badges,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    facts: document.querySelector('p.facts').innerText,
    legend: document.querySelector('dl.legend').innerText,
  });
  document.body.appendChild(probe);
});
</script>"#;

/// The report of a colour video: colour thumbnails, a header with date, index and version,
/// words explained, readable badges, and a layout that fits a phone. Screenshots at desktop
/// and phone widths are kept in the target directory and their names printed.
#[test]
fn report_a_reviewer_can_act_on_at_desktop_and_phone_widths() {
    let Some(chromium) = chromium() else {
        eprintln!("chromium not found: skipping (apt-get install chromium)");
        return;
    };
    if !util::have_ffmpeg() {
        return;
    }
    let dir = util::Dir::new("report-colour");
    let work = dir.join("works/bars.mp4");
    std::fs::create_dir_all(dir.join("works")).unwrap();
    std::fs::create_dir_all(dir.join("up")).unwrap();
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=320x240:rate=25:duration=12")
        .args(["-pix_fmt", "yuv420p"])
        .arg(&work)
        .status()
        .unwrap();
    assert!(made.success());
    util::ban(&dir, &work, &dir.join("index"), "w-col");
    std::fs::copy(&work, dir.join("up/copy.mp4")).unwrap();
    dir.create("up/bad.mp4", b"not a video at all");
    dir.command()
        .args(["scan", "up", "--index", "index", "--no-progress"])
        .args(["--report", "r.html"])
        .expect_code(2);
    let report = dir.join("r.html");

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-shots");
    std::fs::create_dir_all(&shots).unwrap();
    let probed = dir.join("probed.html");
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(!html.contains("<script"), "the report itself has no script");
    std::fs::write(&probed, html.replace("</body>", &format!("{PROBE}</body>"))).unwrap();

    for (name, size) in [("desktop", "1000,900"), ("phone", "390,844")] {
        let shot = shots.join(format!("report-{name}.png"));
        run_chromium(
            &chromium,
            &dir.join("profile"),
            &[
                format!("--screenshot={}", shot.display()),
                format!("--window-size={size}"),
            ],
            &report,
        );
        println!("screenshot ({name}, {size}): {}", shot.display());
        let img = image::open(&shot).expect("decode screenshot").to_rgb8();
        if name == "desktop" {
            // Blue bars of the test pattern: only colour thumbnails have them.
            let blue = img
                .pixels()
                .filter(|p| p.0[2] > 180 && p.0[0] < 60 && p.0[1] < 60)
                .count();
            assert!(blue > 200, "no colour thumbnails in {}", shot.display());
        }

        let dom = run_chromium(
            &chromium,
            &dir.join("profile"),
            &[
                "--dump-dom".into(),
                "--virtual-time-budget=5000".into(),
                format!("--window-size={size}"),
            ],
            &probed,
        );
        let json = dom
            .split("<pre id=\"probe\">")
            .nth(1)
            .and_then(|r| r.split("</pre>").next())
            .unwrap_or_else(|| panic!("no probe in the rendered page:\n{dom}"))
            .replace("&quot;", "\"")
            .replace("&amp;", "&");
        let v: serde_json::Value = serde_json::from_str(&json).expect("probe JSON");
        println!("rendered ({name}): {v}");
        assert!(v["images"].as_u64().unwrap() >= 2, "{v}");
        assert_eq!(
            v["colourful"], v["images"],
            "every thumbnail in colour: {v}"
        );
        for b in v["badges"].as_array().unwrap() {
            let ratio = b[1].as_f64().unwrap();
            assert!(
                ratio >= 4.5,
                "badge {} has contrast {ratio:.2} < 4.5: {v}",
                b[0]
            );
        }
        assert!(
            v["overflow"].as_f64().unwrap() <= 0.0,
            "the page is wider than the {name} window: {v}"
        );
        let facts = v["facts"].as_str().unwrap();
        assert!(facts.contains("index: index"), "{facts}");
        assert!(facts.contains(env!("CARGO_PKG_VERSION")), "{facts}");
        assert!(
            facts.contains(" UTC") && facts.contains("scanned: 20"),
            "{facts}"
        );
        let legend = v["legend"].as_str().unwrap();
        assert!(
            legend.contains("score") && legend.contains("bits"),
            "{legend}"
        );
        assert!(legend.contains("of 256 bits"), "{legend}");
    }
}
