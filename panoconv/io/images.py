"""Load images as float RGB in [0, 1], with one clear error per bad file.

Grayscale, RGBA, palette and 16-bit images are converted; what was converted is returned as a note so
callers can report it instead of doing it silently. EXIF orientation is applied (and noted), as every
photo viewer does.

Images may come from anywhere, so before any pixel is decoded: the path must be a regular file (a FIFO or
a device is refused without blocking: it is opened non-blocking and checked with fstat), and the size
declared in the header must stay under `max_pixels` (default 100 MP; a 50000 x 50000 PNG header of a few
hundred bytes is refused at once instead of allocating 7.5 GB). Truncated or damaged pixel data
(a short IDAT, a cut JPEG) is refused, never zero-filled.
"""

from __future__ import annotations

import contextlib
import os
import stat
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from panoconv.errors import PanoconvError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".ppm", ".webp"}
DEFAULT_MAX_PIXELS = 100_000_000
_KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}
_ORIENTATION = 0x0112
_DEFLATE_MAX_RATIO = 1032


class ImageReadError(PanoconvError):
    """A file is missing, unreadable or not an image."""


@dataclass(frozen=True)
class LoadedImage:
    pixels: np.ndarray  # (H, W, 3) float32 in [0, 1]
    note: str | None  # e.g. "16-bit grayscale converted to RGB"


def open_regular(path: Path) -> BinaryIO:
    """Open `path` for reading only if it is a regular file; a FIFO or device is refused without blocking."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ImageReadError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImageReadError(f"{path}: is a folder, not an image file") from None
    except OSError as err:
        raise ImageReadError(f"{path}: cannot open ({err.strerror})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise ImageReadError(f"{path}: is {_KINDS.get(stat.S_IFMT(mode), 'not a regular file')}, not an "
                             "image file")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def check_max_pixels(max_pixels: int | None) -> int:
    """The pixel limit to use (`None`: the default); a bad value is one line."""
    limit = DEFAULT_MAX_PIXELS if max_pixels is None else int(max_pixels)
    if limit < 1:
        raise PanoconvError(f"--max-pixels must be at least 1, got {limit}")
    return limit


@contextlib.contextmanager
def open_image(path: Path | str, max_pixels: int | None = None) -> Iterator[Image.Image]:
    """A lazily decoded PIL image of a regular file whose header size is within `max_pixels`."""
    path, limit = Path(path), check_max_pixels(max_pixels)
    with open_regular(path) as f:
        try:
            with _pil_limit(limit), _warnings_are_damage():
                img = Image.open(f)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, UserWarning) as err:
            raise ImageReadError(f"{path}: not a readable image ({type(err).__name__}: {err})") from None
        with img:
            w, h = img.size
            if w * h > limit:
                raise ImageReadError(f"{path}: {w}x{h} image ({_mp(w * h)}) is larger than --max-pixels "
                                     f"{_mp(limit)}; raise --max-pixels to read it")
            if w < 1 or h < 1:
                raise ImageReadError(f"{path}: empty image")
            _check_png_data(path, img, os.fstat(f.fileno()).st_size)
            yield img


def _check_png_data(path: Path, img: Image.Image, file_size: int) -> None:
    """A PNG whose file could not inflate to its declared size (deflate expands at most 1032:1) is refused
    before the decoder allocates the image: it is truncated, or a decompression bomb."""
    if img.format != "PNG":
        return
    w, h = img.size
    least_raw = h * (1 + (w + 7) // 8)  # at 1 bit per pixel, plus the filter byte of each row
    if least_raw > _DEFLATE_MAX_RATIO * file_size + 4096:
        raise ImageReadError(f"{path}: declares {w}x{h} pixels but holds only {file_size} bytes (deflate "
                             "cannot expand that far): truncated or damaged pixel data")


def image_size(path: Path | str, max_pixels: int | None = None) -> tuple[int, int]:
    """(width, height) from the header only, with the checks of `open_image`."""
    with open_image(path, max_pixels) as img:
        return img.size


@contextlib.contextmanager
def _warnings_are_damage() -> Iterator[None]:
    """PIL warns, then zero-fills, on some damage ("Truncated File Read"): such a file is refused instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _mp(pixels: int) -> str:
    return f"{pixels / 1e6:g} MP"


@contextlib.contextmanager
def _pil_limit(limit: int) -> Iterator[None]:
    """Our header check replaces PIL's decompression-bomb refusal (which would fire first, at another limit,
    with a message about attacks) for the duration of one `Image.open`."""
    old = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = old


def load_rgb(path: Path | str, max_pixels: int | None = None) -> LoadedImage:
    """Read `path` as (H, W, 3) float32 RGB in [0, 1] (EXIF orientation applied)."""
    path = Path(path)
    with open_image(path, max_pixels) as img:
        try:
            with _warnings_are_damage():
                img.load()
            img, turned = _orient(img)
            arr, note = _to_rgb(path, img)
        except ImageReadError:
            raise
        except MemoryError:
            w, h = img.size
            raise ImageReadError(f"{path}: not enough memory to decode a {w}x{h} image") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, UserWarning) as err:
            damaged = "truncated" in str(err).lower() or isinstance(err, UserWarning)
            reason = "truncated or damaged pixel data" if damaged else "not a readable image"
            raise ImageReadError(f"{path}: {reason} ({type(err).__name__}: {err})") from None
    if turned:
        note = f"{turned}; {note}" if note else turned
    return LoadedImage(arr, note)


def _orient(img: Image.Image) -> tuple[Image.Image, str | None]:
    """Apply the EXIF orientation tag (2-8) as viewers do; the note says which one was applied."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Corrupt EXIF data" and the like: the tag is then ignored
            orientation = img.getexif().get(_ORIENTATION, 1)
    except Exception:  # noqa: BLE001  (a damaged EXIF block: the pixels are still fine, the tag is ignored)
        return img, None
    if orientation not in range(2, 9):
        return img, None
    return ImageOps.exif_transpose(img), f"EXIF orientation {orientation} applied"


def _to_rgb(path: Path, img: Image.Image) -> tuple[np.ndarray, str | None]:
    mode = img.mode
    if mode in {"I;16", "I;16B", "I;16L", "I"}:
        arr = np.asarray(img, dtype=np.float64)
        scale = 65535.0 if mode.startswith("I;16") or arr.max() > 255 else 255.0
        arr = np.clip(arr / scale, 0.0, 1.0)
        return (np.repeat(arr[..., None], 3, -1).astype(np.float32),
                f"{mode} ({'16' if scale > 255 else '8'}-bit) grayscale converted to RGB")
    if mode == "F":
        raise ImageReadError(f"{path}: floating-point image, not a colour image")
    note = None if mode == "RGB" else f"{mode} converted to RGB"
    if mode in {"RGBA", "LA", "PA"}:
        note = f"{mode}: alpha dropped"
    return np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0, note


def save_rgb(path: Path, pixels: np.ndarray) -> None:
    """Write (H, W, 3) float in [0, 1] (or uint8) as an 8-bit image, atomically."""
    from panoconv.io.atomic import atomic_path

    arr = pixels if pixels.dtype == np.uint8 else np.clip(np.rint(pixels * 255.0), 0, 255).astype(np.uint8)
    with atomic_path(Path(path)) as tmp:
        Image.fromarray(arr).save(tmp, format=_format_for(Path(path)))


def _format_for(path: Path) -> str:
    return {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".bmp": "BMP", ".tif": "TIFF",
            ".tiff": "TIFF"}.get(
        path.suffix.lower(), "PNG")
