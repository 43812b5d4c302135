//! The PDQ frame hash: a 256-bit perceptual hash, bit-compatible with Meta's reference
//! implementation (ThreatExchange `pdq/`), and its Hamming distance.
//!
//! [`Pdq`] hashes 8-bit gray or RGB planes; [`hash_image_file`] hashes PNG/JPEG files. The
//! stages (luma, Jarosz blur and decimation to 64×64, quality, partial DCT, median bits,
//! dihedral variants) follow the reference step for step; see the `pdq`, `jarosz` and `dct`
//! submodules. Algorithm: the PDQ description `pdqhash-2017-10-09.pdf` in ThreatExchange.
//!
//! # Exactness
//! Checked bit for bit (hash and quality) against the reference (`pdqhash` 0.2.8, which
//! compiles Meta's C++ core) on 34 images the project owns (`fixtures/hash/`, frames of our
//! Big Buck Bunny clips and seeded synthetic images from 1×1 to 1280×720): all 34 match,
//! and all 8 dihedral variants of the 12 gray ones match the reference's derived variants.
//!
//! # Speed
//! Thread CPU time per frame on the shared 2-core build machine (`cargo bench --bench hash`,
//! gray input, load average ≈ 10, so runs vary by about 25 %): 64×64 16–22 µs (45 000–60 000
//! frames/s per core), 256×256 0.22–0.29 ms (3 400–4 600/s), 1280×720 2.7–3.1 ms (320–370/s);
//! the last run gave 16.5 µs, 0.219 ms and 2.71 ms. Nothing is allocated per frame once the
//! hasher has seen a frame of that size.
//!
//! # Fast path for video
//! Frames need not cross the pipe at full resolution. Measured over all 132 frames of
//! `fixtures/video/bbb-720p.mp4` against full-resolution reference hashes of the same frames
//! (RGB24 through [`Pdq::hash_rgb`], as vPDQ hashes them), with ffmpeg's area scaler in gray
//! (`cargo run --release --example fastpath`):
//!
//! | ffmpeg scale (`flags=area`) | mean bits | p95 | max |
//! |---|---|---|---|
//! | `128:-2` (128×72) | 14.2 | 18 | 22 |
//! | `256:-2` (256×144) | 17.6 | 24 | 26 |
//! | `64:64` | 6.8 | 10 | 16 |
//! | `320:-2` (320×180) | 10.9 | 14 | 18 |
//! | `320:320` | 4.9 | 10 | 12 |
//!
//! A larger plane is not closer: what matters is where the blur and the decimation sample.
//! PDQ squashes each axis to 64 independently, so squashing in ffmpeg loses nothing it uses,
//! and at 320 = 5·64 the box window is odd (3, centred) and decimation hits the centre pixel
//! of every 5-pixel cell, as the reference's sampling does at full size; 128 or 256 wide put
//! the sample points a quarter to a third of a cell off. Recommended default:
//! `scale=320:320:flags=area` (crop borders first); if the aspect must be kept, 128 wide
//! beats 256. Full-resolution gray (`-pix_fmt gray`, limited-range Y) itself sits 0.4 bits
//! (max 2) from the RGB reference.
//!
//! # Bit order
//! The reference keeps a hash as sixteen 16-bit words `w[0..16]`; DCT cell `(row i, col j)` of
//! the 16×16 coefficient block is bit `k = 16·i + j`, stored as bit `k % 16` of `w[k / 16]`, and
//! the text form prints `w[15]` first, four hex digits a word. Read as one 256-bit big-endian
//! number, the hex text therefore has bit `k` of the hash at place value `2^k`. [`Hash256`]
//! stores that number as four `u64`, most significant first: bit `k` is bit `k % 64` of
//! `words[3 - k / 64]`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod crop;
mod dct;
mod file;
mod jarosz;
mod pdq;

pub use crop::{CropHasher, Rect};

/// How the frames of a video decoded smaller than its source are blurred before PDQ's
/// decimation: a property of each banked work (its [`BankOptions`](crate::bank::BankOptions)),
/// which the upload side follows, since hashes of the two kernels differ by 15–23 bits on the
/// same frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kernel {
    /// PDQ run on the decoded plane as if it were the picture: box windows sized for the
    /// plane (2 pixels at 256 wide). Indexes before format 5 banked with it. 17.6 bits on
    /// average from the reference's hash of the full-size frame (`bbb-720p.mp4` at 256×144;
    /// 16.8–22.8 on three other sources).
    Plane,
    /// PDQ's blur and decimation as the reference runs them on the full-size source frame,
    /// folded onto the plane the decoder shrank it to ([`CropHasher::hash_scaled`] with the
    /// frame's [`Frame::scale`](crate::decode::Frame::scale)): 1.7 bits on average from the
    /// reference at 256×144 (2.1–2.2 on three other sources), so hashes exported from an
    /// index can be compared with other platforms' vPDQ lists.
    #[default]
    Source,
}

/// The narrowest source [`Kernel::Source`] emulates, in pixels: a frame from a narrower
/// source is hashed as if it had been this wide.
///
/// PDQ's blur windows are whole pixels (`ceil(width / 128)`), so the reference's own hashes
/// of one picture at different sizes drift apart as the size falls: 3.7 bits on average
/// between `bbb-720p.mp4` and `bbb-360p.mp4`, 11.4 between 720p and the 320-wide
/// `bbb-180p.webm` (`staydown hash --every-frame` of each). Emulating at least a 1280-wide
/// source keeps a re-upload at a lower resolution as close to its banked work as the plane
/// kernel did, and is the reference itself for HD sources.
pub const MIN_SOURCE_WIDTH: f32 = 1280.0;

impl Kernel {
    /// The scale ([`CropHasher::hash_scaled`]) to hash a `width`-pixel-wide plane of
    /// [`Frame::scale`](crate::decode::Frame::scale) `frame_scale` at with this kernel: 1 for
    /// [`Kernel::Plane`]; for [`Kernel::Source`] the frame's own scale, or more for a source
    /// narrower than [`MIN_SOURCE_WIDTH`].
    pub fn scale(self, frame_scale: f32, width: u32) -> f32 {
        match self {
            Kernel::Plane => 1.0,
            Kernel::Source => frame_scale.max(MIN_SOURCE_WIDTH / width.max(1) as f32),
        }
    }

    /// The kernel's name as the CLI and reports print it.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Plane => "plane",
            Kernel::Source => "source",
        }
    }
}
pub use file::hash_image_file;
pub(crate) use pdq::check_dims;
pub use pdq::{Pdq, PdqOutput};

/// Internals exposed for `benches/hash.rs` only (`testing` feature): the two DCT routes.
#[cfg(feature = "testing")]
pub mod bench_support {
    /// The reference-exact 16×64 matrix-product DCT: `a` is 64×64, `t` 16×64 scratch,
    /// `out` 16×16.
    pub fn dct_matrix(a: &[f32], t: &mut [f32], out: &mut [f32]) {
        super::dct::dct64_to_16(a, t, out)
    }

    /// The same coefficients through `rustfft` (not bit-exact).
    pub struct FftDct(super::dct::FftDct);

    impl FftDct {
        /// Plans the FFT.
        #[allow(clippy::new_without_default)]
        pub fn new() -> Self {
            FftDct(super::dct::FftDct::new())
        }

        /// `out` (16×16) from `a` (64×64).
        pub fn dct(&mut self, a: &[f32], out: &mut [f32]) {
            self.0.dct64_to_16(a, out)
        }
    }
}

/// A 256-bit PDQ hash. See the module docs for the bit order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct Hash256(pub [u64; 4]);

impl Hash256 {
    /// The all-zero hash.
    pub const ZERO: Hash256 = Hash256([0; 4]);

    /// Hamming distance in bits (0..=256).
    #[inline]
    pub fn distance(&self, other: &Hash256) -> u32 {
        (self.0[0] ^ other.0[0]).count_ones()
            + (self.0[1] ^ other.0[1]).count_ones()
            + (self.0[2] ^ other.0[2]).count_ones()
            + (self.0[3] ^ other.0[3]).count_ones()
    }

    /// Bit `k` (0..256), where bit `k` is DCT cell `(k / 16, k % 16)`.
    #[inline]
    pub fn bit(&self, k: usize) -> bool {
        debug_assert!(k < 256);
        (self.0[3 - k / 64] >> (k % 64)) & 1 == 1
    }

    /// Sets bit `k` (0..256) to one.
    #[inline]
    pub fn set_bit(&mut self, k: usize) {
        debug_assert!(k < 256);
        self.0[3 - k / 64] |= 1u64 << (k % 64);
    }

    /// Number of one bits.
    pub fn count_ones(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    /// The hash as 32 bytes, most significant first (the order of the hex text).
    pub fn to_be_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, w) in self.0.iter().enumerate() {
            out[i * 8..i * 8 + 8].copy_from_slice(&w.to_be_bytes());
        }
        out
    }

    /// Inverse of [`Hash256::to_be_bytes`].
    pub fn from_be_bytes(bytes: [u8; 32]) -> Self {
        let mut words = [0u64; 4];
        for (i, w) in words.iter_mut().enumerate() {
            *w = u64::from_be_bytes(bytes[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        }
        Hash256(words)
    }
}

/// Hamming distance between two hashes, in bits.
#[inline]
pub fn distance(a: &Hash256, b: &Hash256) -> u32 {
    a.distance(b)
}

impl fmt::Display for Hash256 {
    /// The reference 64-hex-digit lowercase text form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:016x}{:016x}{:016x}{:016x}",
            self.0[0], self.0[1], self.0[2], self.0[3]
        )
    }
}

impl fmt::Debug for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash256({self})")
    }
}

impl FromStr for Hash256 {
    type Err = Error;

    /// Parses the 64-hex-digit text form (either case).
    fn from_str(s: &str) -> Result<Self> {
        let err = |reason| Error::HashParse {
            text: s.chars().take(80).collect(),
            reason,
        };
        if s.len() != 64 {
            return Err(err("expected 64 hex digits"));
        }
        if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err("not a hex digit"));
        }
        let mut words = [0u64; 4];
        for (i, w) in words.iter_mut().enumerate() {
            *w = u64::from_str_radix(&s[i * 16..i * 16 + 16], 16)
                .map_err(|_| err("not a hex digit"))?;
        }
        Ok(Hash256(words))
    }
}
