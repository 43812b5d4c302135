//! `staydown demo` runs end to end in a temporary directory and leaves a usable index and report.

mod util;

use util::Dir;

#[test]
fn demo_runs_and_leaves_an_index_and_a_report() {
    let dir = Dir::new("demo");
    // As cargo runs it (`cargo run` sets CARGO): the closing hint says how to run it again.
    let out = dir
        .command()
        .arg("demo")
        .arg("--dir")
        .arg(dir.path())
        .env("CARGO", "cargo")
        .stdout();
    assert!(
        out.contains("Try: cargo run --release -- check "),
        "the hint names a command the user has:\n{out}"
    );
    let index = dir.join("index");
    let report = dir.join("report.html");
    assert!(
        out.contains(&format!("index:   {}", index.display())),
        "{out}"
    );
    assert!(
        out.contains(&format!("report:  {}", report.display())),
        "{out}"
    );
    let html = std::fs::read_to_string(&report).expect("report written");
    assert!(
        html.contains("<html") || html.contains("<!DOCTYPE"),
        "not HTML"
    );
    dir.command()
        .args(["index", "verify", "--index"])
        .arg(&index)
        .stdout();

    // The scan part: the broken upload is an error line, something is flagged, unrelated
    // footage is never flagged.
    let error = out
        .lines()
        .find(|l| l.starts_with("ERROR"))
        .unwrap_or_else(|| panic!("no ERROR line:\n{out}"));
    assert!(error.contains("broken-upload.y4m"), "{error}");
    // Every re-upload is flagged as its own work; the 3-second quote never is.
    for (file, work) in [
        ("reupload-cropped.y4m", "w-001"),
        ("mirrored-brighter.y4m", "w-002"),
        ("clip.y4m", "w-003"),
        ("compilation.y4m", "w-001"),
    ] {
        let mut lines = out.lines();
        let flagged = lines
            .by_ref()
            .any(|l| l.starts_with("MATCH") && l.ends_with(file));
        let detail = lines.next().unwrap_or_default();
        assert!(
            flagged && detail.contains(work),
            "{file} not flagged as {work}:\n{out}"
        );
    }
    assert!(
        !out.lines()
            .any(|l| l.starts_with("MATCH") && l.contains("short-quote")),
        "{out}"
    );
    for l in out
        .lines()
        .filter(|l| l.starts_with("MATCH") || l.starts_with("REVIEW"))
    {
        assert!(!l.contains("cat-video") && !l.contains("holiday"), "{l}");
    }
    assert!(out.contains("scanned 8 of 8 files"), "{out}");
    assert!(
        out.contains("community-a: ") && out.contains("community-b: "),
        "{out}"
    );
}

/// Run as an installed binary that is not on `PATH`, the demo's hint names the binary's path.
#[test]
fn demo_hint_names_the_binary_it_was_run_as() {
    let dir = Dir::new("demo-hint");
    let out = dir
        .command()
        .arg("demo")
        .arg("--dir")
        .arg(dir.path())
        .env_remove("CARGO")
        .env("PATH", "/usr/bin:/bin")
        .stdout();
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_staydown"))
        .canonicalize()
        .unwrap();
    let hint = out
        .lines()
        .find(|l| l.starts_with("Try: "))
        .unwrap_or_else(|| panic!("no hint:\n{out}"));
    let first = hint.split_whitespace().nth(1).unwrap();
    assert_eq!(
        std::path::Path::new(first).canonicalize().unwrap(),
        exe,
        "{hint}"
    );
}
