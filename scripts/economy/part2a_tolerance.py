"""How far PDQ moves when the upload-side crop misses the banked region: centre-crop
mismatch and shifts. Banked region hashed on the source frame, variant on the identity copy
(re-encoded crf 23), same frame. 16 frames per clip, frames of quality < 50 dropped.
Usage: nice -n 10 python3 part2a_tolerance.py > part2a.md"""
import os
import sys

import numpy as np

from lib import apply_border, border_crop, COPIES, SPATIAL_VIDEOS, VIDEOS, centre, crop, decode, hamming, pdq

N = 16


def conditions():
    c = []
    # banked whole frame; upload keeps 1-d of the width and height (centre)
    for d in [0, .01, .02, .03, .05, .075, .10]:
        c.append((f"whole vs centre {1-d:.3f}", (0, 0, 0, 0), centre(1 - d)))
    # banked centre 0.8; upload centre 0.8+d
    for d in [-.05, -.03, -.02, -.01, .01, .02, .03, .05]:
        c.append((f"c0.8 vs centre {0.8+d:.2f} (d={d:+.2f})", centre(.8), centre(.8 + d)))
    # banked centre 0.8; same size window shifted by s of the width / height / both
    for s in [.01, .02, .03, .04, .05, .06]:
        c.append((f"c0.8 shift x {s:.2f}", centre(.8), (.1 + s, .1, .1 - s, .1)))
    for s in [.01, .02, .03, .04, .05, .06]:
        c.append((f"c0.8 shift y {s:.2f}", centre(.8), (.1, .1 + s, .1, .1 - s)))
    for s in [.01, .02, .03, .04, .06]:
        c.append((f"c0.8 shift xy {s:.2f}", centre(.8), (.1 + s, .1 + s, .1 - s, .1 - s)))
    # one side only cut further (asymmetric mismatch)
    for s in [.01, .02, .03, .05]:
        c.append((f"c0.8 left side +{s:.2f}", centre(.8), (.1 + s, .1, .1, .1)))
    return c


def main():
    conds = conditions()
    dist = {name: [] for name, _, _ in conds}
    for v in SPATIAL_VIDEOS:
        src, st = decode(VIDEOS[v], seconds=20)
        bcs = border_crop(src)  # staydown crops the work's borders too
        src = np.stack([apply_border(f, bcs) for f in src])
        pass  # absolute pts: source and copy share them
        cp, ct = decode(os.path.join(COPIES, f"{v}.identity.mp4"))
        bcc = border_crop(cp)
        cp = np.stack([apply_border(f, bcc) for f in cp])
        pass
        idx = np.linspace(2, len(src) - 3, N).astype(int)
        for i in idx:
            hw, q = pdq(src[i])
            if q < 50:
                continue
            for name, bank, up in conds:
                hb, _ = pdq(crop(src[i], bank))
                hu, _ = pdq(crop(cp[int(np.argmin(np.abs(ct - st[i])))], up))
                dist[name].append(int(hamming(hb, hu)))
        print(v, "done", file=sys.stderr, flush=True)
    print("| banked region vs upload crop | frames | median | p90 | max |")
    print("|---|---|---|---|---|")
    for name, _, _ in conds:
        d = np.array(dist[name])
        print(f"| {name} | {len(d)} | {np.median(d):.0f} | {np.percentile(d, 90):.0f} | {d.max()} |")


if __name__ == "__main__":
    main()
