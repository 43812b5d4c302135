//! Measures the video fast path: how far PDQ hashes of frames that ffmpeg already shrank with
//! its area scaler (gray, N px wide) sit from full-resolution reference hashes of the same
//! frames (RGB24 at full size through `hash_rgb`, as vPDQ hashes frames; and full-size gray).
//!
//! ```text
//! cargo run --release --example fastpath -- [VIDEO] [SIZE...]
//! ```
//! A SIZE is a width (height follows the aspect, rounded to even, as `scale=W:-2`) or `WxH`
//! (squashed to exactly that). Defaults: `fixtures/video/bbb-720p.mp4`, sizes 128 256 64x64
//! 320. Needs ffmpeg on PATH.

use std::io::Read;
use std::process::{Command, Stdio};

use staydown::hash::{CropHasher, Kernel, Rect};
use staydown::{Hash256, Pdq};

/// Every frame of `video` as raw planes of `w × h × channels` bytes, after `filter`.
fn frames(video: &str, filter: &str, pix_fmt: &str, frame_len: usize) -> Vec<Vec<u8>> {
    let mut child = Command::new("ffmpeg")
        .args(["-v", "error", "-i", video, "-an"])
        .args(if filter.is_empty() {
            vec![]
        } else {
            vec!["-vf", filter]
        })
        .args(["-f", "rawvideo", "-pix_fmt", pix_fmt, "-"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("ffmpeg on PATH");
    let mut all = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut all).unwrap();
    assert!(child.wait().unwrap().success(), "ffmpeg failed on {video}");
    assert_eq!(all.len() % frame_len, 0, "partial frame");
    all.chunks_exact(frame_len).map(<[u8]>::to_vec).collect()
}

fn probe(video: &str) -> (usize, usize) {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
        ])
        .args(["-of", "csv=p=0", video])
        .output()
        .expect("ffprobe on PATH");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut it = text.trim().split(',').map(|v| v.parse::<usize>().unwrap());
    (it.next().unwrap(), it.next().unwrap())
}

fn stats(name: &str, a: &[Hash256], b: &[Hash256]) {
    let d: Vec<u32> = a.iter().zip(b).map(|(x, y)| x.distance(y)).collect();
    let mean = d.iter().sum::<u32>() as f64 / d.len() as f64;
    let mut sorted = d.clone();
    sorted.sort_unstable();
    let p95 = sorted[(sorted.len() * 95 / 100).min(sorted.len() - 1)];
    let over31 = d.iter().filter(|&&x| x > 31).count();
    println!(
        "{name:44} frames {:4}  mean {mean:5.2}  p95 {p95:3}  max {:3}  >31: {over31}",
        d.len(),
        sorted.last().unwrap()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let video = args
        .first()
        .cloned()
        .unwrap_or_else(|| "fixtures/video/bbb-720p.mp4".into());
    let sizes: Vec<String> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        ["128", "256", "64x64", "320"].map(String::from).to_vec()
    };
    let (w, h) = probe(&video);
    let mut pdq = Pdq::new();

    let rgb = frames(&video, "", "rgb24", w * h * 3);
    let reference: Vec<Hash256> = rgb
        .iter()
        .map(|f| pdq.hash_rgb(f, w, h).unwrap().hash)
        .collect();
    let gray = frames(&video, "", "gray", w * h);
    let full_gray: Vec<Hash256> = gray
        .iter()
        .map(|f| pdq.hash_gray(f, w, h).unwrap().hash)
        .collect();
    println!("{video}: {w}x{h}, {} frames", reference.len());
    stats(
        "full-res gray vs full-res RGB reference",
        &full_gray,
        &reference,
    );

    for size in sizes {
        let (fw, fh) = match size.split_once('x') {
            Some((a, b)) => (a.parse().expect("width"), b.parse().expect("height")),
            None => {
                let fw: usize = size.parse().expect("width");
                // Same rounding as `scale=W:-2`: height even, aspect kept.
                (fw, ((h * fw) as f64 / w as f64 / 2.0).round() as usize * 2)
            }
        };
        let filter = format!("scale={fw}:{fh}:flags=area");
        let small = frames(&video, &filter, "gray", fw * fh);
        let fast: Vec<Hash256> = small
            .iter()
            .map(|f| pdq.hash_gray(f, fw, fh).unwrap().hash)
            .collect();
        stats(
            &format!("area {fw}x{fh} gray vs full-res RGB reference"),
            &fast,
            &reference,
        );
        stats(
            &format!("area {fw}x{fh} gray vs full-res gray"),
            &fast,
            &full_gray,
        );
        let mut crop = CropHasher::new();
        let whole = Rect {
            x: 0,
            y: 0,
            width: fw as u32,
            height: fh as u32,
        };
        let scale = Kernel::Source.scale(w as f32 / fw as f32, fw as u32);
        let scaled: Vec<Hash256> = small
            .iter()
            .map(|f| crop.hash_scaled(f, fw as u32, whole, false, scale).hash)
            .collect();
        stats(
            &format!("area {fw}x{fh} source kernel vs full-res RGB"),
            &scaled,
            &reference,
        );
    }
}
