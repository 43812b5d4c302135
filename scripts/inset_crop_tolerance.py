#!/usr/bin/env python3
"""PDQ distance of a picture-in-picture inset crop from the banked frame (for src/geometry.rs).

Frames of a clip (extract them first, e.g. `ffmpeg -i fixtures/video/bbb-720p.mp4 -vf fps=2 f%02d.png`
and run in that directory) are scaled to 320x180 and pasted at (304, 16) over smooth random
640x360 footage, as the eval's `pip-half` copy; the composite is downscaled to 256 px wide (the
decoder's fast path) and cropped to the inset at its exact sub-pixel place ("exact", rounded),
at the nearest pixels ("int") and 1 px inside ("in1"), kept whole or centre-cropped to 0.95,
hashed at its native size or upscaled to 256 px. Prints median and max PDQ bits against the
reference frame (640x360, downscaled the same way) whole and centre-cropped.
"""
import glob
import numpy as np
import pdqhash
from PIL import Image
def pdq(img):
    h,q=pdqhash.compute(np.asarray(img.convert("RGB"))); return h.astype(bool)
def down(img,w=256):
    return img.resize((w, round(img.height*w/img.width)), Image.BOX)
def crop(img,keep):
    w,h=img.size; cw,ch=round(w*keep),round(h*keep); l,t=(w-cw)/2,(h-ch)/2
    return img.crop((round(l),round(t),round(l)+cw,round(t)+ch))
frames=[Image.open(p).convert("L") for p in sorted(glob.glob('f*.png'))]
rng=np.random.default_rng(1)
res={}
for i,f in enumerate(frames):
    bg=Image.fromarray((rng.random((18,32))*255).astype(np.uint8)).resize((640,360),Image.BILINEAR)
    up=bg.copy(); up.paste(f.resize((320,180),Image.BOX),(304,16)); up=down(up)
    ref=down(f.resize((640,360),Image.BOX))
    refs={k:pdq(crop(ref,k)) for k in [1.0,0.95,0.9]}
    for name,(x0,y0,x1,y1) in {"exact":(121.6,6.4,249.6,78.4),"int":(122,7,249,78),"in1":(123,8,248,77)}.items():
        ins=up.crop((round(x0),round(y0),round(x1),round(y1)))
        for keep in [1.0,0.95]:
            c=crop(ins,keep)
            for scale in ["native","up"]:
                cc=c if scale=="native" else c.resize((round(256*keep), round(c.height*256*keep/c.width)),Image.BILINEAR)
                h=pdq(cc)
                for k,r in refs.items():
                    res.setdefault((name,keep,scale,k),[]).append(int((h!=r).sum()))
for key,v in sorted(res.items()):
    if key[1]==key[3] or key[3]==1.0: print(key, int(np.median(v)), max(v))
