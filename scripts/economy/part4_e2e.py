"""End to end (time and space together): bank each clip with a recipe (regions x density
rule, each region collapsed on its own hash, as staydown does), sample the transformed copy
at 4 fps from +130 ms, hash the upload grid, and score each upload frame by the minimum
distance to banked entries of the recipe around the same time (the entry whose span contains
it and its neighbours).

Upload grid: C19 (whole after border crop, centre crops 0.98..0.70 every 2%, top75/bottom75/
top60 bands) on every 4 fps frame; the per-side grid {0,.04,.08,.12,.16}^4 (625) on every 4th
(1 fps). Border crop: staydown's detector over the first 30 frames, made symmetric (the larger
bar on both sides). Banked works: staydown's border crop over their first 30 frames.
Saves e2e_<clip>.npz; part4_report.py makes the tables.
Usage: nice -n 10 python3 part4_e2e.py [clips]"""
import itertools
import os
import sys

import numpy as np

from lib import (COPIES, SPATIAL_VIDEOS, VIDEOS, apply_border, border_crop, centre, crop,
                 decode, hamming, pdq)
from part3_density import bank_every_collapse, bank_key_gap

PHASE = 0.130
TRS = ["identity", "crf38", "zoom80", "off15L", "off15T", "rnd0", "rnd1", "rndzoom", "crop7",
       "crop10", "crop15", "caption", "logo", "capbox3", "letterbox", "lbtext"]
if os.environ.get("TRS"):
    TRS = os.environ["TRS"].split(",")
PREFIX = os.environ.get("E2E", "e2e")
REGIONS = {"whole": (0, 0, 0, 0), "c0.95": centre(.95), "c0.90": centre(.9),
           "c0.85": centre(.85), "c0.70": centre(.7), "top75": (0, 0, 0, .25),
           "bottom75": (0, .25, 0, 0)}
C19 = {f"c{1 - 2 * i / 100:.2f}": centre(1 - 2 * i / 100) for i in range(16)}
C19.update({"top75": (0, 0, 0, .25), "bottom75": (0, .25, 0, 0), "top60": (0, 0, 0, .4)})
S = (0, .04, .08, .12, .16)
SIDE = {"g" + ",".join(f"{x:.2f}" for x in q): q for q in itertools.product(S, S, S, S)}

# density rules, by name
RULES = {
    "today": lambda h, t, ok: bank_every_collapse(h, t, ok, 16),
    "k24cap3": lambda h, t, ok: bank_key_gap(h, t, ok, 24, 2, 1 / 3),
    "k32cap2": lambda h, t, ok: bank_key_gap(h, t, ok, 32, 2, 0.5),
    "k32cap1": lambda h, t, ok: bank_key_gap(h, t, ok, 32, 2, 1.0),
}


def main():
    for v in (sys.argv[1:] or SPATIAL_VIDEOS):
        out = {}
        src, st = decode(VIDEOS[v], seconds=20)
        bcs = border_crop(src)
        src = np.stack([apply_border(f, bcs) for f in src])
        q = np.array([pdq(f)[1] for f in src])
        ok = q >= 50
        out["st"] = st
        for rn, reg in REGIONS.items():
            h = np.stack([pdq(crop(f, reg))[0] for f in src])
            out[f"bank.{rn}"] = h
            for rule, fn in RULES.items():
                out[f"idx.{rn}.{rule}"] = np.array(sorted(fn(h, st, ok)), int)
        for tr in TRS:
            cp, ct = decode(os.path.join(COPIES, f"{v}.{tr}.mp4"))
            l, t, r, b = border_crop(cp)
            sym = (max(l, r), max(t, b), max(l, r), max(t, b))
            ts = np.arange(PHASE, min(ct[-1], st[-1]), 0.25)
            idx = [int(np.argmin(np.abs(ct - x))) for x in ts]
            hc, hs, good = [], [], []
            for k, i in enumerate(idx):
                fr = apply_border(cp[i], sym)
                hc.append(np.stack([pdq(crop(fr, c))[0] for c in C19.values()]))
                good.append(pdq(fr)[1] >= 50)
                if k % 4 == 0:
                    hs.append(np.stack([pdq(crop(fr, c))[0] for c in SIDE.values()]))
            out[f"up.{tr}.t"] = ct[idx]
            out[f"up.{tr}.c19"] = np.stack(hc)
            out[f"up.{tr}.side"] = np.stack(hs)
            out[f"up.{tr}.good"] = np.array(good)
            print(v, tr, len(idx), file=sys.stderr, flush=True)
        np.savez_compressed(f"{PREFIX}_{v}.npz", c19=np.array(list(C19)), side=np.array(list(SIDE)), **out)


if __name__ == "__main__":
    main()
