"""Per-side crop grid on the upload, stored as hashes: l, t, r, b each in
{0, .04, .08, .12, .16} (625 crops) + centre crops 1.00..0.70 step 0.02 + bands; after the
border crop, or the symmetric border crop (larger detected bar on both sides) when bars differ.
Transforms: identity, zoom80, off15L, off15T, rnd0, rnd1, rndzoom (random, see
random_copies.tsv), caption, logo, capbox3, lbtext. 8 frames per clip.
Also banks every clip at 2 fps (regions below) for the cross-clip false-match check.
Usage: nice -n 10 python3 part2d_sidegrid.py"""
import itertools
import os
import sys

import numpy as np

from lib import (COPIES, SPATIAL_VIDEOS, VIDEOS, apply_border, border_crop, centre, crop,
                 decode, pdq)

NF = 8
TRS = ["identity", "zoom80", "off15L", "off15T", "rnd0", "rnd1", "rndzoom", "caption", "logo",
       "capbox3", "lbtext"]
BANKED = {"whole": (0, 0, 0, 0)}
for f in (.85, .8, .75, .7, .65, .6):
    BANKED[f"c{f:.2f}"] = centre(f)
BANKED["top75"] = (0, 0, 0, .25)
BANKED["bottom75"] = (0, .25, 0, 0)
BANKED["top60"] = (0, 0, 0, .4)

S = (0, .04, .08, .12, .16)
POOL = {}
for i in range(16):
    c = 1 - 2 * i / 100
    POOL[f"c{c:.2f}"] = centre(c)
for q in itertools.product(S, S, S, S):
    POOL.setdefault("g" + ",".join(f"{x:.2f}" for x in q), q)
POOL["top75"] = (0, 0, 0, .25)
POOL["bottom75"] = (0, .25, 0, 0)
POOL["top60"] = (0, 0, 0, .4)


def main():
    vnames, bnames = list(POOL), list(BANKED)
    for v in (sys.argv[1:] or SPATIAL_VIDEOS):
        out = {}
        src, st = decode(VIDEOS[v], seconds=20)
        bcs = border_crop(src)  # staydown crops the work's borders too
        src = np.stack([apply_border(f, bcs) for f in src])
        q = np.array([pdq(f)[1] for f in src])
        cand = np.where(q >= 50)[0]
        cand = cand[(cand > 2) & (cand < len(src) - 3)]
        idx = cand[np.linspace(0, len(cand) - 1, NF).astype(int)]
        out["bank"] = np.stack([np.stack([pdq(crop(src[i], BANKED[b]))[0] for b in bnames]) for i in idx])
        b2 = [int(np.argmin(np.abs(st - k / 2))) for k in range(int(st[-1] * 2) + 1)]
        b2 = [i for i in dict.fromkeys(b2) if q[i] >= 50]
        out["bank2fps"] = np.stack([np.stack([pdq(crop(src[i], BANKED[b]))[0] for b in bnames]) for i in b2])
        for tr in TRS:
            cp, ct = decode(os.path.join(COPIES, f"{v}.{tr}.mp4"))
            bc = border_crop(cp)
            l, t, r, b = bc
            sym = (max(l, r), max(t, b), max(l, r), max(t, b))
            H = []
            for i in idx:
                ci = int(np.argmin(np.abs(ct - st[i])))
                fr = apply_border(cp[ci], sym)
                H.append(np.stack([pdq(crop(fr, POOL[n]))[0] for n in vnames]))
            out[tr] = np.stack(H)
            print(v, tr, bc, sym, file=sys.stderr, flush=True)
        np.savez_compressed(f"side_{v}.npz", vnames=np.array(vnames), bnames=np.array(bnames), **out)


if __name__ == "__main__":
    main()
