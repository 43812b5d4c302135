//! Inputs that hang or lie get an error line naming the file, never a silent verdict: FIFOs,
//! sockets and device links in a scan, a FIFO among image frames, a JPEG cut in half or with
//! a header claiming far more pixels than its bytes hold, a moov-first MP4 cut short, and
//! streams with no usable frame for `ban`, `import` and `check`.

mod util;

use std::path::Path;
use std::process::Command;

use util::{Dir, banked, synth_y4m};

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

/// A 320×240 JPEG of a textured gradient (its scan data is most of the file).
fn jpeg_bytes() -> Vec<u8> {
    let img = image::GrayImage::from_fn(320, 240, |x, y| {
        image::Luma([((x * 7 + y * 3) ^ (x * y / 5)) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

#[test]
fn special_files_in_a_scan_are_error_lines_and_counted() {
    let dir = banked("special");
    let up = dir.join("uploads");
    synth_y4m(&up.join("ok.y4m"), 7, 4);
    mkfifo(&up.join("pipe.mp4"));
    std::os::unix::fs::symlink("/dev/zero", up.join("zero.mp4")).unwrap();
    let _sock = std::os::unix::net::UnixListener::bind(up.join("sock.mp4")).unwrap();
    let out = dir
        .command()
        .args(["scan", "uploads", "--index", "index", "--json"])
        .expect_code(2);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{out}");
    for (name, kind) in [
        ("pipe.mp4", "fifo"),
        ("zero.mp4", "character device"),
        ("sock.mp4", "socket"),
    ] {
        let line = lines
            .iter()
            .find(|l| l["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no line for {name}: {out}"));
        assert_eq!(line["verdict"], "error", "{line}");
        let err = line["error"].as_str().unwrap();
        assert!(
            err.contains(&format!("not a regular file ({kind})")),
            "{err}"
        );
    }
    // Named directly, a FIFO is refused at once instead of blocking.
    let err = dir
        .command()
        .args(["check", "uploads/pipe.mp4", "--index", "index"])
        .stderr_with_code(2);
    assert!(err.contains("pipe.mp4: not a regular file (fifo)"), "{err}");
}

#[test]
fn lying_or_truncated_image_frames_and_fifos_are_errors() {
    let dir = Dir::new("frames");
    let jpeg = jpeg_bytes();
    // A FIFO among the numbered frames: an error naming it, not a hang.
    dir.create("fifo/f1.jpg", &jpeg);
    mkfifo(&dir.join("fifo/f2.jpg"));
    let err = dir.command().args(["hash", "fifo"]).stderr_with_code(2);
    assert!(err.contains("f2.jpg: not a regular file (fifo)"), "{err}");

    // Cut in half.
    dir.create("cut/f1.jpg", &jpeg);
    dir.create("cut/f2.jpg", &jpeg[..jpeg.len() / 2]);
    let err = dir
        .command()
        .args(["hash", "--every-frame", "cut"])
        .stderr_with_code(2);
    assert!(err.contains("f2.jpg: truncated JPEG"), "{err}");

    // A header claiming 16000×4000 pixels in a few hundred bytes.
    let mut lying = jpeg.clone();
    let sof = lying
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline JPEG");
    lying[sof + 5..sof + 7].copy_from_slice(&4000u16.to_be_bytes());
    lying[sof + 7..sof + 9].copy_from_slice(&16000u16.to_be_bytes());
    dir.create("lie/f1.jpg", &lying);
    let err = dir.command().args(["hash", "lie"]).stderr_with_code(2);
    assert!(
        err.contains("f1.jpg: damaged image") && err.contains("16000x4000"),
        "{err}"
    );
}

#[test]
fn a_truncated_mp4_is_an_error_not_a_clean_verdict() {
    if !util::have_ffmpeg() {
        return;
    }
    let dir = banked("trunc");
    let full = dir.join("full.mp4");
    let ok = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=320x240:r=25:d=12",
        ])
        .args(["-c:v", "libx264", "-movflags", "+faststart", "-y"])
        .arg(&full)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let bytes = std::fs::read(&full).unwrap();
    for percent in [10, 30, 50] {
        let cut = dir.create(
            format!("cut{percent}.mp4"),
            &bytes[..bytes.len() * percent / 100],
        );
        let err = dir
            .command()
            .arg("check")
            .arg(&cut)
            .args(["--index", "index"])
            .stderr_with_code(2);
        assert!(err.contains("damaged or truncated"), "{percent}%: {err}");
    }
    // The whole file is a verdict; in a scan each cut file is an error line.
    dir.command()
        .arg("check")
        .arg(&full)
        .args(["--index", "index"])
        .expect_code(0);
    let out = dir
        .command()
        .args([
            "scan",
            ".",
            "--index",
            "index",
            "--include",
            "cut*.mp4",
            "--json",
        ])
        .expect_code(2);
    assert_eq!(out.matches("\"verdict\":\"error\"").count(), 3, "{out}");
}

#[test]
fn no_usable_frame_is_an_error_for_ban_import_and_check() {
    let dir = banked("empty");
    // A Y4M stream with a header and no frame.
    dir.create("empty.y4m", "YUV4MPEG2 W160 H120 F10:1 Ip A1:1 C420jpeg\n");
    let err = dir
        .command()
        .args(["ban", "empty.y4m", "--index", "index"])
        .stderr_with_code(2);
    assert!(err.contains("no usable frame (0 decoded"), "{err}");
    let err = dir
        .command()
        .args(["check", "empty.y4m", "--index", "index"])
        .stderr_with_code(2);
    assert!(
        err.contains("empty.y4m: no usable frame (0 decoded"),
        "{err}"
    );

    // A black video: every frame below the quality bar.
    let black = staydown::synth::SynthVideo::new(1)
        .size(160, 120)
        .fps(10)
        .duration_ms(3000)
        .video()
        .brightness_contrast(-255.0, 0.0);
    black.save_y4m(dir.join("black.y4m")).unwrap();
    let err = dir
        .command()
        .args(["check", "black.y4m", "--index", "index"])
        .stderr_with_code(2);
    assert!(
        err.contains("black.y4m: no usable frame (12 decoded"),
        "{err}"
    );

    // A vPDQ list whose every frame is below the quality bar.
    dir.create(
        "low.txt",
        format!(
            "0,10,{},0.000\n1,20,{},1.000\n",
            "a".repeat(64),
            "b".repeat(64)
        ),
    );
    let err = dir
        .command()
        .args(["index", "import", "--vpdq", "low.txt", "--work", "low"])
        .args(["--index", "index"])
        .stderr_with_code(2);
    assert!(err.contains("no usable frame (2 decoded"), "{err}");
    let list = dir
        .command()
        .args(["index", "list", "--index", "index"])
        .stdout();
    assert!(!list.contains("low\t"), "{list}");
}
