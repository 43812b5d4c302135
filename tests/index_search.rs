//! The indexed search returns exactly what a brute-force scan returns.

use proptest::prelude::*;
use staydown::bank::{self, BankOptions};
use staydown::index::Index;
use staydown::index::format::MIN_INDEXED_HASHES;
use staydown::{Fingerprint, FrameHash, Hash256, Hit, MemoryIndex, Search, WorkMeta};

/// A hash at distance `bits.len()` (or less, on repeats) from `c`: flips the given bits.
fn flip(c: &Hash256, bits: &[u8]) -> Hash256 {
    let mut h = *c;
    for &b in bits {
        h.0[(b / 64) as usize] ^= 1 << (b % 64);
    }
    h
}

fn sorted(mut v: Vec<Hit>) -> Vec<Hit> {
    v.sort();
    v
}

fn fingerprint(hashes: &[Hash256]) -> Fingerprint {
    Fingerprint {
        frames: hashes
            .iter()
            .enumerate()
            .map(|(i, h)| FrameHash {
                pts_ms: i as u64 * 250,
                hash: *h,
                quality: 100,
                mirror: None,
            })
            .collect(),
        ..Fingerprint::default()
    }
}

fn meta(id: String) -> WorkMeta {
    WorkMeta {
        id,
        added_unix_s: 1,
        ..WorkMeta::default()
    }
}

/// Banks `hashes` as work `id`, every one of them (no collapse, no quality floor), one
/// every 250 ms.
fn bank_hashes(w: &mut staydown::index::IndexWriter, id: String, hashes: &[Hash256]) {
    let opts = BankOptions {
        min_quality: 0,
        ..BankOptions::every_frame()
    };
    bank::add(
        w,
        meta(id),
        std::slice::from_ref(&fingerprint(hashes)),
        &opts,
    )
    .unwrap();
}

/// A xorshift64 stream from a non-zero `state`.
fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// `n` uniform hashes from `seed`.
fn uniform(seed: u64, n: usize) -> Vec<Hash256> {
    let mut next = xorshift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    (0..n)
        .map(|_| Hash256([next(), next(), next(), next()]))
        .collect()
}

/// Works as clusters: a centre and near copies (0..=24 bits flipped), plus uniform hashes.
fn works_strategy() -> impl Strategy<Value = Vec<Vec<Hash256>>> {
    let hash = any::<[u64; 4]>().prop_map(Hash256);
    let cluster = (
        hash.clone(),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..24), 1..30),
    )
        .prop_map(|(c, flips)| flips.iter().map(|f| flip(&c, f)).collect::<Vec<_>>());
    let work = prop_oneof![cluster, prop::collection::vec(hash, 1..30),];
    prop::collection::vec(work, 1..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn search_equals_brute_force(
        works in works_strategy(),
        segments in 1usize..3,
        removed in prop::collection::vec(any::<bool>(), 8),
        queries in prop::collection::vec((any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 0..40), any::<[u64; 4]>(), any::<bool>()), 1..12),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut index = Index::create(dir.path()).unwrap();
        let per = works.len().div_ceil(segments);
        // Each segment also gets a filler work of uniform hashes, so that it is large enough
        // to have tables and the probing path runs (smaller segments are only scanned).
        // In snapshot order: (id, hashes, removed).
        let mut banked: Vec<(String, Vec<Hash256>, bool)> = Vec::new();
        for chunk in works.chunks(per).enumerate() {
            let mut w = index.writer().unwrap();
            for (j, hashes) in chunk.1.iter().enumerate() {
                let i = chunk.0 * per + j;
                bank_hashes(&mut w, format!("w{i}"), hashes);
                banked.push((format!("w{i}"), hashes.clone(), removed[i] && i % 2 == 1));
            }
            let filler = uniform(chunk.0 as u64 + 1, MIN_INDEXED_HASHES);
            let id = format!("filler{}", chunk.0);
            bank_hashes(&mut w, id.clone(), &filler);
            banked.push((id, filler, false));
            w.commit().unwrap();
        }
        let mut w = index.writer().unwrap();
        for (id, _, gone) in &banked {
            if *gone {
                w.remove_work(id, "test").unwrap();
            }
        }
        let snap = w.commit().unwrap();

        // The reference: the live works, with the snapshot's ordinals.
        let mut mem = MemoryIndex::new();
        for (id, hashes, gone) in &banked {
            let frames: Vec<(u64, Hash256)> = if *gone {
                Vec::new()
            } else {
                hashes.iter().enumerate().map(|(k, h)| (k as u64 * 250, *h)).collect()
            };
            mem.add(meta(id.clone()), frames);
        }
        let all: Vec<Hash256> = works.iter().flatten().copied().collect();
        let qs: Vec<Hash256> = queries.iter().map(|(ix, f, u, uniform)| {
            if *uniform { Hash256(*u) } else { flip(&all[ix.index(all.len())], f) }
        }).collect();
        let batch = snap.search_batch(&qs, 31);
        for (qi, q) in qs.iter().enumerate() {
            for r in [0u32, 1, 3, 7, 8, 15, 23, 31, 32, 40, 48] {
                let mut want = Vec::new();
                mem.search(q, r, &mut want);
                let want = sorted(want);
                let mut got = Vec::new();
                snap.search(q, r, &mut got);
                prop_assert_eq!(&sorted(got), &want, "radius {}", r);
                let mut probe = Vec::new();
                snap.search_probe_only(q, r, &mut probe);
                prop_assert_eq!(&sorted(probe), &want, "probe radius {}", r);
                let mut brute = Vec::new();
                snap.search_brute(q, r, &mut brute);
                prop_assert_eq!(&sorted(brute), &want, "brute radius {}", r);
                if r == 31 {
                    prop_assert_eq!(&sorted(batch[qi].clone()), &want);
                }
            }
        }
    }
}

#[test]
fn every_radius_up_to_48_on_a_dense_cluster() {
    // Many hashes sharing substrings, so buckets are full and every probe path runs.
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15u64);
    let centre = Hash256([next(), next(), next(), next()]);
    let hashes: Vec<Hash256> = (0..MIN_INDEXED_HASHES + 200)
        .map(|_| {
            let k = (next() % 40) as usize;
            let bits: Vec<u8> = (0..k).map(|_| (next() % 256) as u8).collect();
            flip(&centre, &bits)
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut index = Index::create(dir.path()).unwrap();
    let mut w = index.writer().unwrap();
    bank_hashes(&mut w, "c".into(), &hashes);
    let snap = w.commit().unwrap();
    let mut mem = MemoryIndex::new();
    mem.add(
        meta("c".into()),
        hashes.iter().enumerate().map(|(k, h)| (k as u64 * 250, *h)),
    );
    for qi in 0..20 {
        let q = if qi < 10 {
            hashes[qi * 7]
        } else {
            flip(&centre, &[qi as u8, 100, 200])
        };
        for r in 0..=48 {
            let mut want = Vec::new();
            mem.search(&q, r, &mut want);
            let mut got = Vec::new();
            snap.search_probe_only(&q, r, &mut got);
            assert_eq!(sorted(got), sorted(want.clone()), "radius {r}");
            let mut got = Vec::new();
            snap.search(&q, r, &mut got);
            assert_eq!(sorted(got), sorted(want), "radius {r}");
        }
    }
}

/// Flips bit `b` (0 = least significant) of the 32-bit substring `t` of `h`.
fn flip_in_substring(h: &mut Hash256, t: usize, b: u32) {
    h.0[t / 2] ^= 1 << (32 * (1 - (t % 2)) as u32 + b);
}

/// A segment of 300,000 rows has 5-byte table entries (the key's 16 low bits and a 19-bit
/// row), and many rows that differ only in the 3 lowest bits of their substrings, which the
/// bucket filter must tell apart from the entry alone. The search is exactly the brute-force
/// one, and the seed search is exactly its contract: every row within the radius that is
/// within 1 bit of the query in one of the eight 32-bit substrings.
#[test]
fn a_large_segment_keeps_search_and_seeds_exact() {
    use staydown::index::format::{dir_bits_for, entry_bits, substring};
    const N: usize = 300_000;
    assert!(
        entry_bits(N, dir_bits_for(N)) > 32,
        "the test exercises entries across words"
    );
    let mut next = xorshift(0x2545_f491_4f6c_dd1du64);
    // 1,000 centres with 200 variants each that differ in the 3 low bits of substrings only,
    // and 100,000 uniform hashes; works of 1,000 rows.
    let centres: Vec<Hash256> = (0..1000)
        .map(|_| Hash256([next(), next(), next(), next()]))
        .collect();
    let mut hashes: Vec<Hash256> = Vec::with_capacity(N);
    for c in &centres {
        for _ in 0..200 {
            let mut h = *c;
            for _ in 0..1 + next() % 4 {
                flip_in_substring(&mut h, (next() % 8) as usize, (next() % 3) as u32);
            }
            hashes.push(h);
        }
    }
    while hashes.len() < N {
        hashes.push(Hash256([next(), next(), next(), next()]));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut index = Index::create(dir.path()).unwrap();
    let mut w = index.writer().unwrap();
    for (i, chunk) in hashes.chunks(1000).enumerate() {
        bank_hashes(&mut w, format!("w{i}"), chunk);
    }
    let snap = w.commit().unwrap();
    assert_eq!(snap.stats().segments, 1);
    let hash_of = |h: &Hit| hashes[h.work as usize * 1000 + (h.ref_pts_ms / 250) as usize];
    let mut queries: Vec<Hash256> = Vec::new();
    for k in 0..30 {
        let mut q = centres[k * 31];
        for _ in 0..next() % 4 {
            flip_in_substring(&mut q, (next() % 8) as usize, (next() % 3) as u32);
        }
        // And a few bits anywhere.
        for _ in 0..next() % 12 {
            let b = next() % 256;
            q.0[(b / 64) as usize] ^= 1 << (b % 64);
        }
        queries.push(q);
    }
    queries.extend((0..5).map(|_| Hash256([next(), next(), next(), next()])));
    let mut seeded = 0;
    for q in &queries {
        let mut brute = Vec::new();
        snap.search_brute(q, 31, &mut brute);
        let brute = sorted(brute);
        let mut got = Vec::new();
        snap.search(q, 31, &mut got);
        assert_eq!(sorted(got), brute);
        let mut got = Vec::new();
        snap.search_probe_only(q, 31, &mut got);
        assert_eq!(sorted(got), brute);
        let want: Vec<Hit> = brute
            .iter()
            .filter(|h| {
                let r = hash_of(h);
                (0..8).any(|t| (substring(&r, t) ^ substring(q, t)).count_ones() <= 1)
            })
            .copied()
            .collect();
        let mut got = Vec::new();
        snap.seed(q, 31, 15, &mut got);
        assert_eq!(sorted(got), want);
        seeded += want.len();
    }
    assert!(seeded > 1000, "the queries seed many rows: {seeded}");
}

/// A grown index: two segments too large to pool, six small ones searched together through
/// the snapshot's pool (one of their works removed), hashes near shared centres in all of
/// them. Every search path returns exactly what the brute-force scan does, and the seed search
/// exactly its contract.
#[test]
fn small_segments_pooled_beside_large_ones_search_exactly() {
    use staydown::index::MergePolicy;
    use staydown::index::format::substring;
    let mut next = xorshift(0x51ed_270b_2791_3d4bu64);
    let centres: Vec<Hash256> = (0..40)
        .map(|_| Hash256([next(), next(), next(), next()]))
        .collect();
    let mut near = |n: usize, uniform_every: usize| -> Vec<Hash256> {
        (0..n)
            .map(|i| {
                if i % uniform_every == 0 {
                    Hash256([next(), next(), next(), next()])
                } else {
                    let c = centres[(next() % 40) as usize];
                    let bits: Vec<u8> = (0..next() % 24).map(|_| (next() % 256) as u8).collect();
                    flip(&c, &bits)
                }
            })
            .collect()
    };
    let sizes = [70_000, 80_000, 300, 1_500, 4_000, 5_000, 12_000, 20_000];
    let works: Vec<Vec<Hash256>> = sizes.iter().map(|&n| near(n, 3)).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut index = Index::create(dir.path()).unwrap();
    index.set_merge_policy(MergePolicy::never()).unwrap();
    for (i, hashes) in works.iter().enumerate() {
        let mut w = index.writer().unwrap();
        bank_hashes(&mut w, format!("w{i}"), hashes);
        w.commit().unwrap();
    }
    let mut w = index.writer().unwrap();
    w.remove_work("w4", "test").unwrap();
    let snap = w.commit().unwrap();
    assert_eq!(snap.stats().segments, sizes.len());
    assert_eq!(snap.pooled_rows(), sizes[2..].iter().sum::<usize>());
    let hash_of = |h: &Hit| works[h.work as usize][(h.ref_pts_ms / 250) as usize];
    let mut queries: Vec<Hash256> = (0..40)
        .map(|k| {
            let bits: Vec<u8> = (0..k % 12).map(|_| (next() % 256) as u8).collect();
            flip(&centres[k], &bits)
        })
        .collect();
    queries.extend((0..5).map(|_| Hash256([next(), next(), next(), next()])));
    let (mut pooled_hits, mut seeded) = (0, 0);
    for q in &queries {
        for r in [0u32, 7, 15, 31, 40] {
            let mut brute = Vec::new();
            snap.search_brute(q, r, &mut brute);
            let brute = sorted(brute);
            let mut got = Vec::new();
            snap.search(q, r, &mut got);
            assert_eq!(sorted(got), brute, "radius {r}");
            let mut got = Vec::new();
            snap.search_probe_only(q, r, &mut got);
            assert_eq!(sorted(got), brute, "probing, radius {r}");
            if r == 31 {
                pooled_hits += brute.iter().filter(|h| h.work >= 2).count();
                let want: Vec<Hit> = brute
                    .iter()
                    .filter(|h| {
                        let b = hash_of(h);
                        (0..8).any(|t| (substring(&b, t) ^ substring(q, t)).count_ones() <= 1)
                    })
                    .copied()
                    .collect();
                let mut got = Vec::new();
                snap.seed(q, 31, 15, &mut got);
                assert_eq!(sorted(got), want);
                seeded += want.len();
            }
        }
    }
    assert!(pooled_hits > 1000, "hits in pooled segments: {pooled_hits}");
    assert!(seeded > 100, "rows seeded: {seeded}");
}
