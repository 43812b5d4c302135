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

#[test]
fn an_index_of_the_plane_kernel_is_banked_into_and_checked_with_it() {
    use staydown::bank;
    use staydown::fingerprint::Fingerprinter;
    use staydown::hash::Kernel;
    use staydown::index::WorkMeta;
    use staydown::{Decision, DecodeOptions};

    // 640×360 frames reach the hasher at 256×144: the two kernels hash them differently.
    let dir = Dir::new("recipe-kernel");
    let video = dir.join("w.y4m");
    staydown::synth::SynthVideo::new(17)
        .size(640, 360)
        .fps(10)
        .duration_ms(8000)
        .video()
        .save_y4m(&video)
        .unwrap();
    let meta = |id: &str| WorkMeta {
        id: id.into(),
        ..WorkMeta::default()
    };
    // An index written before format 5 reads back as the plane kernel; bank one so.
    let plane = BankOptions {
        kernel: Kernel::Plane,
        ..BankOptions::default()
    };
    let mut index = Index::create(dir.join("index")).unwrap();
    let mut w = index.writer().unwrap();
    bank::ban(&mut w, &video, meta("old"), &plane).unwrap();
    let snap = w.commit().unwrap();
    assert_eq!(snap.kernel(), Some(Kernel::Plane));

    // A later ban with the default options keeps the index's kernel.
    let mut w = index.writer().unwrap();
    bank::ban(&mut w, &video, meta("later"), &BankOptions::default()).unwrap();
    let snap = w.commit().unwrap();
    let later = snap.find("later").unwrap();
    assert_eq!(snap.recipe(later).unwrap().kernel, Kernel::Plane);

    // The kernels differ on these frames: the banked whole frames against each kernel's
    // hashes of the same frames.
    let old = snap.find("old").unwrap();
    let banked: Vec<_> = snap
        .work_frames(old)
        .into_iter()
        .filter(|r| r.region == 0)
        .collect();
    let mean_to = |kernel: Kernel| {
        let fp = Fingerprinter {
            kernel,
            ..Fingerprinter::new()
        }
        .fingerprint_path(&video, &DecodeOptions::default())
        .unwrap();
        let d: Vec<u32> = banked
            .iter()
            .filter_map(|r| {
                let f = fp.frames.iter().find(|f| f.pts_ms == u64::from(r.pts_ms))?;
                Some(f.hash.distance(&r.hash))
            })
            .collect();
        assert!(d.len() >= 4, "{d:?}");
        d.iter().sum::<u32>() as f64 / d.len() as f64
    };
    let (same, other) = (mean_to(Kernel::Plane), mean_to(Kernel::Source));
    assert!(same <= 1.0, "plane kernel: {same} bits");
    assert!(other > same + 6.0, "source kernel: {other} bits");

    // The checker hashes uploads with the index's kernel, whatever its options say.
    let checker = Checker::new(snap);
    assert_eq!(checker.options().fingerprinter.kernel, Kernel::Plane);
    let checked = checker.check_path(&video).unwrap();
    assert_eq!(checked.verdict.verdict, Decision::Match);
}
