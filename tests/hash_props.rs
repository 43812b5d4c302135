//! Property tests for the hash: distance axioms, hex round trip, gray/RGB agreement, and
//! robustness of PDQ to small photometric and scale changes of a natural image.

use std::path::Path;
use std::sync::OnceLock;

use image::imageops::FilterType;
use proptest::prelude::*;
use staydown::{Hash256, Pdq, distance};

fn any_hash() -> impl Strategy<Value = Hash256> {
    any::<[u64; 4]>().prop_map(Hash256)
}

/// A Big Buck Bunny frame from the fixtures (RGB, 320×180).
fn frame() -> &'static image::RgbImage {
    static F: OnceLock<image::RgbImage> = OnceLock::new();
    F.get_or_init(|| {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hash/bbb720-f010-320x180.png");
        image::open(p).unwrap().into_rgb8()
    })
}

fn hash(img: &image::RgbImage) -> Hash256 {
    Pdq::new()
        .hash_rgb(img.as_raw(), img.width() as usize, img.height() as usize)
        .unwrap()
        .hash
}

/// Every sample mapped through `v -> clamp(contrast · (v − 128) + 128 + brightness)`.
fn photometric(img: &image::RgbImage, brightness: f32, contrast: f32) -> image::RgbImage {
    let mut out = img.clone();
    for p in out.pixels_mut() {
        for c in p.0.iter_mut() {
            let v = contrast * (*c as f32 - 128.0) + 128.0 + brightness;
            *c = v.round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn distance_to_self_is_zero(a in any_hash()) {
        prop_assert_eq!(distance(&a, &a), 0);
    }

    #[test]
    fn distance_is_symmetric_and_bounded(a in any_hash(), b in any_hash()) {
        prop_assert_eq!(a.distance(&b), b.distance(&a));
        prop_assert!(a.distance(&b) <= 256);
        prop_assert_eq!(a.distance(&b) == 0, a == b);
    }

    #[test]
    fn triangle_inequality(a in any_hash(), b in any_hash(), c in any_hash()) {
        prop_assert!(a.distance(&c) <= a.distance(&b) + b.distance(&c));
    }

    #[test]
    fn hex_round_trip(a in any_hash()) {
        let text = a.to_string();
        prop_assert_eq!(text.len(), 64);
        prop_assert_eq!(text.parse::<Hash256>().unwrap(), a);
        prop_assert_eq!(text.to_uppercase().parse::<Hash256>().unwrap(), a);
    }

    #[test]
    fn flipping_one_bit_moves_one(a in any_hash(), k in 0usize..256) {
        let mut b = a;
        b.0[3 - k / 64] ^= 1 << (k % 64);
        prop_assert_eq!(a.distance(&b), 1);
        prop_assert_eq!(a.bit(k), !b.bit(k));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any small plane hashes without panicking, and gray hashing equals RGB hashing of the
    /// same plane with R = G = B, including the derived mirror.
    #[test]
    fn gray_equals_rgb_of_gray(w in 1usize..48, h in 1usize..48, seed in any::<u64>()) {
        let mut x = seed | 1;
        let gray: Vec<u8> = (0..w * h).map(|_| { x ^= x << 13; x ^= x >> 7; x ^= x << 17; (x >> 56) as u8 }).collect();
        let rgb: Vec<u8> = gray.iter().flat_map(|&g| [g, g, g]).collect();
        let mut pdq = Pdq::new();
        let g = pdq.hash_gray(&gray, w, h).unwrap();
        let c = pdq.hash_rgb(&rgb, w, h).unwrap();
        prop_assert_eq!(g, c);
        let (m, mirror) = pdq.hash_gray_with_mirror(&gray, w, h).unwrap();
        let all = pdq.hash_dihedral_gray(&gray, w, h).unwrap();
        prop_assert_eq!(m, g);
        prop_assert_eq!(all[0], g);
        prop_assert_eq!(mirror, all[5].hash);
    }

    /// Measured on a grid over the same ranges: at most 8 bits.
    #[test]
    fn brightness_and_contrast_stay_close(brightness in -24.0f32..24.0, contrast in 0.85f32..1.15) {
        let base = hash(frame());
        let d = base.distance(&hash(&photometric(frame(), brightness, contrast)));
        prop_assert!(d <= 31, "brightness {brightness} contrast {contrast}: {d} bits");
    }

    /// 0.75× to 1.5× of the 320×180 frame. Measured over every width in that range and the
    /// three filters: at most 24 bits (at 256 px, Triangle). Larger factors reach 26–30 bits
    /// on these frames (e.g. 0.5× or 2×), so PDQ's usual 31-bit threshold is tight there.
    #[test]
    fn rescaling_stays_close(w in 240u32..=480, filter in 0usize..3) {
        let f = frame();
        let h = (w * f.height() / f.width()).max(1);
        let filter = [FilterType::Triangle, FilterType::CatmullRom, FilterType::Lanczos3][filter];
        let scaled = image::imageops::resize(f, w, h, filter);
        let d = hash(f).distance(&hash(&scaled));
        prop_assert!(d <= 31, "{w}x{h} {filter:?}: {d} bits");
    }
}
