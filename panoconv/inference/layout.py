"""Geometry of the two predict layouts: which rows are cropped, what size the network sees, padding.

The panorama layout ("Eliminating the Blind Spot", for a 2048 x 1024 equirectangular image): crop rows
[424, 724), resize to int(1024 / 2048 * 300 / 0.7191) = 208 x 1024, zero-pad the top to 256, predict
with ring padding and flip averaging, drop the padding, resize back to the crop. Generalised here by
keeping the crop as fractions of the height (424/1024, 724/1024) and the network width fixed
(default 1024), so any 2:1 panorama gives (almost) the same network input; the padding goes to the
next multiple of the card's size multiple (128 for monodepth VGG).

`band=True` takes the input as the already cropped horizon band (what upstream's `monodepth_simple.py`
is fed, e.g. a 2048 x 300 strip): the whole image is the band and its width is the panorama's width.
`resample` chooses the resizes: "float" (Lanczos-3 in float, anti-aliased bilinear back) or
"upstream" (8-bit Pillow Lanczos in, cv2 bilinear back: `inference.resize_upstream`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from panoconv.errors import InputShapeError

Camera = Literal["rectilinear", "equirectangular"]
Resample = Literal["float", "upstream"]
RESAMPLES = ("float", "upstream")
#: Pixel aspect that reproduces the equirectangular-converted KITTI training images.
KITTI_PIXEL_ASPECT = 0.7191
#: Smallest input sides accepted (smaller images carry no usable content for the network).
MIN_RECTILINEAR_SIDE = 8
MIN_PANORAMA_WIDTH = 32
#: Accepted deviation of an equirectangular image's W / H from 2.
ASPECT_TOLERANCE = 0.02
#: Below this width a 2:1 image is not taken for a panorama by shape alone (monodepth's input is 512 x 256).
MIN_AUTO_PANORAMA_WIDTH = 1024


@dataclass(frozen=True)
class PanoramaLayout:
    """Tunable constants of the panorama layout; the defaults are the reference's."""

    net_width: int = 1024
    crop_top: float = 424 / 1024
    crop_bottom: float = 724 / 1024
    pixel_aspect: float = KITTI_PIXEL_ASPECT
    resample: Resample = "float"
    band: bool = False  # the input is already the cropped band (upstream's script input)

    def __post_init__(self) -> None:
        if self.resample not in RESAMPLES:
            raise InputShapeError(f"unknown resampling {self.resample!r}; use {' or '.join(RESAMPLES)}")
        if self.net_width < 1:
            raise InputShapeError(f"network width must be positive, got {self.net_width}")
        if not 0.0 <= self.crop_top < self.crop_bottom <= 1.0:
            raise InputShapeError(f"crop rows must satisfy 0 <= top < bottom <= 1, got "
                                  f"{self.crop_top}, {self.crop_bottom}")


@dataclass(frozen=True)
class PanoramaPlan:
    """Integer sizes for one panorama of `height` x `width`."""

    height: int
    width: int
    crop_start: int  # first cropped row
    crop_stop: int  # one past the last cropped row
    resized_height: int  # rows of the cropped band at network width
    net_height: int  # resized_height + pad_top, a multiple of 128
    net_width: int

    @property
    def crop_height(self) -> int:
        return self.crop_stop - self.crop_start

    @property
    def pad_top(self) -> int:
        return self.net_height - self.resized_height


def check_equirectangular(height: int, width: int) -> None:
    """Raise unless the image is a full 360 x 180 degree panorama (W = 2 H) of usable size."""
    if height < 1 or abs(width / height - 2.0) > ASPECT_TOLERANCE * 2.0:
        raise InputShapeError(
            f"an equirectangular panorama must be twice as wide as high, got {width}x{height} "
            f"(aspect {width / max(height, 1):.3f}); use --camera rectilinear for ordinary photos")
    if width < MIN_PANORAMA_WIDTH:
        raise InputShapeError(f"panorama {width}x{height} is too small (at least {MIN_PANORAMA_WIDTH} px "
                              "wide)")


def check_net_width(layout: PanoramaLayout, size_multiple: int) -> None:
    """The panorama network width must be a positive multiple of the network's size multiple."""
    if layout.net_width < size_multiple or layout.net_width % size_multiple:
        raise InputShapeError(f"network width must be a positive multiple of {size_multiple}, "
                              f"got {layout.net_width}")


def plan_panorama(height: int, width: int, layout: PanoramaLayout = PanoramaLayout(),
                  size_multiple: int = 128) -> PanoramaPlan:
    """Sizes of the panorama layout for an input of `height` x `width` (checked to be 2:1); the padded
    network height is the next multiple of `size_multiple`."""
    check_net_width(layout, size_multiple)
    if layout.band:
        check_band(height, width)
        start, stop = 0, height
    else:
        check_equirectangular(height, width)
        start = round(layout.crop_top * height)
        stop = round(layout.crop_bottom * height)
    if stop - start < 2:
        raise InputShapeError(f"panorama {width}x{height} is too small: the cropped band has "
                              f"{stop - start} rows")
    resized = int(layout.net_width / width * (stop - start) / layout.pixel_aspect)
    resized = max(resized, 1)
    net_height = max(size_multiple, math.ceil(resized / size_multiple) * size_multiple)
    return PanoramaPlan(height, width, start, stop, resized, net_height, layout.net_width)


def check_band(height: int, width: int) -> None:
    """A horizon band (full 360 degrees wide, a strip of rows) must be wider than high and usable."""
    if width < MIN_PANORAMA_WIDTH or height < 2 or height > width:
        raise InputShapeError(f"a panorama band must be a strip at least {MIN_PANORAMA_WIDTH} px wide and "
                              f"2 rows high, wider than high; got {width}x{height}")


def check_rectilinear(height: int, width: int) -> None:
    if min(height, width) < MIN_RECTILINEAR_SIDE:
        raise InputShapeError(f"image {width}x{height} is too small (each side at least "
                              f"{MIN_RECTILINEAR_SIDE} px)")


def resolve_camera(camera: str, height: int, width: int, band: bool = False) -> Camera:
    """`auto` -> equirectangular for bands and for 2:1 images at least `MIN_AUTO_PANORAMA_WIDTH` wide,
    else rectilinear.

    Shape only; `predict` first asks the input itself (`inference.camera.choose_camera`)."""
    if camera == "auto" and band:
        return "equirectangular"
    if camera == "auto":
        two_to_one = abs(width / max(height, 1) - 2.0) <= ASPECT_TOLERANCE * 2.0
        return "equirectangular" if two_to_one and width >= MIN_AUTO_PANORAMA_WIDTH else "rectilinear"
    if camera not in ("rectilinear", "equirectangular"):
        raise InputShapeError(f"unknown camera {camera!r}; use rectilinear, equirectangular or auto")
    return camera  # type: ignore[return-value]
