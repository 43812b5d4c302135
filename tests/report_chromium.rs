//! The HTML evidence report of `scan --report` is self-contained and renders to a non-blank
//! page in headless Chromium (skipped with a message when Chromium is absent).

mod util;

use std::path::PathBuf;
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
