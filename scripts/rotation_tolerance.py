#!/usr/bin/env python3
"""PDQ distance against rotation, as staydown sees it (for src/geometry.rs's angle grid).

Frames of a clip (extract them first, e.g. `ffmpeg -i fixtures/video/bbb-720p.mp4 -vf fps=2 f%02d.png`)
are rotated by `true` degrees at full resolution (black corners, like ffmpeg's `rotate`),
downscaled to 256 px wide (the decoder's fast path), counter-rotated by `guess` degrees at that
size and centre-cropped to `keep`; the reference is the unrotated frame, downscaled and
centre-cropped to the same `keep` (a banked crop). Prints the median and max PDQ distance per
(true, guess). Usage: rotation_tolerance.py FRAME.png...
"""
import sys

import numpy as np
import pdqhash
from PIL import Image


def gray(img):
    return img.convert("L")


def down(img, w=256):
    h = round(img.height * w / img.width)
    return img.resize((w, h), Image.BOX)


def crop(img, keep):
    w, h = img.size
    cw, ch = round(w * keep), round(h * keep)
    l, t = (w - cw) // 2, (h - ch) // 2
    return img.crop((l, t, l + cw, t + ch))


def pdq(img):
    a = np.asarray(img.convert("RGB"))
    h, q = pdqhash.compute(a)
    return h.astype(bool)


def rot(img, deg):
    return img.rotate(deg, resample=Image.BILINEAR, fillcolor=0)


def main(paths, keep=0.85):
    frames = [gray(Image.open(p)) for p in paths]
    refs = [pdq(crop(down(f), keep)) for f in frames]
    print(f"keep {keep}; rows: true angle, cols: guess; cells median/max bits over {len(frames)} frames")
    guesses = [0, 1, 2, 3, 4, 5, 6]
    print("true\\guess " + " ".join(f"{g:>7}" for g in guesses))
    for true in [0, 1, 2, 3, 4, 5, 6, 7, 8]:
        rotated = [down(rot(f, true)) for f in frames]
        cells = []
        for g in guesses:
            ds = [int((pdq(crop(rot(r, -g), keep)) != h).sum()) for r, h in zip(rotated, refs)]
            cells.append(f"{int(np.median(ds)):>3}/{max(ds):>3}")
        print(f"{true:>10} " + " ".join(cells))


if __name__ == "__main__":
    main(sys.argv[1:])
