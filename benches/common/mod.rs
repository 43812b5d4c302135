//! Shared by the benches: a seeded generator of frame hashes, so inputs are reproducible.
#![allow(dead_code)]

use staydown::Hash256;

/// SplitMix64, seeded.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn hash(&mut self) -> Hash256 {
        Hash256([self.next(), self.next(), self.next(), self.next()])
    }
    /// `h` with `k` distinct bits flipped.
    pub fn near(&mut self, h: &Hash256, k: u32) -> Hash256 {
        let mut out = *h;
        let mut flipped = 0;
        while flipped < k {
            let b = self.below(256) as usize;
            let before = out;
            out.0[b / 64] ^= 1 << (b % 64);
            if out.0[b / 64] & (1 << (b % 64)) != before.0[b / 64] & (1 << (b % 64))
                && out.distance(h) == flipped + 1
            {
                flipped += 1;
            } else {
                out = before;
            }
        }
        out
    }
}

impl Rng {
    /// `len` frame hashes of one work, like a real video's: shots of 8–64 frames, half of them
    /// near copies (5–20 bits) of a shot centre (consecutive frames of a shot), half uniform.
    pub fn work_hashes(&mut self, len: usize) -> Vec<Hash256> {
        let mut w = Vec::with_capacity(len);
        while w.len() < len {
            let shot = (8 + self.below(57) as usize).min(len - w.len());
            if self.below(2) == 0 {
                let centre = self.hash();
                for _ in 0..shot {
                    let k = 5 + self.below(16) as u32;
                    w.push(self.near(&centre, k));
                }
            } else {
                for _ in 0..shot {
                    w.push(self.hash());
                }
            }
        }
        w
    }
}
