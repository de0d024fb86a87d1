"""Reading the images biologists have (8/16-bit, grey/colour/alpha, multi-page TIFF) and turning
them into what a network or a screen needs.

`read_image` keeps the data as stored (dtype, channels; RGB order); `to_rgb8` and
`network_image` make the 8-bit RGB square a network is fed; `display_rgb8` auto-contrasts for
the eye. Decoding goes through bytes (`np.fromfile`), so non-ASCII paths work on every OS.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .errors import ImageReadError

# Undecodable files are reported by us, with the file name; OpenCV's own stderr lines about
# them ("IHDR chunk shall be first") only confuse. Older OpenCV builds lack this switch.
try:
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_FATAL)
except AttributeError:
    pass

IMAGE_EXTENSIONS = frozenset({
    ".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".bmp", ".dib", ".tif", ".tiff",
    ".gif", ".webp", ".ppm", ".pgm", ".pbm", ".pnm",
})
_JPEG_MAGIC = b"\xff\xd8\xff"
_JPEG_END = b"\xff\xd9"


def is_image_name(path: str | Path) -> bool:
    """True when the file name has an image extension we try to decode."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def read_image(path: str | Path) -> np.ndarray:
    """Decode an image file as stored: HxW (grey) or HxWxC (RGB / RGBA order), dtype kept.

    Multi-page files give their first page. Raises ImageReadError with the reason on failure.
    """
    path = Path(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise ImageReadError(path, f"cannot be opened ({exc.strerror or exc})") from exc
    if data.size == 0:
        raise ImageReadError(path, "empty file (0 bytes)")
    raw = data.tobytes()
    if raw.startswith(_JPEG_MAGIC) and _jpeg_is_truncated(raw):
        raise ImageReadError(path, "truncated JPEG (the end of the image is missing); copy the file again")
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        image = _decode_with_pillow(path, raw)
    elif image.ndim == 3:
        image = _bgr_to_rgb(image)
    return _normalise_layout(image, path)


def _jpeg_is_truncated(raw: bytes) -> bool:
    """OpenCV decodes a cut JPEG without complaint (a grey band at the bottom), so look for the
    end marker; when data follows it (camera trailers, motion photos), let Pillow decide."""
    if _JPEG_END in raw[-64:].rstrip(b"\x00"):
        return False
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(raw)) as pil:
            pil.load()
    except OSError as exc:
        return "truncated" in str(exc).lower()
    return False


def _decode_with_pillow(path: Path, raw: bytes) -> np.ndarray:
    """Fallback for what OpenCV cannot read (GIF, some TIFF compressions)."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(raw)) as pil:
            pil.seek(0)
            if pil.mode in ("P", "PA", "CMYK", "YCbCr", "LAB", "HSV"):
                pil = pil.convert("RGBA" if "A" in pil.mode or "transparency" in pil.info else "RGB")
            return np.asarray(pil)
    except UnidentifiedImageError as exc:
        raise ImageReadError(path, "not an image this program can decode") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageReadError(path, f"damaged or unsupported image ({exc})") from exc


def _bgr_to_rgb(image: np.ndarray) -> np.ndarray:
    channels = image.shape[2]
    if channels == 3:
        return image[:, :, ::-1].copy()
    if channels == 4:
        return image[:, :, [2, 1, 0, 3]].copy()
    return image


def _normalise_layout(image: np.ndarray, path: Path) -> np.ndarray:
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or image.size == 0 or min(image.shape[:2]) < 1:
        raise ImageReadError(path, f"unexpected image shape {image.shape}")
    if image.dtype == np.bool_:
        image = image.astype(np.uint8) * 255
    elif image.dtype not in (np.uint8, np.uint16, np.float32):
        image = image.astype(np.float32)
    return image


def _colour_channels(image: np.ndarray) -> np.ndarray:
    """HxWx3 view of the colour content: grey is repeated, alpha dropped, 2 channels padded."""
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    channels = image.shape[2]
    if channels >= 3:
        return image[:, :, :3]
    pad = np.zeros(image.shape[:2] + (3 - channels,), image.dtype)
    return np.concatenate([image, pad], axis=2)


def stretch_to_uint8(image: np.ndarray, low_pct: float = 0.1, high_pct: float = 99.9) -> np.ndarray:
    """Map intensities linearly so the given percentiles become 0 and 255 (auto-contrast)."""
    values = image.astype(np.float32)
    low, high = np.percentile(values, [low_pct, high_pct])
    if high <= low:
        high = low + 1.0
    scaled = (values - low) * (255.0 / (high - low))
    return np.clip(scaled, 0, 255).astype(np.uint8)


def to_rgb8(image: np.ndarray) -> np.ndarray:
    """8-bit RGB for a network. 8-bit data is kept as is; deeper data (16-bit, float) is
    auto-contrasted per image, since raw microscope counts rarely span their type's range."""
    rgb = _colour_channels(image)
    if rgb.dtype != np.uint8:
        rgb = stretch_to_uint8(rgb)
    return np.ascontiguousarray(rgb)


def display_rgb8(image: np.ndarray) -> np.ndarray:
    """8-bit RGB for the eye: everything is auto-contrasted, so dim 8-bit and 16-bit show up."""
    return np.ascontiguousarray(stretch_to_uint8(_colour_channels(image)))


def resize_square(image: np.ndarray, size: int) -> np.ndarray:
    """Resize to size x size (aspect ratio not kept: cells and tissue patches are near square)."""
    height, width = image.shape[:2]
    if (height, width) == (size, size):
        return image
    shrinking = height * width > size * size
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image, (size, size), interpolation=interpolation)


def network_image(path: str | Path, size: int) -> np.ndarray:
    """Read a file and return the size x size x 3 uint8 RGB array a network is fed."""
    return resize_square(to_rgb8(read_image(path)), size)
