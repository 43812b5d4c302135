#!/usr/bin/env python3
"""Regenerate the PDQ golden fixtures in fixtures/hash/.

Writes PNG images the project owns (frames of our Big Buck Bunny fixture clips, and
synthetic images drawn from a seeded RNG) and their reference hashes, computed by the
`pdqhash` PyPI package (Python bindings around Meta's C++ PDQ hashing core):

    fixtures/hash/goldens.csv   file,hex,quality          (pdqhash.compute on RGB pixels)
    fixtures/hash/dihedral.csv  file,hex0,...,hex7        (pdqhash.compute_dihedral, gray images)
    fixtures/hash/resized.csv   file,hex,quality          (images over 512 px squashed first)

resized.csv mimics the reference photo tool (pdq-photo-hasher), which squashes an image wider
or taller than 512 px to 512x512 with CImg's nearest-neighbour resize: output pixel x reads
input pixel floor(x * width / 512), likewise for y.

Hashes are computed from the pixels as re-read from the saved PNG, so the fixture and its
golden always agree. Gray PNGs are hashed as RGB with R = G = B.

Needs: python3, numpy, pillow, pdqhash, and ffmpeg on PATH. Re-runnable: run from the
repository root as `python3 scripts/pdq_goldens.py`; output is deterministic for a given
ffmpeg build.
"""

import csv
import os
import subprocess
import sys

import numpy as np
import pdqhash
from PIL import Image, ImageDraw

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "hash")
VIDEO = os.path.join(ROOT, "fixtures", "video")
SEED = 20261128


def hex_of(bits):
    """256 bits, most significant first, to the reference 64-hex text form."""
    bits = [int(b) for b in bits]
    assert len(bits) == 256
    return "".join(
        "%x" % int("".join(str(b) for b in bits[i : i + 4]), 2) for i in range(0, 256, 4)
    )


def frame(video, index, width, height):
    """Frame `index` (0-based) of a fixture clip as an RGB array, full size."""
    cmd = [
        "ffmpeg", "-v", "error", "-i", os.path.join(VIDEO, video),
        "-vf", "select=eq(n\\,%d)" % index, "-frames:v", "1",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
    ]
    raw = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout
    return np.frombuffer(raw, np.uint8).reshape(height, width, 3)


def box_resize(rgb, w, h):
    return np.asarray(Image.fromarray(rgb).resize((w, h), Image.BOX))


def to_gray(rgb):
    return np.asarray(Image.fromarray(rgb).convert("L"))


def video_images():
    """(name, array) frames of our own clips; gray arrays are 2-D."""
    out = []
    f = frame("bbb-720p.mp4", 60, 1280, 720)
    out.append(("bbb720-f060-gray-1280x720.png", to_gray(f)))
    f = frame("bbb-720p.mp4", 10, 1280, 720)
    out.append(("bbb720-f010-320x180.png", box_resize(f, 320, 180)))
    for idx in (30, 95, 120):
        f = frame("bbb-720p.mp4", idx, 1280, 720)
        out.append(("bbb720-f%03d-160x90.png" % idx, box_resize(f, 160, 90)))
    f = frame("bbb-360p.mp4", 45, 640, 360)
    out.append(("bbb360-f045-gray-480x270.png", to_gray(box_resize(f, 480, 270))))
    f = frame("bbb-360p.mp4", 80, 640, 360)
    out.append(("bbb360-f080-256x144.png", box_resize(f, 256, 144)))
    out.append(("bbb360-f080-odd-211x97.png", box_resize(f, 211, 97)))
    return out


def shapes(rng, w, h, n, gray=False):
    bg = tuple(int(x) for x in rng.integers(0, 256, 3))
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    for _ in range(n):
        x0, x1 = sorted(int(v) for v in rng.integers(0, w, 2))
        y0, y1 = sorted(int(v) for v in rng.integers(0, h, 2))
        col = tuple(int(x) for x in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            d.rectangle([x0, y0, x1, y1], fill=col)
        else:
            d.ellipse([x0, y0, x1, y1], fill=col)
    a = np.asarray(img)
    return to_gray(a) if gray else a


def synthetic_images():
    rng = np.random.default_rng(SEED)
    out = []

    def noise(h, w, c=3, levels=256):
        step = 256 // levels
        shape = (h, w, c) if c > 1 else (h, w)
        return (rng.integers(0, levels, shape) * step).astype(np.uint8)

    def grad(h, w):
        y, x = np.mgrid[0:h, 0:w]
        return y, x

    out.append(("syn-1x1.png", noise(1, 1)))
    out.append(("syn-4x4.png", noise(4, 4)))
    out.append(("syn-gray-5x5.png", noise(5, 5, 1)))
    out.append(("syn-7x13.png", noise(13, 7)))
    out.append(("syn-shapes-63x65.png", shapes(rng, 63, 65, 6)))
    out.append(("syn-noise-64x64.png", noise(64, 64)))
    y, x = grad(64, 64)
    out.append(("syn-gray-grad-64x64.png", ((x * 3 + y) % 256).astype(np.uint8)))
    out.append(("syn-shapes-65x64.png", shapes(rng, 65, 64, 5)))
    out.append(("syn-gray-shapes-127x129.png", shapes(rng, 127, 129, 8, gray=True)))
    out.append(("syn-shapes-128x128.png", shapes(rng, 128, 128, 10)))
    y, x = grad(100, 200)
    out.append(("syn-hgrad-200x100.png", np.stack([x * 255 // 199, 255 - x * 255 // 199, y * 2], 2).astype(np.uint8)))
    y, x = grad(200, 100)
    out.append(("syn-gray-vgrad-100x200.png", (y * 255 // 199).astype(np.uint8)))
    y, x = grad(256, 256)
    cb = (((x // 32) + (y // 32)) % 2 * 200 + 30).astype(np.uint8)
    out.append(("syn-checker-256x256.png", np.stack([cb, cb // 2, 255 - cb], 2)))
    out.append(("syn-gray-flat-300x200.png", np.full((200, 300), 117, np.uint8)))
    out.append(("syn-flat-300x200.png", np.tile(np.array([200, 40, 90], np.uint8), (200, 300, 1))))
    a = shapes(rng, 513, 301, 25).astype(np.int16) + rng.integers(-1, 2, (301, 513, 1))
    out.append(("syn-shapes-noise-513x301.png", np.clip(a, 0, 255).astype(np.uint8)))
    out.append(("syn-gray-noise-513x301.png", noise(301, 513, 1, levels=16)))
    y, x = grad(480, 640)
    blobs = np.zeros((480, 640, 3))
    for _ in range(6):
        cx, cy, s = rng.uniform(0, 640), rng.uniform(0, 480), rng.uniform(30, 150)
        col = rng.uniform(0, 255, 3)
        g = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s))
        blobs += g[:, :, None] * col
    out.append(("syn-blobs-640x480.png", np.clip(blobs, 0, 255).astype(np.uint8)))
    y, x = grad(37, 1000)
    st = ((x // 7) % 3 * 100).astype(np.uint8)
    out.append(("syn-stripes-1000x37.png", np.stack([st, (y * 6).astype(np.uint8), 255 - st], 2)))
    y, x = grad(1000, 37)
    out.append(("syn-gray-stripes-37x1000.png", (((y // 11) % 2) * 180 + x).astype(np.uint8)))
    y, x = grad(255, 257)
    diag = ((x + y) * 255 // 510).astype(np.uint8)
    a = np.stack([diag, 255 - diag, (x * y) % 256], 2).astype(np.uint8)
    a[::17, :, :] = 0
    out.append(("syn-diag-257x255.png", a))
    y, x = grad(96, 96)
    out.append(("syn-gray-sine-96x96.png", (127.5 + 127 * np.sin(x * 0.3) * np.cos(y * 0.2)).astype(np.uint8)))
    out.append(("syn-noise-levels-333x222.png", noise(222, 333, levels=4)))
    out.append(("syn-shapes-150x150.png", shapes(rng, 150, 150, 12)))
    out.append(("syn-gray-shapes-64x64.png", shapes(rng, 64, 64, 7, gray=True)))
    out.append(("syn-gray-noise-129x128.png", noise(128, 129, 1, levels=4)))
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    images = video_images() + synthetic_images()
    rows, dihedral, resized = [], [], []
    for name, arr in images:
        path = os.path.join(OUT, name)
        Image.fromarray(arr).save(path, optimize=True)
        back = np.asarray(Image.open(path))
        assert np.array_equal(back, arr), name
        rgb = np.ascontiguousarray(np.stack([back] * 3, 2) if back.ndim == 2 else back)
        bits, quality = pdqhash.compute(rgb)
        rows.append((name, hex_of(bits), quality))
        h, w = rgb.shape[:2]
        if h > 512 or w > 512:
            ys = (np.arange(512) * h) // 512
            xs = (np.arange(512) * w) // 512
            squashed = np.ascontiguousarray(rgb[ys][:, xs])
            bits, quality = pdqhash.compute(squashed)
            resized.append((name, hex_of(bits), quality))
        if back.ndim == 2:
            hashes, q = pdqhash.compute_dihedral(rgb)
            dihedral.append([name] + [hex_of(h) for h in hashes])
    with open(os.path.join(OUT, "goldens.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["file", "hex", "quality"])
        w.writerows(rows)
    with open(os.path.join(OUT, "dihedral.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["file", "original", "rot90", "rot180", "rot270", "flipx", "flipy", "transpose", "transverse"])
        w.writerows(dihedral)
    with open(os.path.join(OUT, "resized.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["file", "hex", "quality"])
        w.writerows(resized)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n, _ in images)
    print("%d images (%d gray), %d bytes of PNG" % (len(images), len(dihedral), total), file=sys.stderr)


if __name__ == "__main__":
    main()
