//! The PDQ frame hash: a 256-bit perceptual hash, bit-compatible with Meta's reference
//! implementation (ThreatExchange `pdq/`), and its Hamming distance.
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

mod dct;
mod file;
mod jarosz;
mod pdq;

pub use file::hash_image_file;
pub use pdq::{Pdq, PdqOutput};

/// Internals exposed for `benches/hash.rs` only; not part of the stable API.
#[doc(hidden)]
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
