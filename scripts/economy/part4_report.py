"""Tables from e2e_*.npz (part4_e2e.py). Usage: python3 part4_report.py > part4.md"""
import glob

import numpy as np

from lib import hamming
from part3_density import bank_key_gap

EXTRA_RULES = {"k24cap4": lambda h, t, ok: bank_key_gap(h, t, ok, 24, 2, 0.25),
               "k24cap2.5": lambda h, t, ok: bank_key_gap(h, t, ok, 24, 2, 0.4)}
_cache = {}


def get_idx(z, reg, rule):
    """Banked frame indices of a region under a rule (stored by part4_e2e.py, or computed
    here from the stored per-frame hashes for rules added later)."""
    key = f"idx.{reg}.{rule}"
    if key in z.files:
        return z[key]
    ck = (z.zip.filename, key)  # not id(z): part5 reloads files and ids get reused
    if ck not in _cache:
        h = z[f"bank.{reg}"]
        _cache[ck] = np.array(sorted(EXTRA_RULES[rule](h, z["st"], np.ones(len(h), bool))), int)
    return _cache[ck]

import os
PREFIX = os.environ.get("E2E", "e2e")
Z = {f[len(PREFIX) + 1:-4]: np.load(f) for f in sorted(glob.glob(f"{PREFIX}_*.npz"))}
TRS = ["identity", "crf38", "zoom80", "off15L", "off15T", "rnd0", "rnd1", "rndzoom", "crop7",
       "crop10", "crop15", "caption", "logo", "capbox3", "letterbox", "lbtext"]
if os.environ.get("TRS"):
    TRS = os.environ["TRS"].split(",")
# upload time -> work time (speed-ups)
SPEED = {"speed11": 1.1}
U3 = ["c1.00", "top75", "bottom75"]

# name: (regions -> rule, upload grid, upload rate)
CONFIGS = {
    "T: today (6 regions, every frame/collapse 16; upload whole+bands at 1 fps)":
        ({r: "today" for r in ("whole", "c0.95", "c0.90", "c0.85", "top75", "bottom75")}, "U3", 1),
    "A: c0.70+bottom75, key24 cap 3/s; C19 4 fps + sides 1 fps":
        ({"c0.70": "k24cap3", "bottom75": "k24cap3"}, "C19+S", 4),
    "A0: as A, C19 only (no per-side grid)":
        ({"c0.70": "k24cap3", "bottom75": "k24cap3"}, "C19", 4),
    "A1: as A, upload sampled at 1 fps":
        ({"c0.70": "k24cap3", "bottom75": "k24cap3"}, "C19+S", 1),
    "B: c0.70+top75+bottom75, key32 cap 2/s":
        ({"c0.70": "k32cap2", "top75": "k32cap2", "bottom75": "k32cap2"}, "C19+S", 4),
    "C: c0.70 key24 cap 3/s + top75, bottom75 key32 cap 1/s":
        ({"c0.70": "k24cap3", "top75": "k32cap1", "bottom75": "k32cap1"}, "C19+S", 4),
    "D: c0.70+bottom75, key32 cap 2/s":
        ({"c0.70": "k32cap2", "bottom75": "k32cap2"}, "C19+S", 4),
    "E: whole+c0.70, key24 cap 3/s":
        ({"whole": "k24cap3", "c0.70": "k24cap3"}, "C19+S", 4),
    "F: c0.70 key24 cap 4/s + bottom75 key32 cap 1/s":
        ({"c0.70": "k24cap4", "bottom75": "k32cap1"}, "C19+S", 4),
    "G: c0.70 key24 cap 4/s + top75, bottom75 key32 cap 1/s":
        ({"c0.70": "k24cap4", "top75": "k32cap1", "bottom75": "k32cap1"}, "C19+S", 4),
}


def frame_dists(z, tr, regions, grid, rate):
    c19 = list(z["c19"])
    ut = z[f"up.{tr}.t"]; C = z[f"up.{tr}.c19"]; Sd = z[f"up.{tr}.side"]; good = z[f"up.{tr}.good"]
    st = z["st"]
    out_t, out_d, out_s = [], [], []
    for k in range(len(ut)):
        if rate == 1 and k % 4:
            continue
        if not good[k]:
            continue
        if grid == "U3":
            V = C[k][[c19.index(n) for n in U3]]
        else:
            V = C[k]
            if grid == "C19+S" and k % 4 == 0:
                V = np.concatenate([V, Sd[k // 4]])
        best = 999
        seeded = False
        for reg, rule in regions.items():
            I = get_idx(z, reg, rule)
            bt = st[I]
            j = int(np.searchsorted(bt, ut[k] * SPEED.get(tr, 1.0), side="right")) - 1
            cand = [I[m] for m in (j - 1, j, j + 1) if 0 <= m < len(I)]
            if not cand:
                continue
            Hb = z[f"bank.{reg}"][cand]
            d, s = seed_pairs(V, Hb)
            best = min(best, int(d.min()))
            seeded = seeded or bool(s.any())
        out_t.append(ut[k]); out_d.append(best); out_s.append(seeded)
    return np.array(out_t), np.array(out_d), np.array(out_s)


def seed_pairs(V, B):
    """Distances of all variant x banked pairs, and which pairs would seed in staydown's
    index: within 40 bits and one of the eight 32-bit substrings within 1 bit."""
    x = np.bitwise_xor(V[:, None, :], B[None, :, :])
    bits = np.unpackbits(x, axis=-1)
    d = bits.sum(axis=-1)
    chunk = bits.reshape(bits.shape[0], bits.shape[1], 8, 32).sum(axis=-1).min(axis=-1)
    return d, (d <= 40) & (chunk <= 1)


def matchable(t, d, dur, seed):
    """>= 5 frames within 40 bits spanning >= min(4 s, 0.8 x length), one of them a seed
    (a pair within 40 bits sharing a 32-bit substring within 1 bit; covers all pairs <= 15)."""
    m = d <= 40
    if m.sum() < 5 or not seed.any():
        return False
    tt = t[m]
    return tt[-1] - tt[0] >= min(4.0, 0.8 * dur) - 1e-6


def main():
    clips = [c for c in Z if c != "megamind"]
    print(f"Clips scored: {', '.join(clips)} (megamind separately: its dark opening fools the border detector, see 2b).\n")
    # cost
    print("| config | banked hashes/s pooled (all regions) | worst clip | bytes/s at 79 B | at 45 B |")
    print("|---|---|---|---|---|")
    for name, (regions, grid, rate) in CONFIGS.items():
        n = 0; sec = 0; worst = 0
        for c, z in Z.items():
            st = z["st"]; dur = st[-1] - st[0] + (st[1] - st[0])
            k = sum(len(get_idx(z, r, rule)) for r, rule in regions.items())
            n += k; sec += dur; worst = max(worst, k / dur)
        print(f"| {name} | {n/sec:.2f} | {worst:.2f} | {79*n/sec:.0f} | {45*n/sec:.0f} |")
    for label, cl in (("7 clips", clips), ("megamind only", ["megamind"])):
        if not all(c in Z for c in cl):
            continue
        print(f"\n#### Per transform, {label}: median/p90 of per-frame min distance; share of frames ≤ 40; copies matchable\n")
        names = list(CONFIGS)
        print("| transform | " + " | ".join(n.split(":")[0] for n in names) + " |")
        print("|---|" + "---|" * len(names))
        for tr in TRS:
            cells = []
            for name in names:
                regions, grid, rate = CONFIGS[name]
                ds = []; mcount = 0
                for c in cl:
                    z = Z[c]
                    t, d, sd = frame_dists(z, tr, regions, grid, rate)
                    dur = z[f"up.{tr}.t"][-1] - z[f"up.{tr}.t"][0] + 0.25
                    ds.append(d); mcount += matchable(t, d, dur, sd)
                d = np.concatenate(ds)
                cells.append(f"{np.median(d):.0f}/{np.percentile(d, 90):.0f} {(d <= 40).mean():.2f} {mcount}/{len(cl)}")
            print(f"| {tr} | " + " | ".join(cells) + " |")
    print("\nConfigs:\n")
    for name in CONFIGS:
        print(f"- {name}")


if __name__ == "__main__":
    main()
