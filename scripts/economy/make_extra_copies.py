"""More eval rows, as the upload-side variant staydown would hash (so the e2e harness can score
them like the others): combo (crop 10% + mirror + brightness + crf 32) flipped back
(`combo_mir`), rotation 5° turned back by 6° (`rot5_back6`, staydown's nearest angle),
picture-in-picture at half size (eval's life background) cropped to the inset (`pip_inset`),
fps 30→15 (`fps15`), speed ×1.1 (`speed11`), blur σ=3, noise 25. First 20 s of each clip.
The second pass (flip back, turn back, inset crop) is encoded at crf 10.
Usage: nice -n 10 python3 make_extra_copies.py"""
import os
import subprocess

from lib import COPIES, SPATIAL_VIDEOS, VIDEOS


def enc(inp, out, vf=None, fc=None, crf=23, t=20):
    if os.path.exists(out):
        return
    cmd = ["ffmpeg", "-v", "error", "-y", "-i", inp, "-t", str(t)]
    if fc:
        cmd += ["-filter_complex", fc, "-map", "[v]"]
    else:
        cmd += ["-vf", vf]
    cmd += ["-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), "-pix_fmt",
            "yuv420p", "-threads", "1", out]
    subprocess.run(cmd, check=True)


LIFE = ("life=s=320x180:r=30:mold=10:ratio=0.12:seed=7:life_color=#e0c040:"
        "death_color=#203080,format=yuv420p,trim=duration=21")
for v in SPATIAL_VIDEOS:
    src = VIDEOS[v]
    c = lambda n: os.path.join(COPIES, f"{v}.{n}.mp4")
    enc(src, c("combo"), "crop=trunc(iw*0.9/2)*2:trunc(ih*0.9/2)*2,hflip,eq=brightness=0.1", crf=32)
    enc(c("combo"), c("combo_mir"), "hflip", crf=10)
    enc(src, c("rot5"), "rotate=5*PI/180")
    enc(c("rot5"), c("rot5_back6"), "rotate=-6*PI/180", crf=10)
    enc(src, c("pip"), fc=f"{LIFE},scale=640:360,setsar=1[bg];[0:v]scale=320:180,setsar=1[fg];"
        "[bg][fg]overlay=x=W-w-16:y=16:shortest=1,format=yuv420p[v]")
    enc(c("pip"), c("pip_inset"), "crop=320:180:304:16", crf=10)
    enc(src, c("fps15"), "fps=15")
    enc(src, c("speed11"), "setpts=PTS/1.1")
    enc(src, c("blur"), "gblur=sigma=3")
    enc(src, c("noise"), "noise=alls=25:allf=t")
    print(v, flush=True)
