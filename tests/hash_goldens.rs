//! Golden tests: our PDQ against hashes computed by the reference implementation
//! (`pdqhash`, Meta's C++ core) on the images in `fixtures/hash/`, bit for bit.
//! Regenerate with `python3 scripts/pdq_goldens.py` (see fixtures/hash/README.md).
//! Every golden row is checked; a failure lists every differing image and its distance.

use std::path::{Path, PathBuf};

use staydown::Hash256;
use staydown::hash::{Pdq, PdqOutput, hash_image_file};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hash")
}

fn read_csv(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(fixtures().join(name)).expect("golden csv");
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// The decoded image: (width, height, rgb, gray if the PNG is grayscale).
fn load(file: &str) -> (usize, usize, Vec<u8>, Option<Vec<u8>>) {
    let img = image::open(fixtures().join(file)).expect("fixture image");
    let (w, h) = (img.width() as usize, img.height() as usize);
    let gray = matches!(img.color(), image::ColorType::L8).then(|| img.to_luma8().into_raw());
    (w, h, img.into_rgb8().into_raw(), gray)
}

#[test]
fn every_golden_is_bit_exact() {
    let rows = read_csv("goldens.csv");
    assert!(
        rows.len() >= 30,
        "expected 30+ golden images, found {}",
        rows.len()
    );
    let mut pdq = Pdq::new();
    let mut failures = Vec::new();
    let (mut checked, mut gray_checked) = (0, 0);
    for row in &rows {
        let (file, want) = (
            &row[0],
            PdqOutput {
                hash: row[1].parse::<Hash256>().unwrap(),
                quality: row[2].parse().unwrap(),
            },
        );
        let (w, h, rgb, gray) = load(file);
        let got = pdq.hash_rgb(&rgb, w, h).unwrap();
        if got != want {
            failures.push(format!(
                "{file} rgb: got {} q{} want {} q{} ({} bits apart)",
                got.hash,
                got.quality,
                want.hash,
                want.quality,
                got.hash.distance(&want.hash)
            ));
        }
        checked += 1;
        if let Some(gray) = gray {
            let got = pdq.hash_gray(&gray, w, h).unwrap();
            if got != want {
                failures.push(format!("{file} gray: got {} q{}", got.hash, got.quality));
            }
            gray_checked += 1;
        }
        // The file entry point agrees (PNG, no resize).
        let from_file = hash_image_file(&fixtures().join(file), false).unwrap();
        if from_file != want {
            failures.push(format!(
                "{file} via hash_image_file: got {}",
                from_file.hash
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} goldens differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(gray_checked >= 10, "only {gray_checked} gray goldens");
}

#[test]
fn dihedral_hashes_match_the_reference_dihedral_hashes() {
    let rows = read_csv("dihedral.csv");
    assert!(!rows.is_empty());
    let mut pdq = Pdq::new();
    let mut failures = Vec::new();
    for row in &rows {
        let (w, h, _, gray) = load(&row[0]);
        let gray = gray.expect("dihedral goldens are gray images");
        let got = pdq.hash_dihedral_gray(&gray, w, h).unwrap();
        for (k, (g, want)) in got.iter().zip(&row[1..]).enumerate() {
            let want: Hash256 = want.parse().unwrap();
            if g.hash != want {
                failures.push(format!(
                    "{} variant {k}: {} bits apart",
                    row[0],
                    g.hash.distance(&want)
                ));
            }
        }
        let (out, mirror) = pdq.hash_gray_with_mirror(&gray, w, h).unwrap();
        assert_eq!(out, got[0]);
        assert_eq!(
            mirror, got[5].hash,
            "{}: mirror is the flipY variant",
            row[0]
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reference_resize_squashes_large_images_like_the_photo_tool() {
    let resized = read_csv("resized.csv");
    assert!(resized.len() >= 5);
    for row in &resized {
        let want = PdqOutput {
            hash: row[1].parse().unwrap(),
            quality: row[2].parse().unwrap(),
        };
        let got = hash_image_file(&fixtures().join(&row[0]), true).unwrap();
        assert_eq!(got, want, "{}", row[0]);
    }
    // Images of at most 512 px are hashed as they are.
    for row in read_csv("goldens.csv") {
        if resized.iter().any(|r| r[0] == row[0]) {
            continue;
        }
        let got = hash_image_file(&fixtures().join(&row[0]), true).unwrap();
        assert_eq!(got.hash.to_string(), row[1], "{}", row[0]);
    }
}
