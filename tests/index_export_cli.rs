//! `staydown index export` through the built binary: vPDQ is the work's whole frames, one line
//! per frame, numbered at the work's frame rate; `--format staydown` is every stored row with
//! its region.

mod util;

use std::collections::HashSet;
use std::path::Path;

use util::Dir;

/// `(frameNumber, quality, hash, timestamp)` of each vPDQ line.
fn vpdq_lines(text: &str) -> Vec<(u64, u8, String, f64)> {
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 4, "{l}");
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].to_string(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn vpdq_is_the_whole_frames_at_their_frame_numbers_and_ours_is_every_row() {
    // 8 s at 10 fps, banked with the default recipe: the whole frame and three regions.
    let dir = Dir::new("export");
    let work = dir.join("w.y4m");
    util::synth_y4m(&work, 7, 8);
    util::ban(&dir, &work, &dir.join("index"), "w1");

    let ours = dir
        .command()
        .args([
            "index", "export", "w1", "--format", "staydown", "--index", "index",
        ])
        .stdout();
    let rows = json_lines(&ours);
    let tags: HashSet<u64> = rows.iter().map(|r| r["tag"].as_u64().unwrap()).collect();
    assert_eq!(tags, (0..4).collect(), "every region's rows are exported");
    let regions: HashSet<&str> = rows.iter().map(|r| r["region"].as_str().unwrap()).collect();
    assert!(
        regions.contains("Whole")
            && regions.contains("Centre(0.7)")
            && regions.contains("Top(0.75)")
            && regions.contains("Bottom(0.75)"),
        "{regions:?}"
    );
    for r in &rows {
        for key in ["pts_ms", "span_ms", "quality"] {
            assert!(r[key].is_u64(), "{key} in {r}");
        }
        assert_eq!(r["hash"].as_str().unwrap().len(), 64, "{r}");
    }
    let whole: Vec<&serde_json::Value> = rows.iter().filter(|r| r["region"] == "Whole").collect();
    assert!(whole.len() < rows.len());

    let vpdq = dir
        .command()
        .args(["index", "export", "w1", "--index", "index"])
        .stdout();
    let lines = vpdq_lines(&vpdq);
    assert_eq!(
        lines.len(),
        whole.len(),
        "one line per whole-frame row:\n{vpdq}"
    );
    let mut numbers = HashSet::new();
    for ((number, quality, hash, seconds), row) in lines.iter().zip(&whole) {
        let pts_ms = row["pts_ms"].as_u64().unwrap();
        // 10 fps: frame k is shown at k × 100 ms.
        assert_eq!(*number, pts_ms / 100, "{vpdq}");
        assert_eq!((*seconds * 1000.0).round() as u64, pts_ms);
        assert_eq!(u64::from(*quality), row["quality"].as_u64().unwrap());
        assert_eq!(hash, row["hash"].as_str().unwrap());
        assert!(numbers.insert(*number), "frame {number} twice:\n{vpdq}");
    }
    assert!(*numbers.iter().max().unwrap() < 80, "8 s at 10 fps");
    // `--vpdq` is the default format, spelled out.
    let again = dir
        .command()
        .args([
            "index", "export", "w1", "--vpdq", "--index", "index", "-o", "w1.vpdq",
        ])
        .stdout();
    assert!(again.is_empty());
    assert_eq!(std::fs::read_to_string(dir.join("w1.vpdq")).unwrap(), vpdq);

    // Imported back, the list is the same whole frames at the same frame numbers.
    dir.command()
        .args([
            "index", "import", "--vpdq", "w1.vpdq", "--work", "copy", "--index", "index",
        ])
        .expect_code(0);
    let copied = dir
        .command()
        .args(["index", "export", "copy", "--index", "index"])
        .stdout();
    assert_eq!(copied, vpdq);
}

/// Unpacks the gzipped index fixture of format `v` into `dest`.
fn unpack_fixture(v: u32, dest: &Path) {
    use std::io::Read;
    let src = util::fixtures().join(format!("index/v{v}"));
    std::fs::create_dir_all(dest).unwrap();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let Some(stem) = name.strip_suffix(".gz") else {
            continue;
        };
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
            .read_to_end(&mut bytes)
            .unwrap();
        std::fs::write(dest.join(stem), bytes).unwrap();
    }
}

#[test]
fn works_of_older_formats_export_what_is_known_and_say_what_is_not() {
    let dir = Dir::new("export-legacy");
    // Format 2, banked from whole frames alone: every row is a whole frame, the rate unknown.
    unpack_fixture(2, &dir.join("v2"));
    let err = dir
        .command()
        .args(["index", "export", "alpha", "--index", "v2"])
        .stderr_with_code(2);
    assert!(err.contains("frame rate") && err.contains("--fps"), "{err}");
    let vpdq = dir
        .command()
        .args(["index", "export", "alpha", "--index", "v2", "--fps", "4"])
        .stdout();
    let lines = vpdq_lines(&vpdq);
    assert!(!lines.is_empty());
    for (number, _, _, seconds) in &lines {
        assert_eq!(*number, (seconds * 4.0).round() as u64, "{vpdq}");
    }
    let rows = json_lines(
        &dir.command()
            .args([
                "index", "export", "alpha", "--format", "staydown", "--index", "v2",
            ])
            .stdout(),
    );
    assert_eq!(rows.len(), lines.len());
    assert!(rows.iter().all(|r| r["region"] == "Whole" && r["tag"] == 0));

    // Format 1 banked five regions beside the whole frame and did not record which row is
    // which: vPDQ is refused with the reason, ours says "unknown".
    unpack_fixture(1, &dir.join("v1"));
    let err = dir
        .command()
        .args(["index", "export", "alpha", "--index", "v1", "--fps", "4"])
        .stderr_with_code(2);
    assert!(err.contains("--format staydown"), "{err}");
    let rows = json_lines(
        &dir.command()
            .args([
                "index", "export", "alpha", "--format", "staydown", "--index", "v1",
            ])
            .stdout(),
    );
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r["region"] == "unknown" && r["tag"] == 255)
    );
}
