//! Dihedral hashes derived from the DCT against hashing the actually rotated or flipped pixels.
//!
//! The reference's downsampling is not mirror-symmetric (an even box window sits one pixel off
//! centre, and decimation picks `floor((i + 0.5) · n / 64)`), so for most sizes the derived and
//! the re-hashed variants differ by a few bits; for a 64×64 input (no filter, identity
//! decimation) only float rounding in the reordered DCT sums remains. The bounds below are the
//! measured maxima over these inputs, rounded up; `MEASURE=1` prints the distances. Measured
//! (bits; orig, rot90, rot180, rot270, flipX, flipY, transpose, transverse):
//!
//! ```text
//! bbb720-f060-gray-1280x720.png      0   4   6   6   6   4   0   6
//! bbb360-f045-gray-480x270.png       0  16  12   0   0  16   0  12
//! bbb720-f010-320x180.png            0   0  28  24  24   0   0  28
//! syn-gray-shapes-127x129.png        0   0  36  36  36   0   0  36
//! syn-gray-shapes-64x64.png          0   0   0   0   0   0   0   0
//! syn-gray-sine-96x96.png            0   0   0   0   0   0   0   0
//! syn-gray-noise-513x301.png         0   0   0   0   0   0   0   0
//! syn-blobs-640x480.png              0   4  12   6   6   4   0  12
//! ```
//!
//! The reference behaves the same way (the `pdqhash` package's own tests allow up to 40 bits
//! between `compute_dihedral` and hashing transformed photos); `tests/hash_goldens.rs` checks
//! that our derived variants equal the reference's derived variants bit for bit.

use std::path::Path;

use staydown::Pdq;

/// The transformed plane `(width, height, pixels)` for variant `v` in the reference's order.
fn transform(g: &[u8], w: usize, h: usize, v: usize) -> (usize, usize, Vec<u8>) {
    let at = |y: usize, x: usize| g[y * w + x];
    let (nw, nh) = if matches!(v, 1 | 3 | 6 | 7) {
        (h, w)
    } else {
        (w, h)
    };
    let mut out = Vec::with_capacity(w * h);
    for y in 0..nh {
        for x in 0..nw {
            out.push(match v {
                0 => at(y, x),
                1 => at(x, w - 1 - y),         // rotate 90° counter-clockwise
                2 => at(h - 1 - y, w - 1 - x), // rotate 180°
                3 => at(h - 1 - x, y),         // rotate 90° clockwise
                4 => at(h - 1 - y, x),         // flip top-bottom
                5 => at(y, w - 1 - x),         // mirror left-right
                6 => at(x, y),                 // transpose
                _ => at(h - 1 - x, w - 1 - y), // anti-transpose
            });
        }
    }
    (nw, nh, out)
}

fn images() -> Vec<(String, usize, usize, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hash");
    let mut v = Vec::new();
    for name in [
        "bbb720-f060-gray-1280x720.png",
        "bbb360-f045-gray-480x270.png",
        "bbb720-f010-320x180.png",
        "syn-gray-shapes-127x129.png",
        "syn-gray-shapes-64x64.png",
        "syn-gray-sine-96x96.png",
        "syn-gray-noise-513x301.png",
        "syn-blobs-640x480.png",
    ] {
        let img = image::open(dir.join(name)).unwrap().to_luma8();
        let (w, h) = (img.width() as usize, img.height() as usize);
        v.push((name.to_owned(), w, h, img.into_raw()));
    }
    v
}

/// Max distance per variant between derived and re-hashed, over the given images.
fn measure(images: &[(String, usize, usize, Vec<u8>)]) -> [u32; 8] {
    let mut pdq = Pdq::new();
    let mut worst = [0u32; 8];
    let print = std::env::var_os("MEASURE").is_some();
    for (name, w, h, g) in images {
        let derived = pdq.hash_dihedral_gray(g, *w, *h).unwrap();
        let mut line = format!("{name:32}");
        for v in 0..8 {
            let (tw, th, t) = transform(g, *w, *h, v);
            let direct = pdq.hash_gray(&t, tw, th).unwrap();
            assert!(
                direct.quality.abs_diff(derived[v].quality) <= 2,
                "{name} {v}"
            );
            let d = direct.hash.distance(&derived[v].hash);
            worst[v] = worst[v].max(d);
            line += &format!(" {d:3}");
        }
        if print {
            eprintln!("{line}");
        }
    }
    worst
}

#[test]
fn transform_helper_is_the_dihedral_group() {
    let (w, h) = (3, 2);
    let g: Vec<u8> = (0..6).collect(); // [[0,1,2],[3,4,5]]
    assert_eq!(transform(&g, w, h, 1), (2, 3, vec![2, 5, 1, 4, 0, 3]));
    assert_eq!(transform(&g, w, h, 3), (2, 3, vec![3, 0, 4, 1, 5, 2]));
    assert_eq!(transform(&g, w, h, 5), (3, 2, vec![2, 1, 0, 5, 4, 3]));
    assert_eq!(transform(&g, w, h, 6), (2, 3, vec![0, 3, 1, 4, 2, 5]));
    assert_eq!(transform(&g, w, h, 7), (2, 3, vec![5, 2, 4, 1, 3, 0]));
}

#[test]
fn derived_variants_match_rehashed_pixels() {
    let all = images();
    let worst = measure(&all);
    eprintln!("max bits per variant (orig, r90, r180, r270, fx, fy, xpose, xverse): {worst:?}");
    assert_eq!(worst[0], 0);
    assert_eq!(worst[6], 0, "transpose swaps the two passes' roles exactly");
    for (v, &d) in worst.iter().enumerate() {
        assert!(d <= 40, "variant {v}: {d} bits");
    }
}

#[test]
fn symmetric_sampling_gives_exact_variants() {
    // 64×64 (no filter) and sizes whose windows and decimation points are mirror-symmetric.
    let exact: Vec<_> = images()
        .into_iter()
        .filter(|(n, ..)| n.contains("64x64") || n.contains("sine-96") || n.contains("513x301"))
        .collect();
    assert_eq!(exact.len(), 3);
    assert_eq!(measure(&exact), [0; 8]);
}
