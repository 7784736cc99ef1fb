"""Load images as float RGB in [0, 1], with one clear error per bad file.

Grayscale, RGBA, palette and 16-bit images are converted; what was converted is returned as a note so
callers can report it instead of doing it silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from panoconv.errors import PanoconvError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".ppm", ".webp"}


class ImageReadError(PanoconvError):
    """A file is missing, unreadable or not an image."""


@dataclass(frozen=True)
class LoadedImage:
    pixels: np.ndarray  # (H, W, 3) float32 in [0, 1]
    note: str | None  # e.g. "16-bit grayscale converted to RGB"


def load_rgb(path: Path | str) -> LoadedImage:
    """Read `path` as (H, W, 3) float32 RGB in [0, 1]."""
    path = Path(path)
    if not path.exists():
        raise ImageReadError(f"{path}: no such file")
    try:
        with Image.open(path) as img:
            img.load()
            mode = img.mode
            if mode in {"I;16", "I;16B", "I;16L", "I"}:
                arr = np.asarray(img, dtype=np.float64)
                scale = 65535.0 if mode.startswith("I;16") or arr.max() > 255 else 255.0
                arr = np.clip(arr / scale, 0.0, 1.0)
                return LoadedImage(np.repeat(arr[..., None], 3, -1).astype(np.float32),
                                   f"{mode} ({'16' if scale > 255 else '8'}-bit) grayscale converted to RGB")
            note = None if mode == "RGB" else f"{mode} converted to RGB"
            if mode == "F":
                raise ImageReadError(f"{path}: floating-point image, not a colour image")
            if mode in {"RGBA", "LA", "PA"}:
                note = f"{mode}: alpha dropped"
            rgb = img.convert("RGB")
            arr = np.asarray(rgb, dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        if isinstance(err, ImageReadError):
            raise
        raise ImageReadError(f"{path}: not a readable image ({type(err).__name__}: {err})") from None
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ImageReadError(f"{path}: empty image")
    return LoadedImage(arr, note)


def save_rgb(path: Path, pixels: np.ndarray) -> None:
    """Write (H, W, 3) float in [0, 1] (or uint8) as an 8-bit image, atomically."""
    from panoconv.io.atomic import atomic_path

    arr = pixels if pixels.dtype == np.uint8 else np.clip(np.rint(pixels * 255.0), 0, 255).astype(np.uint8)
    with atomic_path(Path(path)) as tmp:
        Image.fromarray(arr).save(tmp, format=_format_for(Path(path)))


def _format_for(path: Path) -> str:
    return {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF"}.get(
        path.suffix.lower(), "PNG")
