"""Stores hashes (not distances) of upload variants and banked regions, for follow-up grids
and for the cross-clip false-match check. Same frames as part2b_pool.py (10 per clip, same
time in source and copy).

Upload variants (after staydown's border crop, or after a symmetric border crop: the larger of
the two detected bars on both sides, for bars with text in them):
  centre crops keeping 1.00 .. 0.50 step 0.01
  anchored crops: keep fraction k of width and height (k in 0.96..0.70 step 0.02) placed at
  the 8 off-centre anchors (left/right/top/bottom edges and corners)
  bands top75/bottom75
Banked regions: whole, centre 0.95..0.50, top75, bottom75.
Usage: nice -n 10 python3 part2c_hashes.py"""
import os
import sys

import numpy as np

from lib import (COPIES, SPATIAL_VIDEOS, VIDEOS, apply_border, border_crop, centre, crop,
                 decode, pdq)
from part2b_pool import BANKED, NF, TRANSFORMS

BANKED = dict(BANKED)
for f in (.65, .55):
    BANKED[f"c{f:.2f}"] = centre(f)

POOL = {}
for i in range(51):
    c = 1 - i / 100
    POOL[f"c{c:.2f}"] = centre(c)
for k in np.arange(0.96, 0.699, -0.02):
    s = 1 - k
    for ax in (0, .5, 1):
        for ay in (0, .5, 1):
            if ax == .5 and ay == .5:
                continue
            POOL[f"a{k:.2f},{ax},{ay}"] = (s * ax, s * ay, s * (1 - ax), s * (1 - ay))
POOL["top75"] = (0, 0, 0, .25)
POOL["bottom75"] = (0, .25, 0, 0)


def main():
    vnames, bnames = list(POOL), list(BANKED)
    for v in (sys.argv[1:] or SPATIAL_VIDEOS):
        out = {}
        src, st = decode(VIDEOS[v], seconds=20)
        bcs = border_crop(src)  # staydown crops the work's borders too
        src = np.stack([apply_border(f, bcs) for f in src])
        pass  # absolute pts: source and copy share them
        q = np.array([pdq(f)[1] for f in src])
        cand = np.where(q >= 50)[0]
        cand = cand[(cand > 2) & (cand < len(src) - 3)]
        idx = cand[np.linspace(0, len(cand) - 1, NF).astype(int)]
        out["bank"] = np.stack([np.stack([pdq(crop(src[i], BANKED[b]))[0] for b in bnames]) for i in idx])
        out["times"] = st[idx]
        for tr in TRANSFORMS:
            cp, ct = decode(os.path.join(COPIES, f"{v}.{tr}.mp4"))
            pass
            bc = border_crop(cp)
            l, t, r, b = bc
            sym = (max(l, r), max(t, b), max(l, r), max(t, b))
            for tag, bcx in (("", bc), (".sym", sym)):
                if tag and sym == bc:
                    continue
                H = []
                for i in idx:
                    ci = int(np.argmin(np.abs(ct - st[i])))
                    fr = apply_border(cp[ci], bcx)
                    H.append(np.stack([pdq(crop(fr, POOL[n]))[0] for n in vnames]))
                out[f"{tr}{tag}"] = np.stack(H)
            print(v, tr, bc, sym, file=sys.stderr, flush=True)
        np.savez_compressed(f"hashes_{v}.npz", vnames=np.array(vnames), bnames=np.array(bnames), **out)


if __name__ == "__main__":
    main()
