"""File names of a synthetic data set.

rectilinear / equirect (monodepth file-list layout):
    left/000000.png  right/000000.png  depth/000000.npy   (float32 metres of the left view;
                                                           Z for rectilinear, radial distance for equirect)
panorama (3D60 layout, under Matterport3D/ so 3D60 loaders that filter by data-set name accept it):
    Matterport3D/<pose>_<sceneHash><n>_{color|depth|normal}_0_{Left_Down|Right|Up}_0.0.{png|exr}
    Left_Down = centre view, Right = +baseline along x, Up = +baseline upwards; depth EXR in metres
    (radial distance, channel R); normal EXR (R, G, B = x right, y down, z forward; facing the camera).
Lists: train/val/test.txt hold `left right` rows for every kind; panoramas also get
3d60_{train,val,test}.txt with 9 paths per row (colour C/R/U, depth C/R/U, normal C/R/U).
"""

from __future__ import annotations

import hashlib

PANO_FOLDER = "Matterport3D"
PANO_VIEWS = ("Left_Down", "Right", "Up")


def scene_hash(seed: int, index: int) -> str:
    """32 hex digits standing in for the Matterport scene hash."""
    return hashlib.md5(f"panoconv-synth-{seed}-{index}".encode()).hexdigest()


def pano_name(seed: int, index: int, modality: str, view: str) -> str:
    """`<pose>_<sceneHash><n>_<modality>_0_<view>_0.0.<ext>` relative to the data root."""
    ext = "png" if modality == "color" else "exr"
    return f"{PANO_FOLDER}/{index}_{scene_hash(seed, index)}1_{modality}_0_{view}_0.0.{ext}"


def pano_row(seed: int, index: int) -> list[str]:
    """The 9 paths of one 3D60 split row."""
    return [pano_name(seed, index, m, v) for m in ("color", "depth", "normal") for v in PANO_VIEWS]


def flat_names(index: int) -> dict[str, str]:
    stem = f"{index:06d}"
    return {"left": f"left/{stem}.png", "right": f"right/{stem}.png", "depth": f"depth/{stem}.npy"}


def pair_row(kind: str, seed: int, index: int) -> tuple[str, str]:
    """`left right` of scene `index` (for panoramas: centre and Right colour)."""
    if kind == "panorama":
        return pano_name(seed, index, "color", "Left_Down"), pano_name(seed, index, "color", "Right")
    names = flat_names(index)
    return names["left"], names["right"]
