"""Generality check: copies with random off-centre crops (each side cut U(0, 0.15), scaled back
to the source size) and random centred zooms (keep U(0.78, 0.95), scaled back), 2 + 1 per clip,
seed 20261203. Parameters written to random_copies.tsv.
Usage: nice -n 10 python3 make_random_copies.py"""
import os
import random
import subprocess

from lib import COPIES, SPATIAL_VIDEOS, VIDEOS, probe

rng = random.Random(20261203)
rows = []
for v in SPATIAL_VIDEOS:
    w, h, _ = probe(VIDEOS[v])
    specs = []
    for k in range(2):
        l, t, r, b = (round(rng.uniform(0, 0.15), 3) for _ in range(4))
        specs.append((f"rnd{k}", (l, t, r, b)))
    z = round(rng.uniform(0.78, 0.95), 3)
    m = (1 - z) / 2
    specs.append(("rndzoom", (m, m, m, m)))
    for name, (l, t, r, b) in specs:
        out = os.path.join(COPIES, f"{v}.{name}.mp4")
        vf = (f"crop=trunc(iw*{1-l-r:.4f}/2)*2:trunc(ih*{1-t-b:.4f}/2)*2:trunc(iw*{l:.4f}):"
              f"trunc(ih*{t:.4f}),scale={w}:{h},setsar=1")
        if not os.path.exists(out):
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", VIDEOS[v], "-t", "20", "-vf", vf,
                            "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
                            "-pix_fmt", "yuv420p", "-threads", "1", out], check=True)
        rows.append(f"{v}\t{name}\t{l}\t{t}\t{r}\t{b}")
        print(rows[-1], flush=True)
with open("random_copies.tsv", "w") as f:
    f.write("clip\tcopy\tleft\ttop\tright\tbottom\n" + "\n".join(rows) + "\n")
