//! `staydown hash <FILE|->`: an image prints `<64 hex> <quality>`; a video prints vPDQ lines.
//!
//! A video's lines are what the reference vPDQ hasher prints for it: the whole frame (black
//! bars kept), hashed at full resolution, so a list made here and one made on another platform
//! agree within a few bits (about 1 bit mean on the committed fixtures, pinned by
//! `tests/hash_interop.rs`). `--fast` hashes the 256-pixel plane staydown itself banks and
//! searches, blurred as the reference blurs the full frame ([`Kernel::Source`]): about 2 bits
//! from the reference's hashes on HD video, 4 on 640-wide video; `--crop-borders` crops bars
//! first.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use staydown::decode::{DecodeOptions, FrameSource};
use staydown::fingerprint::Fingerprinter;
use staydown::hash::{Kernel, hash_image_file};

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
    /// Hash the 256-pixel-wide plane staydown banks and searches instead of the full frame
    /// (less CPU on large videos), blurred as the reference blurs the full frame: about 2 bits
    /// from the reference vPDQ hasher's hashes on 1280-wide video, 4 on 640-wide, 11 on
    /// 320-wide (where the reference's own hashes drift as far from its HD hashes).
    #[arg(long)]
    pub fast: bool,
    /// Frame rate of a directory of numbered frames.
    #[arg(long, value_name = "FPS", default_value_t = 25.0)]
    pub image_fps: f64,
    /// For an image: first squash images over 512 px to 512×512 (nearest neighbour), as the
    /// reference photo tool does.
    #[arg(long)]
    pub reference_resize: bool,
    /// Crop black borders (letterbox/pillarbox) before hashing, as staydown does for its own
    /// index; the reference vPDQ hasher keeps them.
    #[arg(long)]
    pub crop_borders: bool,
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
        max_width: if args.fast { Some(256) } else { None },
        image_fps: args.image_fps,
        ..DecodeOptions::default()
    };
    decode.validate()?;
    let source = FrameSource::open(&args.file, &decode)?;
    // Full frames are hashed as they are, which is the reference; the fast plane with the
    // kernel that emulates the full frame.
    let fingerprinter = Fingerprinter {
        crop_borders: args.crop_borders,
        kernel: if args.fast {
            Kernel::Source
        } else {
            Kernel::Plane
        },
        ..Fingerprinter::new()
    };
    let fp = fingerprinter.fingerprint_source(source)?;
    fp.write_vpdq(&mut out)?;
    Ok(ExitCode::SUCCESS)
}
