"""Banking density: banked hashes per second vs the distance from upload frames (sampled at
4 fps and 1 fps, +130 ms off the banking grid) to the nearest banked frame around the same
time. Whole-frame hashes; works = first 20 s of each real clip (source decode); uploads = the
identity copy (re-encoded crf 23), so the distances include codec noise.

"Around the same time": the banked entry whose time span (from its frame to the next banked
frame) contains the upload frame's time, and the entries just before and after it.
Frames of quality < 50 are neither banked nor scored (as staydown's min_quality).
Usage: nice -n 10 python3 part3_density.py > part3.md"""
import os
import sys

import numpy as np

from lib import COPIES, SPATIAL_VIDEOS, VIDEOS, decode, hamming, pdq

SECONDS = 20
PHASE = 0.130


def bank_every_collapse(h, t, ok, T):
    out = []
    first = None
    for i in range(len(h)):
        if not ok[i]:
            continue
        if first is None or hamming(h[i], h[first]) > T:
            first = i
            out.append(i)
    return out


def bank_fixed(h, t, ok, fps):
    out = []
    k = 0
    while k / fps <= t[-1]:
        i = int(np.argmin(np.abs(t - k / fps)))
        if ok[i] and (not out or out[-1] != i):
            out.append(i)
        k += 1
    return out


def bank_key(h, t, ok, T, M):
    out = []
    for i in range(len(h)):
        if not ok[i]:
            continue
        if not out or hamming(h[i], h[out[-1]]) > T or t[i] - t[out[-1]] >= M - 1e-6:
            out.append(i)
    return out


def bank_key_gap(h, t, ok, T, M, G):
    """bank_key, but never two banked frames less than G s apart (caps the rate at 1/G)."""
    out = []
    for i in range(len(h)):
        if not ok[i]:
            continue
        if not out:
            out.append(i); continue
        dt = t[i] - t[out[-1]]
        if dt < G - 1e-6:
            continue
        if hamming(h[i], h[out[-1]]) > T or dt >= M - 1e-6:
            out.append(i)
    return out


def bank_chunk_medoid(h, t, ok, fps):
    """One banked frame per 1/fps chunk: the chunk's medoid (minimises the largest distance
    to the chunk's frames)."""
    out = []
    k = 0
    while k / fps <= t[-1]:
        run = [i for i in range(len(h)) if ok[i] and k / fps <= t[i] < (k + 1) / fps]
        if run:
            hs = h[run]
            d = hamming(hs[:, None, :], hs[None, :, :])
            out.append(run[int(np.argmin(d.max(axis=1)))])
        k += 1
    return out


def bank_key_medoid(h, t, ok, T, M):
    """Runs as bank_key (new run when > T from the run's first frame or after M s), but the
    run is represented by its medoid (the frame minimising the largest distance to the run)."""
    starts = bank_key(h, t, ok, T, M)
    out = []
    for j, s in enumerate(starts):
        e = starts[j + 1] if j + 1 < len(starts) else len(h)
        run = [i for i in range(s, e) if ok[i]]
        hs = h[run]
        d = hamming(hs[:, None, :], hs[None, :, :])
        out.append(run[int(np.argmin(d.max(axis=1)))])
    return out


RULES = [
    ("every frame, collapse 16 (today)", lambda h, t, ok: bank_every_collapse(h, t, ok, 16)),
    ("fixed 4 fps", lambda h, t, ok: bank_fixed(h, t, ok, 4)),
    ("fixed 2 fps", lambda h, t, ok: bank_fixed(h, t, ok, 2)),
    ("fixed 1 fps", lambda h, t, ok: bank_fixed(h, t, ok, 1)),
]
for T in (16, 24, 32):
    for M in (1, 2):
        RULES.append((f"key T={T} M={M}s", lambda h, t, ok, T=T, M=M: bank_key(h, t, ok, T, M)))
for T in (24, 32):
    RULES.append((f"key T={T} no M", lambda h, t, ok, T=T: bank_key(h, t, ok, T, 1e9)))
for T, M, G in ((24, 2, 1 / 3), (32, 2, 0.5), (40, 2, 0.5), (32, 3, 0.5), (32, 2, 1.0)):
    RULES.append((f"key T={T} M={M}s gap>={G:.2f}s", lambda h, t, ok, T=T, M=M, G=G: bank_key_gap(h, t, ok, T, M, G)))
for fps in (2, 1):
    RULES.append((f"chunk medoid {fps}/s", lambda h, t, ok, fps=fps: bank_chunk_medoid(h, t, ok, fps)))
for T, M in ((24, 2), (32, 2), (40, 2)):
    RULES.append((f"key T={T} M={M}s, medoid", lambda h, t, ok, T=T, M=M: bank_key_medoid(h, t, ok, T, M)))


def upload_dist(bh, bt, uh, ut):
    """For each upload frame: min distance to the banked entry whose span contains ut and
    its two neighbours."""
    out = []
    for h, tt in zip(uh, ut):
        j = int(np.searchsorted(bt, tt, side="right")) - 1
        cand = [k for k in (j - 1, j, j + 1) if 0 <= k < len(bt)]
        out.append(int(min(hamming(bh[k], h) for k in cand)))
    return out


WIN = 5.0


def windows(d, ut, step=1.0):
    """Share of WIN-second upload windows (sliding by 1 s) that a time-aligned matcher could
    take: >= 5 frames within 40 bits and >= 1 within 15 (a seed)."""
    d = np.array(d); ut = np.array(ut)
    good = tot = 0
    s0 = ut[0] if len(ut) else 0
    while len(ut) and s0 + WIN <= ut[-1] + 1e-6:
        m = (ut >= s0) & (ut < s0 + WIN)
        tot += 1
        good += int((d[m] <= 40).sum() >= 5 and (d[m] <= 15).any())
        s0 += step
    return good, tot


def main():
    vids = sys.argv[1:] or SPATIAL_VIDEOS
    per_rule = {name: {"n": 0, "sec": 0.0, "d4": [], "d1": [], "per": {}, "w4": [0, 0], "w1": [0, 0], "p90": {}} for name, _ in RULES}
    for v in vids:
        src, st = decode(VIDEOS[v], seconds=SECONDS)
        pass  # absolute pts: source and copy share them
        hq = [pdq(f) for f in src]
        h = np.stack([a for a, _ in hq])
        ok = np.array([q >= 50 for _, q in hq])
        cp, ct = decode(os.path.join(COPIES, f"{v}.identity.mp4"))
        pass
        dur = min(st[-1], ct[-1])
        secs = st[-1] - st[0] + (st[1] - st[0])
        up = {}
        for rate in (4, 1):
            ts = np.arange(PHASE, dur, 1.0 / rate)
            idx = [int(np.argmin(np.abs(ct - x))) for x in ts]
            uhq = [pdq(cp[i]) for i in idx]
            up[rate] = ([a for a, q in uhq if q >= 50], [ct[i] for i, (a, q) in zip(idx, uhq) if q >= 50])
        for name, rule in RULES:
            b = rule(h, st, ok)
            b = sorted(b)
            bh, bt = h[b], st[b]
            r = per_rule[name]
            r["n"] += len(b)
            r["sec"] += secs
            r["per"][v] = len(b) / secs
            d4 = upload_dist(bh, bt, *up[4]); d1 = upload_dist(bh, bt, *up[1])
            r["d4"] += d4; r["d1"] += d1
            r["p90"][v] = (np.percentile(d4, 90), max(d4))
            for key, d, ut in (("w4", d4, up[4][1]), ("w1", d1, up[1][1])):
                g, n = windows(d, ut)
                r[key][0] += g; r[key][1] += n
        print(v, f"{len(src)} frames, {secs:.1f} s, {ok.sum()} of quality>=50", file=sys.stderr, flush=True)
    print(f"Clips: {', '.join(vids)} (first {SECONDS} s each)\n")
    print("| rule | hashes/s (pooled) | min–max over clips | upload 4 fps: median / p90 / p99 / max | share > 31 | upload 1 fps: median / p90 / max | 5 s windows matchable, 4 fps / 1 fps |")
    print("|---|---|---|---|---|---|---|")
    for name, _ in RULES:
        r = per_rule[name]
        d4 = np.array(r["d4"]); d1 = np.array(r["d1"])
        per = list(r["per"].values())
        print(f"| {name} | {r['n']/r['sec']:.2f} (clip mean {np.mean(per):.2f}) | {min(per):.2f}–{max(per):.2f} | "
              f"{np.median(d4):.0f} / {np.percentile(d4, 90):.0f} / {np.percentile(d4, 99):.0f} / {d4.max()} | "
              f"{(d4 > 31).mean():.3f} | "
              f"{np.median(d1):.0f} / {np.percentile(d1, 90):.0f} / {d1.max()} | "
              f"{r['w4'][0]}/{r['w4'][1]} / {r['w1'][0]}/{r['w1'][1]} |")
    print("\nPer clip hashes/s:\n")
    print("| rule | " + " | ".join(vids) + " |")
    print("|---|" + "---|" * len(vids))
    for name, _ in RULES:
        r = per_rule[name]
        print(f"| {name} | " + " | ".join(f"{r['per'][v]:.2f}" for v in vids) + " |")
    print("\nPer clip upload-4fps p90 / max distance:\n")
    print("| rule | " + " | ".join(vids) + " |")
    print("|---|" + "---|" * len(vids))
    for name, _ in RULES:
        r = per_rule[name]
        print(f"| {name} | " + " | ".join(f"{r['p90'][v][0]:.0f} / {r['p90'][v][1]}" for v in vids) + " |")


if __name__ == "__main__":
    main()
