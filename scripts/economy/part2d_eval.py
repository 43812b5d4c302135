"""Evaluates recipes x upload grids on side_*.npz (part2d_sidegrid.py), plus the cross-clip
false-match check (upload variants of clip A's identity copy vs clip B banked at 2 fps).
Usage: python3 part2d_eval.py > part2d.md"""
import glob

import numpy as np

from lib import hamming

import os
Z = {f[5:-4]: np.load(f) for f in sorted(glob.glob("side_*.npz")) if f[5:-4] not in os.environ.get("EXCLUDE", "").split(",")}
clips = list(Z)
vnames = list(Z[clips[0]]["vnames"]); bnames = list(Z[clips[0]]["bnames"])
vi = {n: i for i, n in enumerate(vnames)}; bi = {n: i for i, n in enumerate(bnames)}
TRS = ["identity", "zoom80", "off15L", "off15T", "rnd0", "rnd1", "rndzoom", "caption", "logo",
       "capbox3", "lbtext"]
RECIPES = {
    "w+c0.80+top75": ["whole", "c0.80", "top75"],
    "w+c0.70": ["whole", "c0.70"],
    "c0.70": ["c0.70"],
    "w+c0.70+top75": ["whole", "c0.70", "top75"],
    "c0.70+top75": ["c0.70", "top75"],
    "c0.70+top60": ["c0.70", "top60"],
    "c0.70+bottom75": ["c0.70", "bottom75"],
    "w+c0.70+bottom75": ["whole", "c0.70", "bottom75"],
    "c0.70+top75+bottom75": ["c0.70", "top75", "bottom75"],
}
BANDS = ["top75", "bottom75", "top60"]
C16 = [f"c{1 - 2 * i / 100:.2f}" for i in range(16)]


def side(vals):
    vals = {round(v, 2) for v in vals}
    return [n for n in vnames if n.startswith("g") and all(round(float(x), 2) in vals for x in n[1:].split(","))]


GRIDS = {
    "U3: whole + 2 bands (today's upload, no mirror/rotation)": ["c1.00", "top75", "bottom75"],
    "C19: centre 1.00..0.70 /2% + 3 bands": C16 + BANDS,
    "S81: C19 + sides {0,.08,.16}^4": C16 + BANDS + side([0, .08, .16]),
    "S256: C19 + sides {0,.04,.08,.12}^4": C16 + BANDS + side([0, .04, .08, .12]),
    "S625: C19 + sides {0,.04,...,.16}^4": C16 + BANDS + side([0, .04, .08, .12, .16]),
}

# distance tensors per clip/transform: (frames, variants, banked)
DT = {}
for c in clips:
    bank = Z[c]["bank"]
    for tr in TRS:
        U = Z[c][tr]
        DT[(c, tr)] = hamming(U[:, :, None, :], bank[:, None, :, :])


def mins(tr, grid, recipe):
    g = [vi[n] for n in dict.fromkeys(grid)]
    r = [bi[n] for n in recipe]
    return np.concatenate([DT[(c, tr)][:, g][:, :, r].min(axis=(1, 2)) for c in clips])


def greedy(train, recipe, k, cap=40):
    """Greedy cover: variants that bring the most training frames within `cap` bits."""
    r = [bi[n] for n in recipe]
    M = np.concatenate([DT[(c, tr)][:, :, r].min(axis=2) for c in clips for tr in train])  # frames x variants
    chosen, covered = [], np.zeros(M.shape[0], bool)
    for _ in range(k):
        gain = ((M <= cap) & ~covered[:, None]).sum(axis=0)
        j = int(np.argmax(gain))
        if gain[j] == 0:
            break
        chosen.append(vnames[j]); covered |= M[:, j] <= cap
    return chosen


def main():
    print(f"Clips: {', '.join(clips)}; {sum(Z[c]['identity'].shape[0] for c in clips)} frames per transform.\n")
    grids = dict(GRIDS)
    for k in (24,):
        gl = C16 + BANDS + greedy(["off15L", "off15T", "zoom80", "rnd0"], ["whole", "c0.70"], k)
        grids[f"G{k}: C19 + {k} greedy (trained on off15L/T, zoom80, rnd0; w+c0.70)"] = gl
    for gname, grid in grids.items():
        n = len(dict.fromkeys(grid))
        print(f"\n#### {gname} — {n} hashes per sampled upload frame (median/p90, then share ≤ 40)\n")
        print("| transform | " + " | ".join(RECIPES) + " |")
        print("|---|" + "---|" * len(RECIPES))
        for tr in TRS:
            cells = []
            for r in RECIPES.values():
                d = mins(tr, grid, r)
                cells.append(f"{np.median(d):.0f}/{np.percentile(d, 90):.0f} ({(d <= 40).mean():.2f})")
            print(f"| {tr} | " + " | ".join(cells) + " |")
        if gname.startswith("G"):
            print("\nchosen:", " ".join(grid[len(C16) + len(BANDS):]))
    # false matches
    print("\n#### Cross-clip false matches: identity copy of clip A (every variant of the grid) vs clip B banked at 2 fps (recipe regions), A ≠ B\n")
    print("Per upload frame of A: the minimum over B's banked frames, regions and the grid's variants; over all (A, B) pairs.\n")
    print("| grid | recipe | min | p1 | p5 | median | share ≤ 40 | share ≤ 31 |")
    print("|---|---|---|---|---|---|---|---|")
    for gname, grid in list(grids.items()):
        g = [vi[n] for n in dict.fromkeys(grid)]
        for rname in ("w+c0.80+top75", "w+c0.70", "c0.70", "w+c0.70+top75", "c0.70+top75"):
            r = [bi[n] for n in RECIPES[rname]]
            vals = []
            for a in clips:
                U = Z[a]["identity"][:, g]  # frames x variants x 32
                for b in clips:
                    if a == b:
                        continue
                    B = Z[b]["bank2fps"][:, r].reshape(-1, 32)
                    d = hamming(U[:, :, None, :], B[None, None, :, :]).min(axis=(1, 2))
                    vals.append(d)
            v = np.concatenate(vals)
            print(f"| {gname.split(':')[0]} | {rname} | {v.min()} | {np.percentile(v, 1):.0f} | {np.percentile(v, 5):.0f} | {np.median(v):.0f} | {(v <= 40).mean():.4f} | {(v <= 31).mean():.4f} |")


if __name__ == "__main__":
    main()
