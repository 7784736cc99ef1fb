"""Is the true disparity where the photometric loss is lowest? A check of a stereo data set, scene by scene.

    .venv/bin/python benchmarks/photometric_ambiguity.py runs/finetune_then_evaluate/data_street_crop_*

Self-supervised stereo training can only find a disparity the appearance loss prefers. For every scene of
a synthetic data set (`panoconv synth`), this warps the right view onto the left with the ground-truth
disparity scaled by k (k = 0 .. 1.5) and scores the reconstruction with monodepth's appearance term
(0.85 SSIM + 0.15 L1, full resolution, the data set's own warp), over the pixels that every k reads from
inside the right view, so the zero border, which a larger disparity reaches first, decides nothing
(`--border` keeps every pixel, as the training loss does). A scene is *ambiguous* when some k away from
the truth (|k - 1| > 0.1) scores at least as well as k = 1: repetitive surfaces (checkers, bricks, grids)
alias at a multiple of their period. A network trained on such scenes has no signal that pulls them to
their true level.

`--scale I` scores level I of the training loss's pyramid instead (both views and the disparity average-pooled
by 2^I, as `losses.monodepth.scale_pyramid` pools them): the coarse levels are where a far-off disparity can
still feel a pull. A scene is *pulled in* when its loss falls at every step from k = 0.25 to k = 1, so a
gradient on the whole scene's level leads from a quarter of the truth to it.

Prints one line per data set: scenes, ambiguous scenes, their median ground-truth depth against the rest,
the k that wins most often among the ambiguous ones, and the scenes pulled in; `--per-scene` adds a line per
scene.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from panoconv.data.stereo import KIND_TO_WARP
from panoconv.evaluation.datasets import EvalData, open_data
from panoconv.geometry.warps import warp
from panoconv.io.images import load_rgb
from panoconv.losses.monodepth import MonodepthLossConfig
from panoconv.losses.ssim import ssim_map

#: the scales of the true disparity tried; 1.0 is the truth
FACTORS = (0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 0.9, 1.0, 1.1, 1.25, 1.5)
ALPHA = MonodepthLossConfig().alpha  # the training loss's SSIM weight in the appearance term (0.85)
NEAR_TRUTH = 0.1  # |k - 1| within this counts as the truth
PULL_FROM = 0.25  # `pulled_in`: the loss falls at every factor from this one up to the truth


@dataclass(frozen=True)
class SceneCheck:
    name: str
    median_depth: float
    losses: dict[float, float]  # factor k -> appearance loss

    @property
    def best_factor(self) -> float:
        return min(self.losses, key=lambda k: (self.losses[k], abs(k - 1.0)))

    @property
    def ambiguous(self) -> bool:
        """Some k away from the truth scores at least as well as the truth."""
        truth = self.losses[1.0]
        return any(v <= truth for k, v in self.losses.items() if abs(k - 1.0) > NEAR_TRUTH)

    @property
    def pulled_in(self) -> bool:
        """The loss falls at every factor from PULL_FROM up to the truth: no local minimum on the way."""
        path = [self.losses[k] for k in sorted(self.losses) if PULL_FROM <= k <= 1.0]
        return all(b < a for a, b in itertools.pairwise(path))


def appearance_loss(estimate: torch.Tensor, target: torch.Tensor, keep: torch.Tensor) -> float:
    """monodepth's image term for one reconstruction, alpha SSIM dissimilarity + (1 - alpha) L1, averaged
    over the pixels in `keep` (H, W) bool."""
    ssim = ssim_map(estimate, target).mean(dim=1)[0][keep[1:-1, 1:-1]].mean()
    l1 = (estimate - target).abs().mean(dim=1)[0][keep].mean()
    return float(ALPHA * ssim + (1 - ALPHA) * l1)


def true_disparity(depth: np.ndarray, data: EvalData) -> np.ndarray:
    """Ground-truth disparity as a fraction of the image width: the inverse of the depth the evaluation
    scores a prediction as (`evaluate._to_depth`), in the data set's camera model."""
    if data.depth_model == "fov":
        return data.baseline / (depth * data.fov_rad)
    return data.focal * data.baseline / (depth * depth.shape[1])


def check_scene(left: np.ndarray, right: np.ndarray, disp: np.ndarray, warp_mode: str, fov_deg: float,
                name: str = "", median_depth: float = float("nan"), factors: tuple[float, ...] = FACTORS,
                border: bool = False, scale: int = 0) -> SceneCheck:
    """left / right (H, W, 3) floats in [0, 1], the true left disparity (H, W, width fractions) -> the
    loss at every factor (`border`: every pixel, also those that read the zero border at some factor;
    `scale`: pyramid level, everything average-pooled by 2^scale; a width fraction needs no rescaling)."""
    def tensor(a: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).permute(2, 0, 1)[None]
        return F.avg_pool2d(t, 2 ** scale) if scale else t

    lt, rt = tensor(left), tensor(right)
    d = tensor(disp[..., None])
    # only pixels every factor reads from inside the other view: the zero border must not decide
    inside = torch.ones_like(rt[:, :1])
    keep = torch.ones(lt.shape[-2:], dtype=torch.bool)
    for k in factors if not border else ():
        keep &= warp(inside, -k * d, warp_mode, fov_deg)[0, 0] > 1.0 - 1e-4
    if not keep[1:-1, 1:-1].any():
        raise ValueError(f"{name or 'scene'}: no pixel stays inside the other view at every factor")
    losses = {k: appearance_loss(warp(rt, -k * d, warp_mode, fov_deg), lt, keep) for k in factors}
    return SceneCheck(name, median_depth, losses)


def stereo_scenes(data: EvalData, split: str) -> Iterator[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(name, left, right (H, W, 3) in [0, 1], ground-truth depth (H, W) float64) for every pair of a split
    opened with `open_data`; a row without its right view stops the run, naming it."""
    for sample in data.samples:
        if sample.right is None:
            raise SystemExit(f"{sample.label()}: no right view in the {split} list")
        yield (sample.image.stem, load_rgb(sample.image).pixels, load_rgb(sample.right).pixels,
               data.read_gt(sample.gt).astype(np.float64))


def check_data_set(folder: Path, split: str = "train", border: bool = False,
                   scale: int = 0) -> list[SceneCheck]:
    """Every stereo pair of a `panoconv synth` split, read as `panoconv evaluate` reads it."""
    data = open_data("synth", folder, split=split)
    meta = json.loads((folder / "meta.json").read_text())  # the warp: not part of EvalData
    warp_mode, fov_deg = KIND_TO_WARP[meta["kind"]], math.degrees(data.fov_rad)
    return [check_scene(left, right, true_disparity(depth, data), warp_mode, fov_deg, name,
                        float(np.median(depth)), border=border, scale=scale)
            for name, left, right, depth in stereo_scenes(data, split)]


def summary(folder: Path, checks: list[SceneCheck]) -> str:
    bad = [c for c in checks if c.ambiguous]
    good = [c for c in checks if not c.ambiguous]
    med = lambda cs: f"{np.median([c.median_depth for c in cs]):.1f} m" if cs else "-"  # noqa: E731
    winners = [c.best_factor for c in bad]
    common = max(set(winners), key=winners.count) if winners else None
    share = 100 * len(bad) / len(checks)
    pulled = sum(c.pulled_in for c in checks)
    return (f"{folder.name}: {len(bad)} of {len(checks)} scenes ambiguous ({share:.0f}%); "
            f"median depth {med(bad)} (ambiguous) vs {med(good)} (rest); "
            f"most common best k among them: {common if common is not None else '-'}; "
            f"pulled in from k={PULL_FROM}: {pulled} of {len(checks)}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("data", nargs="+", type=Path, help="`panoconv synth` data set folders")
    p.add_argument("--split", default="train")
    p.add_argument("--per-scene", action="store_true")
    p.add_argument("--border", action="store_true", help="score every pixel, the zero border too")
    p.add_argument("--scale", type=int, default=0, choices=range(4),
                   help="pyramid level of the training loss (0: full resolution, 3: 1/8)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    for folder in args.data:
        checks = check_data_set(folder, args.split, args.border, args.scale)
        if args.per_scene:
            for c in checks:
                print(f"  {c.name} median depth {c.median_depth:6.1f} m  best k {c.best_factor:5.3f}  "
                      f"loss at k=1 {c.losses[1.0]:.4f}  {'AMBIGUOUS' if c.ambiguous else ''}"
                      f"{'' if c.pulled_in else ' not pulled in'}")
        print(summary(folder, checks), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
