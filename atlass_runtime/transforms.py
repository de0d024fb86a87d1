"""Test-time transforms (T1..Tt of the paper), by the names users see.

Each takes an image as `read_image` returns it (HxW or HxWxC, RGB order, uint8 / uint16 /
float32) and returns one of the same shape and dtype. The original ATLASS's ten, with its bugs
fixed: H and V flips are no longer swapped, Gamma really changes gamma, histogram equalisation
works on colour (on luminance), and 2D-Filter sharpens instead of repeating the box blur.
"""
from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

Transform = Callable[[np.ndarray], np.ndarray]
GAMMA = 1.5
SHARPEN_KERNEL = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float32)


def _full_scale(image: np.ndarray) -> float:
    """The value that stands for 'white' in this image's type."""
    if image.dtype == np.uint8:
        return 255.0
    if image.dtype == np.uint16:
        return 65535.0
    return float(max(np.abs(image).max(), 1e-12))


def _on_colour(image: np.ndarray, fn: Transform) -> np.ndarray:
    """Apply fn to the colour (or grey) channels and keep an alpha channel untouched."""
    if image.ndim == 3 and image.shape[2] == 4:
        out = image.copy()
        out[:, :, :3] = fn(np.ascontiguousarray(image[:, :, :3]))
        return out
    return fn(image)


def _per_channel(image: np.ndarray, fn: Transform) -> np.ndarray:
    if image.ndim == 2:
        return fn(image)
    return np.stack([fn(np.ascontiguousarray(image[:, :, c])) for c in range(image.shape[2])], axis=2)


def h_flip(image):
    """Mirror left-right."""
    return np.ascontiguousarray(image[:, ::-1])


def v_flip(image):
    """Turn upside down."""
    return np.ascontiguousarray(image[::-1])


def hv_flip(image):
    """Both flips (a 180 degree rotation)."""
    return np.ascontiguousarray(image[::-1, ::-1])


def blurring(image):
    """5x5 box blur."""
    return _per_channel(image, lambda ch: cv2.blur(ch, (5, 5)))


def gamma(image, value: float = GAMMA):
    """Gamma change out = white * (in / white) ** value (value > 1 darkens the mid-tones)."""
    def apply(colour):
        white = _full_scale(colour)
        if colour.dtype in (np.uint8, np.uint16):
            levels = np.arange(int(white) + 1, dtype=np.float64)
            table = np.round(white * (levels / white) ** value).astype(colour.dtype)
            return table[colour]
        scaled = np.clip(colour / white, 0, None) ** value * white
        return scaled.astype(colour.dtype)
    return _on_colour(image, apply)


def gaussian_blur(image):
    """5x5 Gaussian blur, sigma derived from the kernel size."""
    return _per_channel(image, lambda ch: cv2.GaussianBlur(ch, (5, 5), 0))


def median_blur(image):
    """5x5 median filter (removes salt-and-pepper noise)."""
    return _per_channel(image, lambda ch: cv2.medianBlur(ch, 5))


def bilateral_filter(image):
    """Edge-preserving smoothing: diameter 9, sigmaColor 75 and sigmaSpace 75 (on an 8-bit scale)."""
    def apply(colour):
        if colour.dtype == np.uint8:
            return _bilateral_channels(colour, 75.0)
        white = _full_scale(colour)
        as_float = colour.astype(np.float32)
        out = _bilateral_channels(as_float, 75.0 * white / 255.0)
        if colour.dtype == np.uint16:
            return np.clip(np.round(out), 0, 65535).astype(np.uint16)
        return out.astype(colour.dtype)
    return _on_colour(image, apply)


def _bilateral_channels(colour, sigma_colour):
    if colour.ndim == 2 or colour.shape[2] in (1, 3):
        return cv2.bilateralFilter(colour, 9, sigma_colour, 75.0)
    return _per_channel(colour, lambda ch: cv2.bilateralFilter(ch, 9, sigma_colour, 75.0))


def _equalize_channel(channel: np.ndarray) -> np.ndarray:
    if channel.dtype == np.uint8:
        return cv2.equalizeHist(channel)
    if channel.dtype == np.uint16:
        histogram = np.bincount(channel.ravel(), minlength=65536)
        cdf = histogram.cumsum()
        first = cdf[np.nonzero(cdf)[0][0]]
        span = max(cdf[-1] - first, 1)
        table = np.clip(np.round((cdf - first) * 65535.0 / span), 0, 65535).astype(np.uint16)
        return table[channel]
    low, high = float(channel.min()), float(channel.max())
    if 0.0 <= low and high <= 1.0:      # float data on the usual 0-1 scale: use all of it
        low, high = 0.0, 1.0
    ranks = np.argsort(np.argsort(channel.ravel(), kind="stable"), kind="stable")
    spread = ranks / max(ranks.size - 1, 1) * (high - low) + low
    return spread.reshape(channel.shape).astype(channel.dtype)


def equalize_histogram(image):
    """Histogram equalisation; colour images are equalised on their luminance only."""
    def apply(colour):
        if colour.ndim == 2:
            return _equalize_channel(colour)
        if colour.shape[2] != 3:
            return _per_channel(colour, _equalize_channel)
        ycrcb = cv2.cvtColor(colour, cv2.COLOR_RGB2YCrCb)
        ycrcb[:, :, 0] = _equalize_channel(np.ascontiguousarray(ycrcb[:, :, 0]))
        return cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB)
    return _on_colour(image, apply)


def sharpen(image):
    """3x3 sharpening kernel (centre 5, neighbours -1)."""
    return _on_colour(image, lambda c: _per_channel(c, lambda ch: cv2.filter2D(ch, -1, SHARPEN_KERNEL)))


def identity(image):
    """T0: the image as it is."""
    return image


TRANSFORMS: dict[str, Transform] = {
    "H Flip": h_flip,
    "V Flip": v_flip,
    "H+V Flip": hv_flip,
    "Blurring": blurring,
    "Gamma": gamma,
    "Gaussian Blur": gaussian_blur,
    "Median Blur": median_blur,
    "Bilateral Filter": bilateral_filter,
    "Equalize histogram": equalize_histogram,
    "2D-Filter": sharpen,
}


def register_transform(name: str, fn: Transform) -> None:
    """Offer another test-time transform under a user-facing name."""
    TRANSFORMS[name] = fn


def _key(name: str) -> str:
    return "".join(name.lower().split()).replace("_", "").replace("-", "")


def canonical_transform(name: str) -> str:
    """'h flip', 'H_Flip', 'hflip' -> 'H Flip'; unknown names raise KeyError."""
    wanted = _key(name)
    for known in TRANSFORMS:
        if _key(known) == wanted:
            return known
    raise KeyError(f"unknown transform {name!r}; choose from {', '.join(TRANSFORMS)}")


def get_transform(name: str) -> Transform:
    return TRANSFORMS[canonical_transform(name)]


def transform_pipeline(names) -> list[tuple[str, Transform]]:
    """T0 (identity) followed by the named transforms: the views each model is asked about."""
    return [("Original", identity)] + [(canonical_transform(n), get_transform(n)) for n in names]
