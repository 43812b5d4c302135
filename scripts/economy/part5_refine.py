"""Two-stage upload search: the crop of a re-upload is the same in every frame, so the 4-D
per-side grid (625 crops) is only hashed at 1 fps; the crops that hit banked entries (within
40 bits, around the same time) vote, and the 3 most-voted crops are then hashed on every 4 fps
frame together with C19. Uses e2e_<clip>.npz (part4_e2e.py) for banked entries and stage 1.
Usage: nice -n 10 python3 part5_refine.py > part5.md"""
import glob
import os
import sys

import numpy as np

from lib import COPIES, apply_border, border_crop, crop, decode, hamming, pdq
from part4_e2e import SIDE
from part4_report import CONFIGS, PREFIX, SPEED, get_idx, matchable, seed_pairs

TRS = ["identity", "crf38", "zoom80", "off15L", "off15T", "rnd0", "rnd1", "rndzoom", "crop7",
       "crop10", "crop15", "caption", "logo", "capbox3", "letterbox", "lbtext"]
if os.environ.get("TRS"):
    TRS = os.environ["TRS"].split(",")
TOP = 3
SNAMES = list(SIDE)


def cands(z, regions, u):
    st = z["st"]
    out = []
    for reg, rule in regions.items():
        I = get_idx(z, reg, rule)
        j = int(np.searchsorted(st[I], u, side="right")) - 1
        c = [I[m] for m in (j - 1, j, j + 1) if 0 <= m < len(I)]
        if c:
            out.append(z[f"bank.{reg}"][c])
    return np.concatenate(out) if out else np.zeros((0, 32), np.uint8)


def main():
    cfg_names = [n for n in CONFIGS if n[0] in "ABCFG" and not n.startswith("A0") and not n.startswith("A1")]
    clips = sys.argv[1:] or [f[len(PREFIX) + 1:-4] for f in sorted(glob.glob(f"{PREFIX}_*.npz"))]
    res = {}  # (cfg, tr) -> list of (dists, matchable)
    chosen_log = []
    for c in clips:
        z = np.load(f"{PREFIX}_{c}.npz")
        for tr in TRS:
            ut = z[f"up.{tr}.t"]; C = z[f"up.{tr}.c19"]; Sd = z[f"up.{tr}.side"]; good = z[f"up.{tr}.good"]
            cp, ct = decode(os.path.join(COPIES, f"{c}.{tr}.mp4"))
            l, t, r, b = border_crop(cp)
            sym = (max(l, r), max(t, b), max(l, r), max(t, b))
            frames = [apply_border(cp[int(np.argmin(np.abs(ct - x)))], sym) for x in ut]
            for cn in cfg_names:
                regions = CONFIGS[cn][0]
                # stage 1: votes of the side crops at 1 fps
                votes = np.zeros(len(SNAMES), int)
                for k in range(0, len(ut), 4):
                    if not good[k]:
                        continue
                    B = cands(z, regions, ut[k] * SPEED.get(tr, 1.0))
                    if len(B) == 0:
                        continue
                    d = hamming(Sd[k // 4][:, None, :], B[None, :, :]).min(axis=1)
                    votes += d <= 40
                top = [i for i in np.argsort(-votes)[:TOP] if votes[i] > 0]
                chosen_log.append((c, tr, cn[:1], [(SNAMES[i], int(votes[i])) for i in top]))
                extra = {i: None for i in top}
                ts, ds, ss = [], [], []
                for k in range(len(ut)):
                    if not good[k]:
                        continue
                    V = [C[k]]
                    if k % 4 == 0:
                        V.append(Sd[k // 4])
                    elif top:
                        V.append(np.stack([pdq(crop(frames[k], SIDE[SNAMES[i]]))[0] for i in top]))
                    V = np.concatenate(V)
                    B = cands(z, regions, ut[k] * SPEED.get(tr, 1.0))
                    if len(B):
                        dd, sp = seed_pairs(V, B)
                        ds.append(int(dd.min())); ss.append(bool(sp.any()))
                    else:
                        ds.append(999); ss.append(False)
                    ts.append(ut[k])
                ts, ds, ss = np.array(ts), np.array(ds), np.array(ss)
                dur = ut[-1] - ut[0] + 0.25
                res.setdefault((cn, tr), []).append((c, ds, matchable(ts, ds, dur, ss)))
            print(c, tr, file=sys.stderr, flush=True)
    for label, keep in (("7 clips", lambda c: c != "megamind"), ("megamind", lambda c: c == "megamind")):
        print(f"\n#### Two-stage upload search, {label}: median/p90 per frame; share ≤ 40; copies matchable\n")
        print("| transform | " + " | ".join(n.split(":")[0] + "+refine" for n in cfg_names) + " |")
        print("|---|" + "---|" * len(cfg_names))
        for tr in TRS:
            cells = []
            for cn in cfg_names:
                rows = [x for x in res[(cn, tr)] if keep(x[0])]
                if not rows:
                    cells.append("–"); continue
                d = np.concatenate([x[1] for x in rows])
                cells.append(f"{np.median(d):.0f}/{np.percentile(d, 90):.0f} {(d <= 40).mean():.2f} {sum(x[2] for x in rows)}/{len(rows)}")
            print(f"| {tr} | " + " | ".join(cells) + " |")
    print("\nPer clip, config A, matchable (1/0):\n")
    print("| transform | " + " | ".join(clips) + " |")
    print("|---|" + "---|" * len(clips))
    for tr in TRS:
        m = {x[0]: int(x[2]) for x in res[(cfg_names[0], tr)]}
        print(f"| {tr} | " + " | ".join(str(m.get(c, "–")) for c in clips) + " |")
    with open("part5_chosen.txt", "w") as f:
        for row in chosen_log:
            f.write(repr(row) + "\n")


if __name__ == "__main__":
    main()
