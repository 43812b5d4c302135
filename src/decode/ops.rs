//! Frame operations: crop, flip, rotate, resample. Every change made to a frame's pixels before
//! it is hashed lives here, whichever side (banking or checking) asks for it.

use serde::{Deserialize, Serialize};

use super::{Crop, Frame, scale, scaled_size};

impl Crop {
    /// The rectangle a `width × height` frame keeps after the crop.
    pub fn rect(&self, width: u32, height: u32) -> crate::hash::Rect {
        let (w, h) = self.size_of(width, height);
        crate::hash::Rect {
            x: self.left.min(width.saturating_sub(1)),
            y: self.top.min(height.saturating_sub(1)),
            width: w,
            height: h,
        }
    }
}

impl Frame {
    /// A copy of the rectangle `crop` removes nothing of (see [`Crop`]); the frame itself when
    /// the crop is empty.
    pub fn cropped(&self, crop: &Crop) -> Frame {
        if crop.is_none() {
            return self.clone();
        }
        let (w, h) = crop.size_of(self.width, self.height);
        let mut luma = Vec::with_capacity(w as usize * h as usize);
        for y in crop.top..crop.top + h {
            let start = y as usize * self.width as usize + crop.left as usize;
            luma.extend_from_slice(&self.luma[start..start + w as usize]);
        }
        Frame {
            pts_ms: self.pts_ms,
            width: w,
            height: h,
            luma,
            scale: self.scale,
        }
    }
}

/// A part of a frame hashed on its own beside the whole frame.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Region {
    /// The centred crop keeping this share (0..=1) of the width and of the height.
    Centre(f64),
    /// The top of the frame, full width, keeping this share of the height.
    Top(f64),
    /// The bottom of the frame, full width, keeping this share of the height.
    Bottom(f64),
    /// The whole frame (after the black-border crop).
    Whole,
}

impl Region {
    /// The crop of `f` this region keeps.
    pub fn crop(&self, f: &Frame) -> Crop {
        let band = |keep: f64| {
            ((f64::from(f.height) * keep.clamp(0.05, 1.0)).round() as u32).clamp(1, f.height.max(1))
        };
        match *self {
            Region::Centre(keep) => centre_crop(f, keep),
            Region::Top(keep) => Crop {
                bottom: f.height - band(keep),
                ..Crop::default()
            },
            Region::Bottom(keep) => Crop {
                top: f.height - band(keep),
                ..Crop::default()
            },
            Region::Whole => Crop::default(),
        }
    }

    /// The share of the frame's height (and, for a centre crop, width) the region keeps.
    pub fn keep(&self) -> f64 {
        match *self {
            Region::Centre(k) | Region::Top(k) | Region::Bottom(k) => k,
            Region::Whole => 1.0,
        }
    }
}

/// The centred crop of `f` keeping `keep` (0..=1) of its width and height.
pub fn centre_crop(f: &Frame, keep: f64) -> Crop {
    let keep = keep.clamp(0.05, 1.0);
    let w = ((f64::from(f.width) * keep).round() as u32).clamp(1, f.width.max(1));
    let h = ((f64::from(f.height) * keep).round() as u32).clamp(1, f.height.max(1));
    let left = (f.width - w) / 2;
    let top = (f.height - h) / 2;
    Crop {
        left,
        top,
        right: f.width - w - left,
        bottom: f.height - h - top,
    }
}

/// The frame mirrored left to right.
pub fn flip(f: &Frame) -> Frame {
    let w = f.width as usize;
    let mut luma = f.luma.clone();
    if w > 0 {
        for row in luma.chunks_mut(w) {
            row.reverse();
        }
    }
    Frame { luma, ..f.clone() }
}

/// Downscales a full-range luma plane to at most `max_width` pixels wide by area averaging,
/// as the native decoders do (see the module docs). Returns the frame unchanged when it is
/// already narrow enough.
pub fn downscale(frame: Frame, max_width: Option<u32>) -> Frame {
    let (w, h) = scaled_size(frame.width, frame.height, max_width);
    if (w, h) == (frame.width, frame.height) {
        return frame;
    }
    let mut scaler = scale::AreaScaler::new(frame.width, frame.height, w, h);
    let mut out = vec![0u8; w as usize * h as usize];
    scaler.scale(&frame.luma, &mut out, scale::Range::Full);
    Frame {
        pts_ms: frame.pts_ms,
        width: w,
        height: h,
        luma: out,
        scale: frame.scale * frame.width as f32 / w as f32,
    }
}

/// Area-scales a full-range plane `src` (`sw × sh`) into `dst` (`dw × dh`).
pub(crate) fn scale_area(src: &[u8], sw: u32, sh: u32, dst: &mut [u8], dw: u32, dh: u32) {
    scale::AreaScaler::new(sw, sh, dw, dh).scale(src, dst, scale::Range::Full);
}

/// Bilinear resampling of a plane to `width × height` (brings a cropped, downscaled frame
/// back to the scale of an uncropped one).
pub fn resample_bilinear(frame: &Frame, width: u32, height: u32) -> Frame {
    Frame {
        pts_ms: frame.pts_ms,
        width,
        height,
        luma: scale::bilinear(&frame.luma, frame.width, frame.height, width, height),
        scale: frame.scale * frame.width as f32 / width.max(1) as f32,
    }
}

/// The frame rotated by `degrees` (counter-clockwise on screen) about its centre
/// (bilinear), same size, with black where no source pixel falls.
pub fn rotate(frame: &Frame, degrees: f64) -> Frame {
    rotate_cropped(frame, degrees, &Crop::default())
}

/// The part `crop` of the frame rotated by `degrees` about its centre: the pixels of
/// `rotate(frame, degrees).cropped(crop)` (up to one level of rounding), computing only
/// those (bilinear, 16.16 fixed-point positions and 8-bit weights; black where no source
/// pixel falls). A crop that does not fit gives the frame unchanged.
pub fn rotate_cropped(frame: &Frame, degrees: f64, crop: &Crop) -> Frame {
    let (w, h) = (frame.width as usize, frame.height as usize);
    if w == 0
        || h == 0
        || frame.luma.len() != w * h
        || !degrees.is_finite()
        || !crop.fits(frame.width, frame.height)
    {
        return frame.clone();
    }
    let (ow, oh) = crop.size_of(frame.width, frame.height);
    let (ow, oh) = (ow as usize, oh as usize);
    const ONE: f64 = 65536.0;
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
    let (max_x, max_y) = (((w - 1) as i64) << 16, ((h - 1) as i64) << 16);
    let (step_x, step_y) = ((cos * ONE).round() as i64, (sin * ONE).round() as i64);
    let src = &frame.luma;
    let mut luma = vec![0u8; ow * oh];
    for (oy, row) in luma.chunks_exact_mut(ow).enumerate() {
        let dy = (oy + crop.top as usize) as f64 - cy;
        let dx = crop.left as f64 - cx;
        // Inverse mapping: the source point that lands on the row's first pixel, then one
        // step per pixel along the row.
        let mut sx = ((cos * dx - sin * dy + cx) * ONE).round() as i64;
        let mut sy = ((sin * dx + cos * dy + cy) * ONE).round() as i64;
        for out in row.iter_mut() {
            if (0..=max_x).contains(&sx) && (0..=max_y).contains(&sy) {
                let (x0, y0) = ((sx >> 16) as usize, (sy >> 16) as usize);
                let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
                let (fx, fy) = (((sx >> 8) & 0xff) as u32, ((sy >> 8) & 0xff) as u32);
                let p = |x: usize, y: usize| u32::from(src[y * w + x]);
                let top = p(x0, y0) * (256 - fx) + p(x1, y0) * fx;
                let bottom = p(x0, y1) * (256 - fx) + p(x1, y1) * fx;
                *out = ((top * (256 - fy) + bottom * fy + (1 << 15)) >> 16) as u8;
            }
            sx += step_x;
            sy += step_y;
        }
    }
    Frame {
        pts_ms: frame.pts_ms,
        width: ow as u32,
        height: oh as u32,
        luma,
        scale: frame.scale,
    }
}

/// The largest share of width and height that a centred crop of a `width × height` frame
/// rotated by `degrees` can keep without reaching outside the original picture.
pub fn inscribed_keep(width: u32, height: u32, degrees: f64) -> f64 {
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let (sin, cos) = degrees.to_radians().abs().sin_cos();
    (w / (w * cos + h * sin))
        .min(h / (w * sin + h * cos))
        .min(1.0)
}
