"""Camera, stereo-rig and warp facts every layer's defaults come from, each named once.

No imports: the CLI, the data and training configs and the TF reference read these without loading torch.
Sources: the KITTI setup monodepth trains on, the 360-degree model's README and the 3D60 data set.
"""

from __future__ import annotations

#: The stereo warps: pinhole ("rectilinear"), an equirectangular crop of `fov` degrees ("equirectangular",
#: the mixed-warp model) and the full 360 x 180 panorama ("panorama").
WARP_MODES: tuple[str, ...] = ("rectilinear", "equirectangular", "panorama")

#: Horizontal field of view of the KITTI colour camera (degrees): upstream's equirectangular warp default.
KITTI_FOV_DEG = 82.5
#: A full panorama spans 360 degrees horizontally.
PANORAMA_FOV_DEG = 360.0

#: KITTI's stereo baseline (metres): depth = f B / (d W) for rectilinear networks.
KITTI_BASELINE_M = 0.54
#: The 3D60 horizontal stereo baseline (metres, centre -> Right view); also the synthetic panoramas'.
THREED60_BASELINE_M = 0.26
#: The baseline the 360-degree model's README converts panorama disparity to depth with (metres).
UPSTREAM_PANORAMA_BASELINE_M = 0.472
