"""Single-channel float depth maps in OpenEXR, as 3D60 stores them (depth in metres in channel R).

Uses the `OpenEXR` wheel (numpy only, no separate binary download).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from panoconv.errors import PanoconvError


class ExrReadError(PanoconvError):
    """An EXR file is missing, corrupt or has no usable channel."""


def write_depth_exr(path: Path, depth: np.ndarray) -> None:
    """Write (H, W) depth as a float32 EXR with the value in channel R, atomically."""
    import OpenEXR

    from panoconv.io.atomic import atomic_path

    depth = np.ascontiguousarray(depth, dtype=np.float32)
    if depth.ndim != 2:
        raise ValueError(f"depth must be (H, W), got {depth.shape}")
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    with atomic_path(Path(path)) as tmp, OpenEXR.File(header, {"R": depth}) as f:
        f.write(str(tmp))


#: largest depth map read (pixels; 3D60 is 131 k): a header asking for more is refused before any pixel
#: is allocated
MAX_DEPTH_PIXELS = 64 * 1024 * 1024
#: channel names that hold depth, in order of preference (3D60 writes it into R of an RGB image)
DEPTH_CHANNELS = ("R", "Y", "Z", "depth")
_FLOAT_TYPES = ("HALF", "FLOAT")


def _header_size(path: Path) -> tuple[int, int]:
    """(H, W) from the data window, checked before the pixels are read; one image part only."""
    import OpenEXR

    with OpenEXR.File(str(path), header_only=True) as f:  # the header is only valid while the file is open
        if len(f.parts) != 1:
            raise ExrReadError(f"{path}: a multi-part EXR ({len(f.parts)} parts); expected one depth image")
        header = f.header()
        storage = str(header.get("type", "")).split(".")[-1]
        lo, hi = (np.asarray(v, dtype=np.int64) for v in header["dataWindow"])
    if storage in ("deepscanline", "deeptile"):
        raise ExrReadError(f"{path}: a deep EXR; expected a flat depth image")
    w, h = int(hi[0]) - int(lo[0]) + 1, int(hi[1]) - int(lo[1]) + 1
    if w < 1 or h < 1 or w * h > MAX_DEPTH_PIXELS:
        raise ExrReadError(f"{path}: data window {w}x{h} is not a usable depth map size (at most "
                           f"{MAX_DEPTH_PIXELS} pixels)")
    return h, w


def _depth_channel(path: Path, channels: dict, shape: tuple[int, int]) -> np.ndarray:
    """The depth channel (R, else Y, Z, depth, else the only one), checked for type and full resolution."""
    name = next((c for c in DEPTH_CHANNELS if c in channels), None)
    if name is None:
        if len(channels) != 1:
            have = ", ".join(sorted(channels)) or "none"
            raise ExrReadError(f"{path}: no depth channel ({', '.join(DEPTH_CHANNELS)}) among channels "
                               f"{have}; 3D60 stores depth in metres in R")
        name = next(iter(channels))
    channel = channels[name]
    kind = str(channel.type()).split(".")[-1]
    if kind not in _FLOAT_TYPES:
        raise ExrReadError(f"{path}: channel {name} holds {kind} values; depth in metres must be HALF or "
                           "FLOAT")
    pixels = channel.pixels
    if pixels.ndim != 2 or tuple(pixels.shape) != shape:
        size = "x".join(map(str, pixels.shape[::-1]))
        raise ExrReadError(f"{path}: channel {name} is {size}, not the image's {shape[1]}x{shape[0]} "
                           "(subsampled channels are not depth maps)")
    return pixels


def read_depth_exr(path: Path) -> np.ndarray:
    """Read an EXR depth map as (H, W) float32: channel R, else Y, Z, depth, else the only channel.

    Refused with a one-line `ExrReadError`: an unreadable file, more than one part, deep data, a data
    window beyond `MAX_DEPTH_PIXELS` (checked from the header before reading pixels), no depth channel
    among several, a non-float channel, a subsampled channel.
    """
    import OpenEXR

    path = Path(path)
    if not path.is_file():
        raise ExrReadError(f"{path}: no such file")
    try:
        shape = _header_size(path)
        with OpenEXR.File(str(path), separate_channels=True) as f:
            data = _depth_channel(path, f.channels(), shape)
    except ExrReadError:
        raise
    except Exception as err:  # noqa: BLE001  (OpenEXR raises plain RuntimeError / OSError on corrupt input)
        raise ExrReadError(f"{path}: not a readable EXR file ({err})") from None
    return np.asarray(data, dtype=np.float32)


def write_normals_exr(path: Path, normals: np.ndarray) -> None:
    """Write (H, W, 3) unit normals as a float32 EXR with channels R, G, B (= x, y, z), atomically."""
    import OpenEXR

    from panoconv.io.atomic import atomic_path

    normals = np.asarray(normals, dtype=np.float32)
    if normals.ndim != 3 or normals.shape[2] != 3:
        raise ValueError(f"normals must be (H, W, 3), got {normals.shape}")
    channels = {c: np.ascontiguousarray(normals[..., i]) for i, c in enumerate("RGB")}
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    with atomic_path(Path(path)) as tmp, OpenEXR.File(header, channels) as f:
        f.write(str(tmp))
