"""Evaluates banked recipes x upload grids on pool_*.npz (from part2b_pool.py).
Cell = median / p90 over frames (8 clips x 10 frames) of the minimum distance between any
upload variant of the grid and any banked region of the recipe, same frame.
Usage: python3 part2b_eval.py > part2b.md"""
import glob
import sys

import numpy as np

files = sorted(glob.glob("pool_*.npz"))
data = {}
for f in files:
    z = np.load(f)
    vnames = list(z["vnames"]); bnames = list(z["bnames"])
    for k in z.files:
        if k.endswith(".D") or k.endswith(".O"):
            data[k] = z[k]
import os
clips = sorted({k.split(".")[0] for k in data} - set(os.environ.get("EXCLUDE", "").split(",")))
TR = ["identity", "crf38", "zoom80", "off15L", "off15T", "crop7", "crop10", "crop15", "caption",
      "logo", "capbox3", "letterbox", "lbtext"]
vi = {n: i for i, n in enumerate(vnames)}
bi = {n: i for i, n in enumerate(bnames)}

RECIPES = {
    "today (6)": ["whole", "c0.95", "c0.90", "c0.85", "top75", "bottom75"],
    "whole": ["whole"],
    "w+c0.80": ["whole", "c0.80"],
    "w+c0.75": ["whole", "c0.75"],
    "w+c0.70": ["whole", "c0.70"],
    "w+c0.80+top": ["whole", "c0.80", "top75"],
    "w+c0.60": ["whole", "c0.60"],
    "w+c0.50": ["whole", "c0.50"],
    "c0.70": ["c0.70"],
    "c0.70+top75": ["c0.70", "top75"],
}
BASE = ["c1.00", "top75", "bottom75"]


def centres(step):
    n = int(round(0.30 / step))
    return [f"c{1 - k * step:.2f}" for k in range(1, n + 1)]


def side(vals):
    return [n for n in vnames if n.startswith("g") and all(float(x) in vals for x in n[1:].split(","))]


GRIDS = {
    "U3 today's (whole, top75, bottom75)": BASE,
    "U13: + centre crops every 3% (0.97..0.70)": BASE + centres(0.03),
    "U18: + centre crops every 2% (0.98..0.70)": BASE + centres(0.02),
    "U33: + centre crops every 1% (0.99..0.70)": BASE + centres(0.01),
    "U31: U18 + per-side cuts {0,.08}^4 (16)": BASE + centres(0.02) + side({0, .08}),
    "U98: U18 + per-side cuts {0,.04,.08}^4 (81)": BASE + centres(0.02) + side({0, .04, .08}),
    "U274: U18 + per-side cuts {0,.04,.08,.12}^4 (256)": BASE + centres(0.02) + side({0, .04, .08, .12}),
}


def cell(d):
    return f"{np.median(d):.0f}/{np.percentile(d, 90):.0f}"


def mins(tr, grid, recipe):
    out = []
    g = [vi[n] for n in dict.fromkeys(grid)]
    r = [bi[n] for n in recipe]
    for c in clips:
        D = data.get(f"{c}.{tr}.D")
        if D is None:
            continue
        out.append(D[:, g][:, :, r].min(axis=(1, 2)))
    return np.concatenate(out)


def main():
    print(f"Clips: {', '.join(clips)}; {sum(data[f'{c}.identity.D'].shape[0] for c in clips)} frames per transform.\n")
    for gname, grid in GRIDS.items():
        n = len(dict.fromkeys(grid))
        print(f"\n#### Upload grid {gname} — {n} hashes per sampled frame\n")
        print("| transform | " + " | ".join(RECIPES) + " |")
        print("|---|" + "---|" * len(RECIPES))
        for tr in TR:
            print(f"| {tr} | " + " | ".join(cell(mins(tr, grid, r)) for r in RECIPES.values()) + " |")
    # share of frames within 31 / 40 bits for a few combinations
    print("\n#### Share of frames with min distance <= 40 bits (<= 31 in brackets)\n")
    combos = [("U3", "today (6)"), ("U18", "w+c0.80"), ("U18", "w+c0.75"), ("U18", "w+c0.70"),
              ("U18", "w+c0.80+top"), ("U31", "w+c0.80+top"), ("U98", "w+c0.80+top"),
              ("U274", "w+c0.80+top"), ("U274", "w+c0.70")]
    gk = {g.split(":")[0].split(" ")[0]: g for g in GRIDS}
    print("| transform | " + " | ".join(f"{g} × {r}" for g, r in combos) + " |")
    print("|---|" + "---|" * len(combos))
    for tr in TR:
        row = []
        for g, r in combos:
            d = mins(tr, GRIDS[gk[g]], RECIPES[r])
            row.append(f"{(d <= 40).mean():.2f} ({(d <= 31).mean():.2f})")
        print(f"| {tr} | " + " | ".join(row) + " |")
    # oracle
    print("\n#### Oracle: the exact crop of the upload showing each banked centre region (only where the copy still contains it); median/p90, '–' = not contained\n")
    bn = ["whole", "c0.95", "c0.90", "c0.85", "c0.80", "c0.75", "c0.70", "c0.60", "c0.50"]
    print("| transform | " + " | ".join(bn) + " |")
    print("|---|" + "---|" * len(bn))
    for tr in TR:
        row = []
        for b in bn:
            d = np.concatenate([data[f"{c}.{tr}.O"][:, bi[b]] for c in clips if f"{c}.{tr}.O" in data])
            row.append("–" if (d >= 999).all() else cell(d[d < 999]))
        print(f"| {tr} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
