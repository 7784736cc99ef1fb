"""Tiny 3D60 trees laid out like every published split form of the 3D60 releases, built by the tests.

`build_form(root, form, per_dataset)` writes `per_dataset` samples of each of the three member data sets
(colour centre/right/up PNG + centre depth EXR, 8 x 16) and a split file in that form; it returns the
split path and the rows' data sets in order. Files sit where the 3D60 download puts them (canonical
folders `Matterport3D`, `Stanford2D3D/<area>`, `SunCG`), while the split spells them as published.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from panoconv.io.exr import write_depth_exr
from panoconv.io.images import save_rgb

H, W = 8, 16
DATASETS = ("Matterport3D", "Stanford2D3D", "SunCG")
FORMS = ("v1", "3dv19", "eccv18", "caffe")
VIEWS = ("Left_Down", "Right", "Up")


def sample_location(dataset: str, i: int) -> tuple[tuple[str, ...], str]:
    """(folders on disk, file stem) of sample i of a data set, with each set's own naming."""
    if dataset == "Matterport3D":
        return ("Matterport3D",), f"{10 + i}_ed1e790a785e4b74b895e41682b2ae88{i % 10}"
    if dataset == "Stanford2D3D":  # one folder deeper, underscores in the scene name
        return ("Stanford2D3D", f"area{i % 3 + 3}a"), f"{i}_area_{i % 3 + 3}a{i % 10}"
    return ("SunCG",), f"004e36a61e574321adc8da7b48c331f{i:02d}"  # no pose prefix


def depth_of(dataset: str, i: int) -> float:
    return 1.0 + DATASETS.index(dataset) + 0.1 * i


def write_sample(root: Path, folders: tuple[str, ...], stem: str, angle: str, depth_m: float,
                 size: tuple[int, int] = (H, W)) -> None:
    folder = root.joinpath(*folders)
    folder.mkdir(parents=True, exist_ok=True)
    h, w = size
    for view in VIEWS:
        pixels = np.zeros((h, w, 3), np.uint8)
        pixels[..., 0] = (np.arange(w) * 255 // max(w - 1, 1)).astype(np.uint8)[None]
        pixels[..., 1] = {"Left_Down": 0, "Right": 100, "Up": 200}[view]
        save_rgb(folder / f"{stem}_color_0_{view}_{angle}.png", pixels)
    write_depth_exr(folder / f"{stem}_depth_0_Left_Down_{angle}.exr", np.full((h, w), depth_m, np.float32))


def _published_folders(form: str, dataset: str, folders: tuple[str, ...]) -> tuple[str, ...]:
    """How the split file spells the folders (eccv18 misspells Matterport3D; caffe_test says Stanford)."""
    if form == "eccv18" and dataset == "Matterport3D":
        return ("Matteport3D",) + folders[1:]
    if form == "caffe" and dataset == "Stanford2D3D":
        return ("Stanford",) + folders[1:]
    return folders


def _token(form: str, folders: tuple[str, ...], name: str) -> str:
    if form == "v1":
        return "D:\\Data\\3D60\\" + "\\".join(folders + (name,))
    if form == "3dv19":
        return ".\\" + "\\".join(folders + (name,))
    return "/" + "/".join(folders + (name,))  # eccv18 pytorch_test and caffe_test


def row_tokens(form: str, dataset: str, i: int) -> list[str]:
    folders, stem = sample_location(dataset, i)
    angle = "90.0" if form == "caffe" else "0.0"
    published = _published_folders(form, dataset, folders)
    if form == "caffe":
        columns = [("color", "Left_Down", "png"), ("depth", "Left_Down", "exr")]
    else:
        columns = [(k, v, "png" if k == "color" else "exr") for k in ("color", "depth", "normal")
                   for v in VIEWS]
    return [_token(form, published, f"{stem}_{k}_0_{v}_{angle}.{ext}") for k, v, ext in columns]


def build_form(root: Path, form: str, per_dataset: int = 4, name: str | None = None,
               size: tuple[int, int] = (H, W)) -> tuple[Path, list[str]]:
    """`per_dataset` samples per data set (of `size` (H, W)) under `root`, and a split file in `form`."""
    lines, order = [], []
    for i in range(per_dataset):
        for dataset in DATASETS:
            folders, stem = sample_location(dataset, i)
            angle = "90.0" if form == "caffe" else "0.0"
            write_sample(root, folders, stem, angle, depth_of(dataset, i), size)
            lines.append(" ".join(row_tokens(form, dataset, i)))
            order.append(dataset)
    split = root / (name or f"{form}_test.txt")
    newline = "\r\n" if form in ("v1", "3dv19") else "\n"  # written on Windows
    text = newline.join(lines) + newline
    split.write_bytes((("\ufeff" if form == "v1" else "") + text).encode("utf-8"))  # v1 also with a BOM
    return split, order
