//! One banking recipe: `staydown ban`, the demo and the accuracy benchmark bank the same
//! hashes, times and regions for the same video and options, and the index records the recipe
//! the checker then reads. (No ffmpeg: the demo's works are Y4M.)

mod util;

use staydown::Region;
use staydown::bank::BankOptions;
use staydown::check::Checker;
use staydown::index::{Index, IndexedFrame, Search};
use util::Dir;

/// The stored entries and the recipe of work `id` in the index at `dir`.
fn banked(dir: &std::path::Path, id: &str) -> (Vec<IndexedFrame>, BankOptions) {
    let snap = Index::open(dir).expect("index opens").snapshot();
    let w = snap
        .find(id)
        .unwrap_or_else(|| panic!("{id} banked in {}", dir.display()));
    (
        snap.work_frames(w),
        snap.recipe(w).cloned().expect("recipe"),
    )
}

#[test]
fn ban_demo_and_eval_bank_alike_and_record_the_recipe() {
    let dir = Dir::new("recipe");
    dir.command()
        .arg("demo")
        .arg("--dir")
        .arg(dir.path())
        .stdout();
    let work = dir.join("works/w-001.y4m");
    let from_demo = banked(&dir.join("index"), "w-001");

    let out = dir
        .command()
        .arg("ban")
        .arg(&work)
        .args(["--index", "by-ban", "--work", "w-001"])
        .stdout();
    assert!(
        out.contains("banned w-001: 300 frames × 4 regions = 1200 hashes"),
        "{out}"
    );
    let from_ban = banked(&dir.join("by-ban"), "w-001");

    staydown::eval::bank_index(
        std::slice::from_ref(&work),
        &dir.join("by-eval"),
        &BankOptions::default(),
    )
    .expect("eval banks");
    let from_eval = banked(&dir.join("by-eval"), "w-001");

    let n = from_ban.0.len();
    assert!(n > 20, "every region stored: {n}");
    assert_eq!(from_ban.1, BankOptions::default());
    assert_eq!(from_demo, from_ban, "the demo banks as `ban` does");
    assert_eq!(from_eval, from_ban, "the benchmark banks as `ban` does");

    // The checker reads the banked regions from the index, whichever recipe banked it.
    let snap = Index::open(dir.join("by-ban")).unwrap().snapshot();
    assert_eq!(
        Checker::new(snap).index().banked_regions(),
        BankOptions::default().region_list()
    );
    dir.command()
        .arg("ban")
        .arg(&work)
        .args(["--index", "whole", "--work", "w-001", "--recipe", "whole"])
        .stdout();
    let snap = Index::open(dir.join("whole")).unwrap().snapshot();
    assert_eq!(snap.recipe(0), Some(&BankOptions::named("whole").unwrap()));
    assert_eq!(snap.banked_regions(), [Region::Whole]);
}
