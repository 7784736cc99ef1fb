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
    with atomic_path(Path(path)) as tmp:
        with OpenEXR.File(header, {"R": depth}) as f:
            f.write(str(tmp))


def read_depth_exr(path: Path) -> np.ndarray:
    """Read an EXR depth map as (H, W) float32: channel R, else Y, else the first channel."""
    import OpenEXR

    path = Path(path)
    if not path.exists():
        raise ExrReadError(f"{path}: no such file")
    try:
        with OpenEXR.File(str(path)) as f:
            channels = f.channels()
            for key in ("R", "Y", "Z", "depth"):
                if key in channels:
                    data = channels[key].pixels
                    break
            else:
                if not channels:
                    raise ExrReadError(f"{path}: EXR file has no channels")
                data = next(iter(channels.values())).pixels
                if data.ndim == 3:  # an interleaved RGB(A) channel group: take R
                    data = data[..., 0]
    except ExrReadError:
        raise
    except Exception as err:  # OpenEXR raises plain RuntimeError / OSError on corrupt input
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
    with atomic_path(Path(path)) as tmp:
        with OpenEXR.File(header, channels) as f:
            f.write(str(tmp))
