//! Command-line flags shared by several subcommands, and their conversion into the library's
//! typed options. Subcommands share flags through this file only, never through each other.

use staydown::bank::BankOptions;
use staydown::check::{CheckOptions, SecondLook};
use staydown::decode::DecodeOptions;
use staydown::fingerprint::Fingerprinter;
use staydown::matcher::{MatchOptions, Policy};
use staydown::query::QueryVariants;

/// Matching options and policy thresholds shared by `check`, `scan` and `eval`; each flag
/// left out keeps the library default (see `staydown::matcher`).
#[derive(clap::Args, Debug, Clone)]
pub struct PolicyArgs {
    /// Frames sampled per second of the upload (works are banked sparsely, so uploads are
    /// sampled densely).
    #[arg(long, value_name = "FPS", default_value_t = 4.0)]
    pub fps: f64,
    /// Search radius per frame hash, bits (inclusive) [default: 40].
    #[arg(long, value_name = "BITS")]
    pub radius: Option<u32>,
    /// Seeding radius, bits: frames this close to an indexed frame seed the search of a
    /// work, whose frames are then compared with the upload's around each seed up to the
    /// full radius; at or above --radius every frame is searched at the full radius
    /// (exhaustive, slower) [default: 15].
    #[arg(long, value_name = "BITS")]
    pub seed_bits: Option<u32>,
    /// Frames of lower PDQ quality are never evidence [default: 50].
    #[arg(long, value_name = "Q")]
    pub min_quality: Option<u8>,
    /// Slowest accepted speed of a copy [default: 0.8].
    #[arg(long, value_name = "X")]
    pub min_speed: Option<f64>,
    /// Fastest accepted speed of a copy [default: 1.25].
    #[arg(long, value_name = "X")]
    pub max_speed: Option<f64>,
    /// Longest unmatched gap inside a segment, seconds [default: 10].
    #[arg(long, value_name = "S")]
    pub max_gap: Option<f64>,
    /// Do not search mirrored frames.
    #[arg(long)]
    pub no_mirror: bool,
    /// Do not search the top and bottom three quarters of each frame on their own (they
    /// find copies with a burned-in caption or logo; each is one more search per frame and
    /// orientation).
    #[arg(long)]
    pub no_bands: bool,
    /// Do not look for a picture-in-picture inset (by default, when the first 30 sampled
    /// frames show a moving rectangle with fixed edges, its crop is searched too).
    #[arg(long)]
    pub no_pip: bool,
    /// Do not try frames rotated back by ±3° and ±6° (by default each is tried with the
    /// crop search, for copies rotated by up to about 7.5°).
    #[arg(long)]
    pub no_rotations: bool,
    /// Do not try the grid of centre crops and side cuts every two seconds (it finds zoomed,
    /// cropped and off-centre copies; the rectangles that find banked frames are then
    /// searched on every frame).
    #[arg(long)]
    pub no_crop_search: bool,
    /// Do not look again, at every frame (up to 30 a second), at the parts of a file where a
    /// segment fell short of a match (by default they are decoded again around the segment
    /// and their frames compared with the works the first look found, which settles short
    /// copies of fast-moving works).
    #[arg(long)]
    pub no_second_look: bool,
    /// `match` needs at least this many (weighted) frames in a segment [default: 5].
    #[arg(long, value_name = "N")]
    pub match_frames: Option<f64>,
    /// `match` needs a segment at least this long, seconds [default: 4].
    #[arg(long, value_name = "S")]
    pub match_seconds: Option<f64>,
    /// `match` needs at least this score (0..1) [default: 0.25].
    #[arg(long, value_name = "X")]
    pub match_score: Option<f64>,
    /// `review` needs at least this many (weighted) frames in a segment [default: 3].
    #[arg(long, value_name = "N")]
    pub review_frames: Option<f64>,
    /// `review` needs a segment at least this long, seconds [default: 2].
    #[arg(long, value_name = "S")]
    pub review_seconds: Option<f64>,
    /// Segments with a higher mean distance are ignored, bits [default: 36].
    #[arg(long, value_name = "BITS")]
    pub max_mean_distance: Option<f64>,
}

fn ms(seconds: f64) -> anyhow::Result<u64> {
    anyhow::ensure!(
        seconds.is_finite() && seconds >= 0.0,
        "a duration must be a non-negative number of seconds, not {seconds}"
    );
    Ok((seconds * 1000.0).round() as u64)
}

impl PolicyArgs {
    /// The matcher options these flags give.
    pub fn options(&self) -> anyhow::Result<MatchOptions> {
        let mut o = MatchOptions::default();
        if let Some(x) = self.radius {
            anyhow::ensure!(x <= 256, "--radius {x} is more than the 256 bits of a hash");
            o.radius_bits = x;
        }
        if let Some(x) = self.seed_bits {
            o.seed_bits = x;
        }
        if let Some(x) = self.min_quality {
            o.min_quality = x;
        }
        if let Some(x) = self.min_speed {
            o.min_speed = x;
        }
        if let Some(x) = self.max_speed {
            o.max_speed = x;
        }
        anyhow::ensure!(
            o.min_speed > 0.0 && o.min_speed <= o.max_speed,
            "speed range {}..{} is empty or not positive",
            o.min_speed,
            o.max_speed
        );
        if let Some(x) = self.max_gap {
            o.max_gap_ms = ms(x)?;
        }
        o.mirrored = !self.no_mirror;
        Ok(o)
    }

    /// The policy these flags give.
    pub fn policy(&self) -> anyhow::Result<Policy> {
        let mut p = Policy::default();
        if let Some(x) = self.match_frames {
            p.match_min_frames = x;
        }
        if let Some(x) = self.match_seconds {
            p.match_min_ms = ms(x)?;
        }
        if let Some(x) = self.match_score {
            p.match_min_score = x;
        }
        if let Some(x) = self.review_frames {
            p.review_min_frames = x;
        }
        if let Some(x) = self.review_seconds {
            p.review_min_ms = ms(x)?;
        }
        if let Some(x) = self.max_mean_distance {
            p.max_mean_distance = x;
        }
        Ok(p)
    }

    /// Everything `check` and `scan` need to check an upload.
    pub fn check_options(&self) -> anyhow::Result<CheckOptions> {
        let matcher = self.options()?;
        Ok(CheckOptions {
            decode: self.decode()?,
            fingerprinter: Fingerprinter {
                min_quality: matcher.min_quality,
                ..Fingerprinter::new()
            },
            matcher,
            policy: self.policy()?,
            variants: self.variants(&matcher),
            second_look: (!self.no_second_look).then(SecondLook::default),
        })
    }

    /// The query variants these flags ask for (the bands and centre crops themselves come
    /// from the index's recipe).
    pub fn variants(&self, matcher: &MatchOptions) -> QueryVariants {
        let all = QueryVariants::default();
        QueryVariants {
            mirror: matcher.mirrored,
            inset: all.inset.filter(|_| !self.no_pip),
            rotations_deg: if self.no_rotations {
                Vec::new()
            } else {
                all.rotations_deg
            },
            bands: !self.no_bands,
            crops: all.crops.filter(|_| !self.no_crop_search),
        }
    }

    /// How uploads are decoded.
    pub fn decode(&self) -> anyhow::Result<DecodeOptions> {
        let d = DecodeOptions {
            fps: Some(self.fps),
            ..DecodeOptions::upload()
        };
        d.validate()?;
        Ok(d)
    }
}

/// The banking recipe from `ban`'s and `eval`'s flags: a named recipe
/// ([`staydown::bank::RECIPES`]) and, when given, the frames decoded per second.
pub fn bank_options(recipe: &str, fps: Option<f64>) -> anyhow::Result<BankOptions> {
    if let Some(fps) = fps {
        anyhow::ensure!(
            fps.is_finite() && fps > 0.0,
            "--fps must be a positive number, got {fps}"
        );
    }
    let mut options = BankOptions::named(recipe)?;
    if fps.is_some() {
        options.fps = fps;
    }
    options.validate()?;
    Ok(options)
}
