//! `staydown hash <FILE|->`: an image prints `<64 hex> <quality>`; a video prints vPDQ lines.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use staydown::decode::{DecodeOptions, FrameSource};
use staydown::fingerprint::Fingerprinter;
use staydown::hash::hash_image_file;

/// Prints the PDQ hash of an image, or the vPDQ hash list of a video.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// An image (png, jpeg), a video (anything ffmpeg reads, Y4M natively), a directory of
    /// numbered frames, or `-` for Y4M on standard input.
    pub file: PathBuf,
    /// Video frames hashed per second of video time.
    #[arg(
        long,
        value_name = "FPS",
        default_value_t = 1.0,
        conflicts_with = "every_frame"
    )]
    pub fps: f64,
    /// Hash every frame of a video.
    #[arg(long)]
    pub every_frame: bool,
    /// Hash frames at full resolution (reference-exact, slower) instead of the 256-pixel fast path.
    #[arg(long)]
    pub full: bool,
    /// Frame rate of a directory of numbered frames.
    #[arg(long, value_name = "FPS", default_value_t = 25.0)]
    pub image_fps: f64,
    /// For an image: first squash images over 512 px to 512×512 (nearest neighbour), as the
    /// reference photo tool does.
    #[arg(long)]
    pub reference_resize: bool,
    /// Keep black borders (letterbox/pillarbox) instead of cropping them before hashing.
    #[arg(long)]
    pub keep_borders: bool,
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .is_some_and(|e| matches!(e.as_str(), "png" | "jpg" | "jpeg"))
}

/// Runs `hash`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if is_image(&args.file) {
        let h = hash_image_file(&args.file, args.reference_resize)?;
        writeln!(out, "{} {}", h.hash, h.quality)?;
        return Ok(ExitCode::SUCCESS);
    }
    let decode = DecodeOptions {
        fps: (!args.every_frame).then_some(args.fps),
        max_width: if args.full { None } else { Some(256) },
        image_fps: args.image_fps,
        ..DecodeOptions::default()
    };
    decode.validate()?;
    let source = FrameSource::open(&args.file, &decode)?;
    let fingerprinter = Fingerprinter {
        crop_borders: !args.keep_borders,
        ..Fingerprinter::new()
    };
    let fp = fingerprinter.fingerprint_source(source)?;
    fp.write_vpdq(&mut out)?;
    Ok(ExitCode::SUCCESS)
}
