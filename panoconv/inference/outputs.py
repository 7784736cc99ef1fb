"""Writers for predict outputs: raw arrays, colour-mapped PNGs and binary PLY point clouds (atomic)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from panoconv.io.atomic import atomic_file, atomic_path

SAVE_KINDS = ("disp", "depth", "png", "ply", "upstream-npy")
#: File name endings by kind; "meta" (`<stem>_meta.json`, what the outputs hold) is always written.
SUFFIX = {"disp": "_disp.npy", "depth": "_depth.npy", "png": "_disp.png", "ply": ".ply",
          "upstream-npy": "_upstream.npy", "meta": "_meta.json"}
DEFAULT_CMAP = "magma"
#: Robust colour range: values outside these percentiles saturate (one outlier must not wash out the map).
PERCENTILES = (2.0, 98.0)
#: Colour of NaN / invalid pixels (e.g. the rows outside a panorama's band): grey, which none of the
#: perceptual maps (magma, viridis, turbo, ...) contains; magenta on grey maps. Never black ("far").
INVALID_RGB = (128, 128, 128)
INVALID_RGB_ON_GREY = (255, 0, 255)
_GREY_MAPS = ("gray", "grey", "bone", "binary")


@dataclass(frozen=True)
class ColorScale:
    """How values became colours: the range (recorded in the PNG and drawn on the colour bar)."""

    low: float
    high: float
    source: str  # "given" (--range) or "percentiles 2-98" (per image)
    cmap: str = DEFAULT_CMAP

    def describe(self) -> str:
        return f"{self.low:.6g}..{self.high:.6g} ({self.source})"


def check_save_kinds(save: Sequence[str]) -> None:
    """`predict --save` kinds: a non-empty list of `SAVE_KINDS`."""
    from panoconv.errors import PanoconvError

    bad = [s for s in save if s not in SAVE_KINDS]
    if bad or not save:
        raise PanoconvError(f"--save takes a comma list of {', '.join(SAVE_KINDS)}; got {','.join(save)}")


def save_npy(path: Path, array: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        np.save(tmp, np.asarray(array, np.float32))


def invalid_color(cmap: str) -> tuple[int, int, int]:
    return INVALID_RGB_ON_GREY if any(g in cmap.lower() for g in _GREY_MAPS) else INVALID_RGB


def color_scale(values: np.ndarray, cmap: str = DEFAULT_CMAP, value_range: tuple[float, float] | None = None,
                percentiles: tuple[float, float] = PERCENTILES) -> ColorScale:
    """The colour range of `values`: the given one, else the finite values' percentiles."""
    if value_range is not None:
        return ColorScale(float(value_range[0]), float(value_range[1]), "given", cmap)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return ColorScale(0.0, 1.0, "no finite values", cmap)
    low, high = (float(v) for v in np.percentile(finite, percentiles))
    source = f"percentiles {percentiles[0]:g}-{percentiles[1]:g}"
    if high - low <= 1e-9 * max(abs(low), abs(high), 1e-30):  # a (nearly) constant map: +-10% around it
        half = 0.1 * abs(low) if low else 0.5
        low, high, source = low - half, high + half, source + ", constant map widened by 10%"
    return ColorScale(low, high, source, cmap)


def colorize(values: np.ndarray, cmap: str = DEFAULT_CMAP, percentiles: tuple[float, float] = PERCENTILES,
             value_range: tuple[float, float] | None = None, scale: ColorScale | None = None) -> np.ndarray:
    """(H, W) -> (H, W, 3) uint8 with a perceptual colormap; NaN / inf -> `invalid_color(cmap)`."""
    from matplotlib import colormaps

    scale = scale or color_scale(values, cmap, value_range, percentiles)
    finite = np.isfinite(values)
    out = np.empty(values.shape + (3,), np.uint8)
    out[:] = invalid_color(scale.cmap)
    if not finite.any():
        return out
    scaled = np.clip((values - scale.low) / max(scale.high - scale.low, 1e-12), 0.0, 1.0)
    rgba = colormaps[scale.cmap](np.where(finite, scaled, 0.0), bytes=True)
    out[finite] = rgba[..., :3][finite]
    return out


def colorbar(scale: ColorScale, width: int, label: str) -> np.ndarray:
    """(h, width, 3) uint8 strip: the colour gradient over the range with low / high / label text."""
    from matplotlib import colormaps
    from PIL import Image, ImageDraw

    bar_h = max(8, min(24, width // 40))
    text_h = 12
    ramp = colormaps[scale.cmap](np.linspace(0.0, 1.0, width), bytes=True)[:, :3]
    strip = np.full((bar_h + text_h + 4, width, 3), 255, np.uint8)
    strip[2:2 + bar_h] = ramp[None]
    image = Image.fromarray(strip)
    draw = ImageDraw.Draw(image)
    low, high = f"{scale.low:.4g}", f"{scale.high:.4g}"
    y = bar_h + 3
    draw.text((2, y), low, fill=(0, 0, 0))
    high_w = draw.textlength(high)
    draw.text((max(2, width - high_w - 2), y), high, fill=(0, 0, 0))
    label_w = draw.textlength(label)
    if label_w + draw.textlength(low) + high_w + 16 < width:
        draw.text(((width - label_w) / 2, y), label, fill=(0, 0, 0))
    return np.asarray(image)


def png_metadata(scale: ColorScale, quantity: str, units: str) -> dict[str, str]:
    """Text chunks saying what the colours mean (read back with PIL: `Image.open(p).text`)."""
    return {"panoconv:quantity": quantity, "panoconv:units": units,
            "panoconv:range": f"{scale.low!r} {scale.high!r}", "panoconv:range_source": scale.source,
            "panoconv:cmap": scale.cmap,
            "panoconv:invalid_rgb": ",".join(str(c) for c in invalid_color(scale.cmap)),
            "Description": f"{quantity} ({units}), {scale.cmap} colour map over {scale.describe()}; "
                           f"grey = no value"}


def save_png(path: Path, values: np.ndarray, cmap: str = DEFAULT_CMAP, *,
             value_range: tuple[float, float] | None = None, with_colorbar: bool = False,
             quantity: str = "disparity", units: str = "fraction of image width") -> ColorScale:
    """Colour-mapped PNG of `values` with its range in the metadata (and optionally a colour bar below)."""
    from PIL import Image, PngImagePlugin

    scale = color_scale(values, cmap, value_range)
    rgb = colorize(values, scale=scale)
    if with_colorbar:
        rgb = np.concatenate([rgb, colorbar(scale, rgb.shape[1], f"{quantity} ({units})")], 0)
    info = PngImagePlugin.PngInfo()
    for key, value in png_metadata(scale, quantity, units).items():
        info.add_itxt(key, value)
    with atomic_path(Path(path)) as tmp:
        Image.fromarray(rgb).save(tmp, format="PNG", pnginfo=info)
    return scale


def write_ply(path: Path, points: np.ndarray, colors: np.ndarray | None = None,
              comments: Sequence[str] = ()) -> None:
    """Binary little-endian PLY: float32 x, y, z and (optionally) uint8 red, green, blue per vertex;
    `comments` become header `comment` lines (units, axes, camera: what a viewer cannot guess)."""
    points = np.asarray(points, np.float32).reshape(-1, 3)
    fields = [("x", "<f4"), ("y", "<f4"), ("z", "<f4")]
    if colors is not None:
        fields += [("red", "u1"), ("green", "u1"), ("blue", "u1")]
    data = np.empty(len(points), dtype=fields)
    data["x"], data["y"], data["z"] = points.T
    if colors is not None:
        colors = np.asarray(colors).reshape(-1, 3)
        if colors.dtype != np.uint8:
            colors = np.clip(np.rint(colors * 255.0), 0, 255).astype(np.uint8)
        data["red"], data["green"], data["blue"] = colors.T
    props = "".join(f"property {'float' if t == '<f4' else 'uchar'} {n}\n" for n, t in fields)
    notes = "".join(f"comment {' '.join(str(c).split())}\n" for c in comments)  # one line each
    header = (f"ply\nformat binary_little_endian 1.0\n{notes}element vertex {len(points)}\n{props}"
              "end_header\n")
    with atomic_file(path) as f:
        f.write(header.encode("ascii", "replace"))
        f.write(data.tobytes())


def read_ply(path: Path) -> np.ndarray:
    """Read a PLY written by `write_ply` back as a structured array (for tests and tools)."""
    raw = Path(path).read_bytes()
    end = raw.index(b"end_header\n") + len(b"end_header\n")
    header = raw[:end].decode("ascii").splitlines()
    fields = [(line.split()[2], "<f4" if line.split()[1] == "float" else "u1")
              for line in header if line.startswith("property")]
    count = int(next(line.split()[2] for line in header if line.startswith("element vertex")))
    return np.frombuffer(raw[end:], dtype=fields, count=count)
