"""Transformed copies of the real clips (first 20 s), made like staydown's eval
(src/eval.rs make_copy: libx264 veryfast, crf 23 unless said, yuv420p, no audio).
Usage: nice -n 10 python3 make_copies.py"""
import os
import subprocess
import sys

from lib import COPIES, FONT, SPATIAL_VIDEOS, VIDEOS, probe

SECONDS = 20


def transforms(w, h):
    sb = f"scale={w}:{h},setsar=1"  # scaled back up to the source size
    return {
        "identity": ("null", 23),
        "crf38": ("null", 38),
        "zoom80": (f"crop=trunc(iw*0.8/2)*2:trunc(ih*0.8/2)*2,{sb}", 23),
        # 15% off the left, 5% off top, right and bottom
        "off15L": (f"crop=trunc(iw*0.8/2)*2:trunc(ih*0.9/2)*2:trunc(iw*0.15):trunc(ih*0.05),{sb}", 23),
        # 15% off the top, 5% off left, right and bottom
        "off15T": (f"crop=trunc(iw*0.9/2)*2:trunc(ih*0.8/2)*2:trunc(iw*0.05):trunc(ih*0.15),{sb}", 23),
        "crop7": ("crop=trunc(iw*0.93/2)*2:trunc(ih*0.93/2)*2", 23),
        "crop10": ("crop=trunc(iw*0.9/2)*2:trunc(ih*0.9/2)*2", 23),
        "crop15": ("crop=trunc(iw*0.85/2)*2:trunc(ih*0.85/2)*2", 23),
        "caption": (f"drawtext=fontfile='{FONT}':text='Not my video lol - subscribe':fontsize=h/11:"
                    "fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=6:x=(w-tw)/2:y=h-th-h/12", 23),
        "logo": ("FC:smptebars=s=160x90:r=30,format=yuva420p,colorchannelmixer=aa=0.8[l];"
                 "[l][0:v]scale2ref=w=iw*0.2:h=ih*0.2[l2][m];[m][l2]overlay=x=W-w-W*0.03:y=H*0.04:"
                 "shortest=1,format=yuv420p[v]", 23),
        # an opaque-ish box over the bottom third with a line of text
        "capbox3": ("drawbox=x=0:y=ih*2/3:w=iw:h=ih/3:color=black@0.75:t=fill,"
                    f"drawtext=fontfile='{FONT}':text='FULL MOVIE FREE - link in bio':fontsize=h/13:"
                    "fontcolor=white:x=(w-tw)/2:y=h*5/6-th/2", 23),
        "letterbox": ("scale=iw:trunc(ih*0.75/2)*2,pad=iw:trunc(ih/0.75/2)*2:0:(oh-ih)/2:black", 23),
        # letterbox with a line of text in the bottom bar
        "lbtext": ("scale=iw:trunc(ih*0.75/2)*2,pad=iw:trunc(ih/0.75/2)*2:0:(oh-ih)/2:black,"
                   f"drawtext=fontfile='{FONT}':text='Follow @reuploader for more':fontsize=h/16:"
                   "fontcolor=white:x=(w-tw)/2:y=h-h/16-th/2", 23),
    }


def main():
    os.makedirs(COPIES, exist_ok=True)
    only = sys.argv[1:] or SPATIAL_VIDEOS
    for v in only:
        src = VIDEOS[v]
        w, h, _ = probe(src)
        for name, (vf, crf) in transforms(w, h).items():
            out = os.path.join(COPIES, f"{v}.{name}.mp4")
            if os.path.exists(out):
                continue
            cmd = ["ffmpeg", "-v", "error", "-y", "-i", src, "-t", str(SECONDS)]
            if vf.startswith("FC:"):
                cmd += ["-filter_complex", vf[3:], "-map", "[v]"]
            else:
                cmd += ["-vf", vf]
            cmd += ["-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf),
                    "-pix_fmt", "yuv420p", "-threads", "1", out]
            subprocess.run(cmd, check=True)
            print(out, flush=True)


if __name__ == "__main__":
    main()
