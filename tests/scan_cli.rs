//! `staydown scan` end to end on small synthetic Y4M uploads: verdict lines, the JSON Lines
//! contract, exit codes, bad files, the walk (hidden files, globs, symlink loops), quarantine,
//! per-directory summaries and `--jobs`.

mod util;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use util::{Dir, banked, synth_y4m};

/// Copies the banked work to `rel` under the test directory (an exact re-upload).
fn copy_work(dir: &Dir, rel: &str) {
    let to = dir.join(rel);
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(dir.join("works/w1.y4m"), to).unwrap();
}

/// Runs `staydown scan <args> --index index --no-progress`; returns (code, stdout, stderr).
fn scan(dir: &Dir, args: &[&str]) -> (i32, String, String) {
    let out = dir
        .command()
        .arg("scan")
        .args(args)
        .args(["--index", "index", "--no-progress"])
        .output();
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Parses JSON Lines output into (path → object), asserting one object per path.
fn json_by_path(stdout: &str) -> std::collections::BTreeMap<String, Value> {
    let mut map = std::collections::BTreeMap::new();
    for line in stdout.lines() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}\n--- stdout\n{stdout}"));
        let path = v["path"].as_str().expect("path is a string").to_owned();
        assert!(
            map.insert(path, v).is_none(),
            "two lines for one file:\n{stdout}"
        );
    }
    map
}

fn verdict_of<'a>(map: &'a std::collections::BTreeMap<String, Value>, suffix: &str) -> &'a str {
    let (_, v) = map
        .iter()
        .find(|(p, _)| p.ends_with(suffix))
        .unwrap_or_else(|| panic!("no line for {suffix}: {map:?}"));
    v["verdict"].as_str().expect("verdict is a string")
}

#[test]
fn exact_copy_is_a_match_line_and_unrelated_is_silent() {
    let dir = banked("scan-human");
    copy_work(&dir, "up/a/copy.y4m");
    synth_y4m(&dir.join("up/a/deep/other.y4m"), 202, 20);
    let (code, out, err) = scan(&dir, &["up"]);
    assert_eq!(code, 1, "a match exits 1\n{out}\n{err}");
    let flagged: Vec<&str> = out.lines().filter(|l| l.starts_with("MATCH")).collect();
    assert_eq!(flagged.len(), 1, "{out}");
    assert!(flagged[0].contains("copy.y4m"), "{out}");
    for needle in [
        "\"w1\"",
        "Title w1",
        "Holder w1",
        "N-w1",
        "upload 00:0",
        "= work 00:0",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    assert!(
        !out.contains("other.y4m"),
        "a clean file printed a line:\n{out}"
    );
    assert!(out.contains("scanned 2 of 2"), "summary:\n{out}\n{err}");
}

#[test]
fn all_clean_exits_zero() {
    let dir = banked("scan-clean");
    synth_y4m(&dir.join("up/one.y4m"), 303, 20);
    synth_y4m(&dir.join("up/two.y4m"), 404, 20);
    let (code, out, err) = scan(&dir, &["up"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!out.contains("MATCH") && !out.contains("ERROR"), "{out}");
}

#[test]
fn json_lines_follow_the_contract_and_summary_goes_to_stderr() {
    let dir = banked("scan-json");
    copy_work(&dir, "up/copy.y4m");
    synth_y4m(&dir.join("up/other.y4m"), 202, 20);
    dir.create("up/empty.mp4", b"");
    let (code, out, err) = scan(&dir, &["up", "--json"]);
    assert_eq!(code, 2, "an unreadable file exits 2\n{out}\n{err}");
    let map = json_by_path(&out);
    assert_eq!(map.len(), 3, "one object per file:\n{out}");
    let top_ok: BTreeSet<&str> = ["path", "verdict", "duration", "matches"].into();
    let match_keys: BTreeSet<&str> = [
        "work",
        "title",
        "rightsholder",
        "notice",
        "score",
        "query_start",
        "query_end",
        "ref_start",
        "ref_end",
        "matched_frames",
        "speed",
        "mirrored",
    ]
    .into();
    for (path, v) in &map {
        let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        if v["verdict"] == "error" {
            assert!(path.ends_with("empty.mp4"), "{v}");
            assert!(keys.contains("error"), "{v}");
            assert!(!v["error"].as_str().unwrap().is_empty());
            assert!(
                keys.iter().all(|k| top_ok.contains(k) || *k == "error"),
                "{v}"
            );
        } else {
            assert_eq!(keys, top_ok, "exactly the contract keys: {v}");
            assert!(v["duration"].as_f64().unwrap() > 19.0, "{v}");
            for m in v["matches"].as_array().unwrap() {
                let mk: BTreeSet<&str> =
                    m.as_object().unwrap().keys().map(|k| k.as_str()).collect();
                assert_eq!(mk, match_keys, "{m}");
            }
        }
    }
    assert_eq!(verdict_of(&map, "copy.y4m"), "match");
    assert_eq!(verdict_of(&map, "other.y4m"), "clean");
    let copy = map.iter().find(|(p, _)| p.ends_with("copy.y4m")).unwrap().1;
    let m = &copy["matches"][0];
    assert_eq!(m["work"], "w1");
    assert_eq!(m["title"], "Title w1");
    assert_eq!(m["rightsholder"], "Holder w1");
    assert_eq!(m["notice"], "N-w1");
    assert_eq!(m["mirrored"], false);
    assert!(m["query_end"].as_f64().unwrap() > m["query_start"].as_f64().unwrap());
    assert!(m["ref_end"].as_f64().unwrap() > m["ref_start"].as_f64().unwrap());
    assert!(err.contains("scanned 3 of 3"), "summary on stderr:\n{err}");
    assert!(!out.contains("scanned"), "stdout is only JSON:\n{out}");
}

#[test]
fn bad_files_are_error_lines_and_the_scan_goes_on() {
    let dir = banked("scan-bad");
    copy_work(&dir, "up/copy.y4m");
    dir.create("up/zero.mp4", b"");
    let bytes = std::fs::read(dir.join("works/w1.y4m")).unwrap();
    dir.create("up/truncated.y4m", &bytes[..bytes.len() / 3]);
    dir.create("up/notes.mkv", b"this is not a video at all\n");
    let locked = dir.create("up/locked.y4m", &bytes);
    let mut perms = std::fs::metadata(&locked).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o000);
    std::fs::set_permissions(&locked, perms).unwrap();
    // Root reads files whatever their mode: then locked.y4m is just another exact copy.
    let unreadable = std::fs::read(&locked).is_err();
    if !unreadable {
        eprintln!(
            "note: running as root, chmod 000 does not make a file unreadable; not asserting on it"
        );
    }

    let (code, out, err) = scan(&dir, &["up", "--json"]);
    assert_eq!(code, 2, "{out}\n{err}");
    let map = json_by_path(&out);
    assert_eq!(map.len(), 5, "{out}");
    assert_eq!(verdict_of(&map, "copy.y4m"), "match", "{out}");
    let mut bad = vec!["zero.mp4", "truncated.y4m", "notes.mkv"];
    if unreadable {
        bad.push("locked.y4m");
    }
    for name in bad {
        assert_eq!(verdict_of(&map, name), "error", "{name}: {out}");
        let v = map.iter().find(|(p, _)| p.ends_with(name)).unwrap().1;
        assert!(!v["error"].as_str().unwrap_or("").is_empty(), "{v}");
    }

    let (code, human, _) = scan(&dir, &["up"]);
    assert_eq!(code, 2);
    let errors = human.lines().filter(|l| l.starts_with("ERROR")).count();
    assert_eq!(errors, if unreadable { 4 } else { 3 }, "{human}");
    assert!(
        human
            .lines()
            .any(|l| l.starts_with("MATCH") && l.contains("copy.y4m")),
        "{human}"
    );
}

#[test]
fn hidden_files_are_skipped_unless_asked() {
    let dir = banked("scan-hidden");
    copy_work(&dir, "up/.secret/copy.y4m");
    copy_work(&dir, "up/.dotcopy.y4m");
    synth_y4m(&dir.join("up/visible.y4m"), 202, 20);
    let (code, out, _) = scan(&dir, &["up", "--json"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(json_by_path(&out).len(), 1, "{out}");
    let (code, out, _) = scan(&dir, &["up", "--json", "--hidden"]);
    assert_eq!(code, 1, "{out}");
    let map = json_by_path(&out);
    assert_eq!(map.len(), 3, "{out}");
    assert_eq!(verdict_of(&map, ".secret/copy.y4m"), "match");
    assert_eq!(verdict_of(&map, ".dotcopy.y4m"), "match");
}

#[test]
fn include_and_exclude_globs_filter_the_walk() {
    let dir = banked("scan-globs");
    copy_work(&dir, "up/skip/copy.y4m");
    synth_y4m(&dir.join("up/keep/other.y4m"), 202, 20);
    dir.create("up/keep/empty.mp4", b"");
    let (code, out, _) = scan(&dir, &["up", "--json", "--exclude", "skip"]);
    assert_eq!(code, 2, "{out}");
    let map = json_by_path(&out);
    assert_eq!(map.len(), 2, "{out}");
    assert!(map.keys().all(|p| !p.contains("skip")), "{out}");

    let (code, out, _) = scan(&dir, &["up", "--json", "--include", "*.y4m"]);
    assert_eq!(code, 1, "{out}");
    let map = json_by_path(&out);
    assert_eq!(map.len(), 2, "{out}");
    assert!(map.keys().all(|p| p.ends_with(".y4m")), "{out}");

    let (code, out, _) = scan(
        &dir,
        &["up", "--json", "--include", "*.y4m", "--exclude", "skip"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(json_by_path(&out).len(), 1, "{out}");
}

#[test]
fn a_symlink_loop_does_not_hang() {
    let dir = banked("scan-loop");
    copy_work(&dir, "up/a/copy.y4m");
    std::os::unix::fs::symlink(dir.join("up"), dir.join("up/a/loop")).unwrap();
    std::os::unix::fs::symlink("self", dir.join("up/self")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_staydown"))
        .current_dir(dir.path())
        .args(["scan", "up", "--json", "--index", "index", "--no-progress"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("scan with a symlink loop still running after 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let map = json_by_path(&stdout);
    assert_eq!(verdict_of(&map, "a/copy.y4m"), "match", "{stdout}");
    assert!(
        status.code() == Some(1) || status.code() == Some(2),
        "{status:?}\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copies = map.keys().filter(|p| p.ends_with("copy.y4m")).count();
    assert!(copies <= 2, "the loop was followed:\n{stdout}");
}

#[test]
fn quarantine_moves_only_the_flagged_file() {
    let dir = banked("scan-quarantine");
    copy_work(&dir, "up/a/b/copy.y4m");
    synth_y4m(&dir.join("up/a/other.y4m"), 202, 20);
    dir.create("up/empty.mp4", b"");
    let (code, out, err) = scan(&dir, &["up", "--quarantine", "q"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        !dir.join("up/a/b/copy.y4m").exists(),
        "the original is gone"
    );
    let moved = dir.join("q/a/b/copy.y4m");
    assert!(moved.exists(), "kept its relative path\n{out}\n{err}");
    assert_eq!(
        std::fs::read(&moved).unwrap(),
        std::fs::read(dir.join("works/w1.y4m")).unwrap()
    );
    assert!(dir.join("up/a/other.y4m").exists());
    assert!(
        dir.join("up/empty.mp4").exists(),
        "errors are not quarantined"
    );
    let mut files = Vec::new();
    collect_files(&dir.join("q"), &mut files);
    files.sort();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.strip_prefix(dir.join("q")).unwrap().display().to_string())
        .collect();
    assert_eq!(names, ["a/b/copy.y4m", "quarantine.jsonl"]);
    let manifest = std::fs::read_to_string(dir.join("q/quarantine.jsonl")).unwrap();
    let lines: Vec<Value> = manifest
        .lines()
        .map(|l| serde_json::from_str(l).expect("manifest line is JSON"))
        .collect();
    assert_eq!(lines.len(), 1, "{manifest}");
    assert!(
        manifest.contains("copy.y4m") && manifest.contains("w1"),
        "{manifest}"
    );
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn two_directories_get_per_directory_summaries() {
    let dir = banked("scan-perdir");
    copy_work(&dir, "community-a/copy.y4m");
    synth_y4m(&dir.join("community-a/other.y4m"), 202, 20);
    synth_y4m(&dir.join("community-b/cats.y4m"), 303, 20);
    let (code, out, err) = scan(&dir, &["community-a", "community-b"]);
    assert_eq!(code, 1, "{out}\n{err}");
    let a = out
        .lines()
        .find(|l| l.contains("community-a:"))
        .unwrap_or_else(|| panic!("no summary for community-a:\n{out}"));
    assert!(a.contains("1 of 2 videos flagged"), "{a}");
    let b = out
        .lines()
        .find(|l| l.contains("community-b:"))
        .unwrap_or_else(|| panic!("no summary for community-b:\n{out}"));
    assert!(b.contains("0 of 1 videos flagged"), "{b}");
}

#[test]
fn one_and_two_jobs_give_the_same_verdicts() {
    let dir = banked("scan-jobs");
    copy_work(&dir, "up/copy.y4m");
    copy_work(&dir, "up/x/copy2.y4m");
    synth_y4m(&dir.join("up/other.y4m"), 202, 20);
    synth_y4m(&dir.join("up/x/more.y4m"), 303, 20);
    dir.create("up/empty.mp4", b"");
    let verdicts = |jobs: &str| -> Vec<(String, String)> {
        let (code, out, _) = scan(&dir, &["up", "--json", "--jobs", jobs]);
        assert_eq!(code, 2, "{out}");
        json_by_path(&out)
            .into_iter()
            .map(|(p, v)| (p, v["verdict"].as_str().unwrap().to_owned()))
            .collect()
    };
    let one = verdicts("1");
    assert_eq!(one.len(), 5);
    assert_eq!(one, verdicts("2"));
}

/// Each bad file is one `ERROR` line in the human output, so it stays greppable.
#[test]
fn an_error_is_one_line() {
    let dir = banked("scan-oneline");
    dir.create("up/notes.mkv", b"this is not a video at all\n");
    let (code, out, err) = scan(&dir, &["up"]);
    assert_eq!(code, 2, "{out}\n{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "one ERROR line and the summary:\n{out}");
    assert!(lines[0].starts_with("ERROR") && lines[0].contains("notes.mkv"));
    assert!(lines[1].starts_with("scanned 1 of 1"), "{out}");
    assert!(
        lines[1].contains(" 1 error; "),
        "one error, not '1 errors': {out}"
    );
}

/// A report or quarantine destination that cannot be used is refused before anything is
/// scanned (regression: the whole scan ran, then failed on the report with no summary).
#[test]
fn bad_destinations_are_refused_before_the_scan() {
    let dir = banked("scan-dest");
    copy_work(&dir, "up/copy.y4m");
    let (code, out, err) = scan(&dir, &["up", "--report", "nodir/r.html"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(out.is_empty(), "nothing scanned, nothing printed:\n{out}");
    assert!(
        err.contains("--report nodir/r.html") && err.contains("nodir does not exist"),
        "{err}"
    );
    assert!(dir.join("up/copy.y4m").exists());

    dir.create("afile", b"x");
    let (code, out, err) = scan(&dir, &["up", "--quarantine", "afile"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("--quarantine afile: is a file"), "{err}");
    assert!(dir.join("up/copy.y4m").exists(), "nothing moved");

    // A good report path in an existing directory: the summary names it.
    std::fs::create_dir(dir.join("out")).unwrap();
    let (code, out, err) = scan(&dir, &["up", "--report", "out/r.html"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("scanned 1 of 1"), "{out}");
    assert!(out.contains("evidence report: out/r.html"), "{out}");
}

/// `--quarantine` says where each file went and where the manifest is; a second copy of the
/// same name keeps its extension (`copy.1.y4m`, not `copy.y4m.1`).
#[test]
fn quarantine_says_where_files_went_and_keeps_extensions() {
    let dir = banked("scan-qsay");
    copy_work(&dir, "up/copy.y4m");
    let (code, out, err) = scan(&dir, &["up", "--quarantine", "q"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("quarantined to q/copy.y4m"), "{out}");
    assert!(
        out.contains("quarantined 1 file to q (manifest: q/quarantine.jsonl)"),
        "{out}"
    );
    copy_work(&dir, "up/copy.y4m");
    let (code, out, err) = scan(&dir, &["up", "--quarantine", "q"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("quarantined to q/copy.1.y4m"), "{out}");
    assert!(dir.join("q/copy.1.y4m").exists());
    assert!(dir.join("q/copy.y4m").exists());

    // With --json, stdout stays JSON Lines and the count goes to stderr with the summary.
    copy_work(&dir, "up/copy.y4m");
    let (code, out, err) = scan(&dir, &["up", "--quarantine", "q", "--json"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert_eq!(json_by_path(&out).len(), 1, "{out}");
    assert!(err.contains("quarantined 1 file to q"), "{err}");
    assert!(dir.join("q/copy.2.y4m").exists());
}

/// `help scan` gives every threshold's default, in one form, equal to the library's.
#[test]
fn help_scan_lists_every_default() {
    let dir = Dir::new("scan-help");
    let help = dir.command().args(["help", "scan"]).stdout();
    let p = staydown::matcher::Policy::default();
    let o = staydown::matcher::MatchOptions::default();
    let ms = |x: u64| format!("{}", x as f64 / 1000.0);
    for (flag, default) in [
        ("--radius", o.radius_bits.to_string()),
        ("--seed-bits", o.seed_bits.to_string()),
        ("--min-quality", o.min_quality.to_string()),
        ("--min-speed", o.min_speed.to_string()),
        ("--max-speed", o.max_speed.to_string()),
        ("--max-gap", ms(o.max_gap_ms)),
        ("--match-frames", p.match_min_frames.to_string()),
        ("--match-seconds", ms(p.match_min_ms)),
        ("--match-score", p.match_min_score.to_string()),
        ("--review-frames", p.review_min_frames.to_string()),
        ("--review-seconds", ms(p.review_min_ms)),
        ("--max-mean-distance", p.max_mean_distance.to_string()),
        ("--fps", "4".to_string()),
    ] {
        // The flag's entry runs from its line to the next flag's line.
        let start = help
            .find(&format!("      {flag} "))
            .unwrap_or_else(|| panic!("no {flag} in\n{help}"));
        let rest = &help[start + flag.len() + 6..];
        let entry = &rest[..rest.find("\n  -").unwrap_or(rest.len())];
        assert!(
            entry.contains(&format!("[default: {default}]")),
            "{flag}: want [default: {default}] in {entry:?}"
        );
    }
    assert!(!help.contains("[default "), "one form of default:\n{help}");
}

/// `-q` prints only the flagged files' lines; `-v` adds a `CLEAN` line per clean file.
#[test]
fn quiet_and_verbose() {
    let dir = banked("scan-qv");
    copy_work(&dir, "up/copy.y4m");
    synth_y4m(&dir.join("up/other.y4m"), 202, 20);
    let (code, out, err) = scan(&dir, &["up", "-q"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.starts_with("MATCH  up/copy.y4m\n"), "{out}");
    assert!(
        !out.contains("scanned") && !err.contains("scanned"),
        "{out}{err}"
    );
    assert!(!out.contains("other.y4m"), "{out}");
    let (code, out, err) = scan(&dir, &["up", "-v"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("\nCLEAN  up/other.y4m\n") || out.starts_with("CLEAN  up/other.y4m\n"),
        "{out}"
    );
    assert!(out.contains("MATCH  up/copy.y4m"), "{out}");
    assert!(out.contains("scanned 2 of 2"), "{out}");
}

/// A folder with no video in it is a warning and exit 2: nothing was checked.
#[test]
fn an_empty_folder_is_not_a_clean_scan() {
    let dir = banked("scan-empty");
    std::fs::create_dir(dir.join("up")).unwrap();
    dir.create("up/notes.txt", b"not a video");
    let (code, out, err) = scan(&dir, &["up"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("no video files found under up: nothing was scanned"),
        "{err}"
    );
}

/// `--color always` colours the verdict words; piped output has no escape codes by default.
#[test]
fn color_is_asked_for_or_on_a_terminal_only() {
    let dir = banked("scan-color");
    copy_work(&dir, "up/copy.y4m");
    let (code, out, _) = scan(&dir, &["up"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        !out.contains('\x1b'),
        "escape codes in piped output:\n{out}"
    );
    let (code, out, _) = scan(&dir, &["up", "--color", "always"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("\x1b[1;31mMATCH\x1b[0m  up/copy.y4m"),
        "{out:?}"
    );
    let (_, out, _) = scan(&dir, &["up", "--color", "always", "--json"]);
    assert!(!out.contains('\x1b'), "JSON is never coloured:\n{out}");
}

/// A 10 s clip matched whole shows its range in tenths, ending one sampling step after its
/// last matched frame (never cut to whole seconds, 0–9 s), the same in the text lines, the
/// JSON, the HTML report and `check`; the summary's rate has one decimal.
#[test]
fn a_whole_clip_is_shown_to_its_end_everywhere() {
    let dir = Dir::new("scan-ranges");
    let work = dir.join("works/w1.y4m");
    synth_y4m(&work, 131, 10);
    util::ban(&dir, &work, &dir.join("index"), "w1");
    copy_work(&dir, "up/copy.y4m");

    let (code, out, err) = scan(&dir, &["up", "--report", "r.html"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("(00:10.0 of video)"), "{out}");
    // "upload 00:00.0–00:09.8 = work …": the upload's range as the text shows it.
    let upload = out
        .split("upload ")
        .nth(1)
        .and_then(|s| s.split(" = ").next())
        .unwrap_or_else(|| panic!("no range in {out}"))
        .to_string();
    let (start, end) = upload.split_once('–').unwrap();
    let secs = |t: &str| {
        let (m, s) = t.split_once(':').unwrap();
        m.parse::<f64>().unwrap() * 60.0 + s.parse::<f64>().unwrap()
    };
    assert!(
        start.ends_with(".0") && end.len() == "00:00.0".len(),
        "{upload}"
    );
    assert!(secs(start) <= 1.0 && secs(end) >= 9.0, "{upload}");
    let rate = out
        .lines()
        .find(|l| l.starts_with("scanned "))
        .and_then(|l| l.rsplit("; ").next())
        .and_then(|s| s.strip_suffix(" s of video per second"))
        .unwrap_or_else(|| panic!("no rate in {out}"));
    assert!(
        rate.split_once('.').is_some_and(|(_, d)| d.len() == 1),
        "{rate}"
    );
    let html = std::fs::read_to_string(dir.join("r.html")).unwrap();
    assert!(html.contains(&format!("<td>{upload}</td>")), "{html}");
    assert!(html.contains("Duration 00:10.0."), "{html}");

    let (_, out, _) = scan(&dir, &["up", "--json"]);
    let map = json_by_path(&out);
    let m = &map.values().next().unwrap()["matches"][0];
    assert_eq!(m["query_start"].as_f64(), Some(secs(start)), "{m}");
    assert_eq!(m["query_end"].as_f64(), Some(secs(end)), "{m}");

    let out = dir
        .command()
        .args(["check", "up/copy.y4m", "--index", "index"])
        .expect_code(1);
    assert!(
        out.contains(&format!("upload        {upload}  matches")),
        "{out}"
    );
    assert!(out.contains("(00:10.0 of video)"), "{out}");
}
