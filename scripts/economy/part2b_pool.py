"""Distances between banked regions of the source frame and a pool of upload-side crops of
the transformed copy (same frame). Saves pool.npz; part2b_eval.py evaluates recipes x grids.

Pool (crops of the upload frame after staydown's border crop, (l, t, r, b) fractions cut):
  - centre crops keeping 1.00, 0.99, ..., 0.70
  - per-side grid: l, t, r, b each in {0, .04, .08, .12} (256 crops)
  - bands: top 0.75, bottom 0.75, top 0.67, bottom 0.67
Oracle: for each banked centre region the exact crop of the upload that shows it, when the
copy still contains it (from the known transform), to show the best any grid could do.
Usage: nice -n 10 python3 part2b_pool.py"""
import itertools
import os
import sys

import numpy as np

from lib import (COPIES, SPATIAL_VIDEOS, VIDEOS, apply_border, border_crop, centre, crop,
                 decode, hamming, pdq)

NF = 10
TRANSFORMS = ["identity", "crf38", "zoom80", "off15L", "off15T", "crop7", "crop10", "crop15",
              "caption", "logo", "capbox3", "letterbox", "lbtext"]
# part of the source each copy still shows: (x0, y0, x1, y1)
KEPT = {"zoom80": (.1, .1, .9, .9), "off15L": (.15, .05, .95, .95), "off15T": (.05, .15, .95, .95),
        "crop7": (.035, .035, .965, .965), "crop10": (.05, .05, .95, .95),
        "crop15": (.075, .075, .925, .925)}

BANKED = {"whole": (0, 0, 0, 0)}
for f in (.95, .9, .85, .8, .75, .7, .6, .5):
    BANKED[f"c{f:.2f}"] = centre(f)
BANKED["top75"] = (0, 0, 0, .25)
BANKED["bottom75"] = (0, .25, 0, 0)

POOL = {}
for i in range(31):
    c = 1 - i / 100
    POOL[f"c{c:.2f}"] = centre(c)
S = (0, .04, .08, .12)
for l, t, r, b in itertools.product(S, S, S, S):
    POOL.setdefault(f"g{l:.2f},{t:.2f},{r:.2f},{b:.2f}", (l, t, r, b))
POOL["top75"] = (0, 0, 0, .25)
POOL["bottom75"] = (0, .25, 0, 0)
POOL["top67"] = (0, 0, 0, .33)
POOL["bottom67"] = (0, .33, 0, 0)


def oracle_crop(kept, region):
    x0, y0, x1, y1 = kept
    l, t, r, b = region
    if l < x0 - 1e-9 or t < y0 - 1e-9 or 1 - r > x1 + 1e-9 or 1 - b > y1 + 1e-9:
        return None
    return ((l - x0) / (x1 - x0), (t - y0) / (y1 - y0), (x1 - (1 - r)) / (x1 - x0),
            (y1 - (1 - b)) / (y1 - y0))


def main():
    vnames, bnames = list(POOL), list(BANKED)
    out = {}
    for v in (sys.argv[1:] or SPATIAL_VIDEOS):
        src, st = decode(VIDEOS[v], seconds=20)
        bcs = border_crop(src)  # staydown crops the work's borders too
        src = np.stack([apply_border(f, bcs) for f in src])
        pass  # absolute pts: source and copy share them
        q = np.array([pdq(f)[1] for f in src[::1]])
        cand = np.where(q >= 50)[0]
        cand = cand[(cand > 2) & (cand < len(src) - 3)]
        idx = cand[np.linspace(0, len(cand) - 1, NF).astype(int)]
        bh = {i: np.stack([pdq(crop(src[i], BANKED[b]))[0] for b in bnames]) for i in idx}
        for tr in TRANSFORMS:
            cp, ct = decode(os.path.join(COPIES, f"{v}.{tr}.mp4"))
            pass
            bc = border_crop(cp)
            D = np.zeros((len(idx), len(vnames), len(bnames)), np.int16)
            O = np.full((len(idx), len(bnames)), 999, np.int16)
            for k, i in enumerate(idx):
                ci = int(np.argmin(np.abs(ct - st[i])))  # the copy's frame at the same time
                fr = apply_border(cp[ci], bc)
                vh = np.stack([pdq(crop(fr, POOL[n]))[0] for n in vnames])
                D[k] = hamming(vh[:, None, :], bh[i][None, :, :])
                kept = KEPT.get(tr, (0, 0, 1, 1))
                for j, b in enumerate(bnames):
                    oc = oracle_crop(kept, BANKED[b])
                    if oc is not None:
                        O[k, j] = hamming(pdq(crop(fr, oc))[0], bh[i][j])
            out[f"{v}.{tr}.D"] = D
            out[f"{v}.{tr}.O"] = O
            out[f"{v}.{tr}.border"] = np.array(bc)
            print(v, tr, "border", bc, file=sys.stderr, flush=True)
        np.savez_compressed(os.path.join(os.path.dirname(__file__) or ".", f"pool_{v}.npz"),
                            vnames=np.array(vnames), bnames=np.array(bnames), **{k: a for k, a in out.items() if k.startswith(v + ".")})


if __name__ == "__main__":
    main()
