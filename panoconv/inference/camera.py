"""Which camera an input image was taken with, and why: `predict --camera auto`.

A wrong guess silently ruins a result (a 512 x 256 photo run through the panorama layout keeps only a
band of rows), so auto mode first uses what the input itself says, in this order:

1. a file list's declared camera: a `# camera: equirectangular` (or `rectilinear`) comment line;
2. the image's XMP metadata `GPano:ProjectionType` (written by 360-degree cameras and stitchers);
3. the `meta.json` of a `panoconv synth` folder holding the image (`kind: panorama` -> equirectangular;
   rectilinear photos and equirectangular *crops* (fov < 360) -> the whole-image layout);
4. a 3D60 file name (`..._color_0_Left_Down_0.0.png`): 3D60 images are 512 x 256 panoramas;
5. a network trained at one panorama size only (OmniDepth's RectNet / UResNet) takes 2:1 images as
   panoramas;
6. otherwise the shape: 2:1 images at least `MIN_AUTO_PANORAMA_WIDTH` wide are panoramas. Smaller 2:1
   images (512 x 256 is monodepth's own rectilinear input size) are treated as photos, with a warning.

Every choice carries its reason, which predict logs per image.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from panoconv.inference.layout import ASPECT_TOLERANCE, MIN_AUTO_PANORAMA_WIDTH, Camera

CAMERAS = ("rectilinear", "equirectangular")
_LIST_DECLARATION = re.compile(r"^#\s*camera\s*[:=]\s*(\S+)\s*$", re.IGNORECASE)
_XMP_PROJECTION = re.compile(rb"ProjectionType\s*(?:=\s*[\"']|>)\s*([A-Za-z_-]+)")
_3D60_NAME = re.compile(r"_color_\d+_(Left_Down|Right|Up)_0\.0\.png$", re.IGNORECASE)
_XMP_KEYS = ("xmp", "XML:com.adobe.xmp")
#: Bytes of a file searched for an XMP packet when Pillow does not expose one.
_XMP_SCAN_BYTES = 1 << 16


@dataclass(frozen=True)
class CameraChoice:
    camera: Camera
    reason: str
    warning: str | None = None  # said at warning level (seen under -q): an ambiguous shape rule


def is_two_to_one(height: int, width: int) -> bool:
    return height > 0 and abs(width / height - 2.0) <= ASPECT_TOLERANCE * 2.0


def declared_list_camera(list_path: Path) -> str | None:
    """The camera a file list declares in a `# camera: NAME` comment line (None if it declares none)."""
    from panoconv.errors import PanoconvError

    for lineno, line in enumerate(Path(list_path).read_text(errors="replace").splitlines(), start=1):
        match = _LIST_DECLARATION.match(line.strip())
        if match:
            name = match.group(1).lower()
            if name not in CAMERAS:
                raise PanoconvError(f"{list_path}:{lineno}: camera must be rectilinear or equirectangular, "
                                    f"got {match.group(1)!r}")
            return name
    return None


def xmp_projection(path: Path) -> str | None:
    """`GPano:ProjectionType` from the image's XMP packet (lower case), or None."""
    try:
        from PIL import Image

        with Image.open(path) as img:
            packets = [img.info.get(key) for key in _XMP_KEYS]
        packets = [p.encode() if isinstance(p, str) else p for p in packets if p]
        if not packets:  # e.g. an XMP packet Pillow did not surface: look at the file's head
            with open(path, "rb") as f:
                head = f.read(_XMP_SCAN_BYTES)
            packets = [head] if b"ProjectionType" in head else []
    except (OSError, ValueError, SyntaxError):
        return None
    for packet in packets:
        match = _XMP_PROJECTION.search(packet)
        if match:
            return match.group(1).decode("ascii").lower()
    return None


def synth_meta_kind(path: Path) -> tuple[str, float, Path] | None:
    """(kind, fov in degrees, meta.json) of the `panoconv synth` folder holding `path` (two levels up)."""
    for folder in list(Path(path).resolve().parents)[:2]:
        meta = folder / "meta.json"
        if meta.is_file():
            try:
                data = json.loads(meta.read_text())
            except (OSError, ValueError):
                return None
            if isinstance(data, dict) and data.get("kind") in ("rectilinear", "equirect", "panorama"):
                return data["kind"], float(data.get("fov_deg") or 360.0), meta
            return None
    return None


def choose_camera(requested: str, path: Path, height: int, width: int, *, declared: str | None = None,
                  declared_by: str | None = None, panorama_only: str | None = None) -> CameraChoice:
    """The camera for one image of `height` x `width` read from `path`.

    `requested`: the --camera option (anything but `auto` wins). `declared`: the camera its file list
    declares (`declared_by` names the list). `panorama_only`: the name of a network trained on
    panoramas of one size only, if it is one.
    """
    if requested != "auto":
        return CameraChoice(requested, "--camera")  # type: ignore[arg-type]
    if declared is not None:
        return CameraChoice(declared, f"declared in {declared_by}")  # type: ignore[arg-type]
    projection = xmp_projection(path)
    if projection is not None:
        camera = "equirectangular" if projection == "equirectangular" else "rectilinear"
        return CameraChoice(camera, f"XMP ProjectionType={projection}")
    meta = synth_meta_kind(path)
    if meta is not None:
        kind, fov, meta_path = meta
        if kind == "panorama":
            return CameraChoice("equirectangular", f"{meta_path}: synth panorama")
        what = "rectilinear" if kind == "rectilinear" else f"equirectangular crop of {fov:g} degrees"
        return CameraChoice("rectilinear", f"{meta_path}: synth {what} (whole-image layout)")
    two_to_one = is_two_to_one(height, width)
    if two_to_one and _3D60_NAME.search(Path(path).name):
        return CameraChoice("equirectangular", "3D60 file name")
    if two_to_one and panorama_only:
        return CameraChoice("equirectangular", f"2:1 image and {panorama_only} takes panoramas only")
    if two_to_one and width >= MIN_AUTO_PANORAMA_WIDTH:
        return CameraChoice("equirectangular", f"2:1 image at least {MIN_AUTO_PANORAMA_WIDTH} px wide")
    if two_to_one:
        return CameraChoice("rectilinear", f"2:1 but only {width} px wide",
                            warning=f"{path}: {width}x{height} is 2:1 but narrower than "
                            f"{MIN_AUTO_PANORAMA_WIDTH} px: treated as a rectilinear photo (monodepth's "
                            "input size); give --camera equirectangular if it is a 360-degree panorama")
    return CameraChoice("rectilinear", "not 2:1")
