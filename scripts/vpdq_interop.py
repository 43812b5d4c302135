#!/usr/bin/env python3
"""How far `staydown hash` sits from the reference vPDQ hasher (the `vpdq` PyPI package).

Measurement and fixture tool, never a product dependency. Needs `pip install vpdq` (which
builds against the FFmpeg development libraries: libavcodec-dev, libavformat-dev, ... and
pkg-config) in a virtual environment.

    # distance of staydown's printed hashes to vpdq's, per video, on the same frames
    python3 scripts/vpdq_interop.py compare --staydown target/debug/staydown VIDEO... \
        [--every-frame] [-- EXTRA STAYDOWN HASH ARGS]

    # the reference's own hashes of a video, in vPDQ's text format
    python3 scripts/vpdq_interop.py reference VIDEO [--every-frame]

    # the committed fixtures tests/hash_interop.rs checks against (fixtures/hash/*.vpdq)
    python3 scripts/vpdq_interop.py fixtures

    # distance of what `index export` writes for a banked video to vpdq's hashes of the same
    # frames: each video banked alone into a fresh index, exported, paired by frame number
    python3 scripts/vpdq_interop.py export --staydown target/release/staydown VIDEO...

At 1 fps frames are paired by frame number (vpdq's `frame_number`, the first field of
staydown's vPDQ lines, which is the frame's index at the video's frame rate). Both sides hash
the first frame of each second for videos of whole frame rates; for other rates the two sampling
rules pick different frames, so pairs are only the frames both hashed. With `--every-frame`
both lists hold every decoded frame and are paired in order.
"""

import argparse
import os
import statistics
import subprocess
import sys


def reference(path, every_frame):
    import vpdq  # noqa: PLC0415 - only this tool needs it

    feats = vpdq.computeHash(str(path), seconds_per_hash=0 if every_frame else 1.0)
    return [(f.frame_number, f.quality, f.hex, f.timestamp) for f in feats]


def staydown(binary, path, every_frame, extra):
    cmd = [binary, "hash", str(path)]
    if every_frame:
        cmd.append("--every-frame")
    cmd += extra
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        n, q, h, t = line.split(",")
        rows.append((int(n), int(q), h, float(t)))
    return rows


def distance(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def summary(name, d, what):
    print(
        f"{name}: {len(d)} {what}, mean {statistics.mean(d):.2f} bits, "
        f"median {statistics.median(d):.0f}, max {max(d)}"
    )


def compare(args):
    all_d = []
    for video in args.videos:
        ref = reference(video, args.every_frame)
        ours = staydown(args.staydown, video, args.every_frame, args.extra)
        if args.every_frame:
            # Both lists hold every decoded frame in order; the reference numbers them by
            # decode count, which differs from the frame's time in variable-rate files.
            d = [distance(a[2], b[2]) for a, b in zip(ours, ref)]
            if len(ours) != len(ref):
                print(f"{video}: {len(ours)} frames here, {len(ref)} in the reference")
        else:
            by_number = {n: h for n, _, h, _ in ref}
            d = [distance(h, by_number[n]) for n, _, h, _ in ours if n in by_number]
        if not d:
            print(f"{video}: no frame hashed by both", file=sys.stderr)
            continue
        all_d += d
        summary(video, d, "frames")
    if all_d:
        summary("all", all_d, "frames")


def export(args):
    import tempfile  # noqa: PLC0415

    all_d = []
    for video in args.videos:
        with tempfile.TemporaryDirectory() as tmp:
            index = os.path.join(tmp, "idx")
            subprocess.run(
                [args.staydown, "ban", "--index", index, "--work", "w", str(video)],
                check=True,
                capture_output=True,
            )
            out = subprocess.run(
                [args.staydown, "index", "export", "--index", index, "w"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        by_number = {n: h for n, _, h, _ in reference(video, True)}
        d = []
        for line in out.splitlines():
            n, _, h, _ = line.split(",")
            if int(n) in by_number:
                d.append(distance(h, by_number[int(n)]))
        if not d:
            print(f"{video}: no exported frame the reference hashed", file=sys.stderr)
            continue
        all_d += d
        summary(video, d, "exported frames")
    if all_d:
        summary("all", all_d, "frames")


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (video under fixtures/video, every frame?, output under fixtures/hash)
FIXTURES = [
    ("bbb-360p.mp4", True, "bbb-360p.every-frame.vpdq"),
    ("bbb-720p.mp4", False, "bbb-720p.vpdq"),
    ("bbb-180p.webm", False, "bbb-180p.vpdq"),
]


def write_line(out, n, q, h, t):
    out.write(f"{n},{q},{h},{t:.3f}\n")


def fixtures():
    for video, every_frame, name in FIXTURES:
        path = os.path.join(ROOT, "fixtures", "video", video)
        with open(os.path.join(ROOT, "fixtures", "hash", name), "w", newline="\n") as out:
            for row in reference(path, every_frame):
                write_line(out, *row)
        print(f"fixtures/hash/{name}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--staydown", default="target/debug/staydown")
    c.add_argument("--every-frame", action="store_true")
    c.add_argument("videos", nargs="+")
    r = sub.add_parser("reference")
    r.add_argument("--every-frame", action="store_true")
    r.add_argument("video")
    sub.add_parser("fixtures")
    e = sub.add_parser("export")
    e.add_argument("--staydown", default="target/debug/staydown")
    e.add_argument("videos", nargs="+")
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    args = p.parse_args(argv)
    args.extra = extra
    if args.cmd == "compare":
        compare(args)
    elif args.cmd == "fixtures":
        fixtures()
    elif args.cmd == "export":
        export(args)
    else:
        for row in reference(args.video, args.every_frame):
            write_line(sys.stdout, *row)


if __name__ == "__main__":
    main()
