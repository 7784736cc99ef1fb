"""`StereoTask`: self-supervised monodepth training (Godard et al. 2017) with per-data-set warps.

The model sees the left image (a stereo card, `do_stereo`: left and right concatenated on channels, as
upstream) and predicts four disparity scales; `monodepth_loss` warps with the
batch's own data set warp and field of view, so one run can mix pinhole, equirectangular-crop and
360-degree panorama data (the trainer keeps each batch to one data set).

Recipe defaults (upstream monodepth's training setup): TF1-exact Adam (`TF1Adam`, so continued training of a
converted TF checkpoint follows upstream), lr 1e-4, betas 0.9/0.999, batch 8, 50 epochs, lr halved
after 3/5 and again after 4/5 of the total steps, reproduced as TF's `piecewise_constant`: the update
at step s (0-based) uses lr while s <= int(3/5 T), lr/2 while s <= int(4/5 T), then lr/4.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from panoconv.arch import DEFAULT_ARCH, get_card
from panoconv.data.stereo import StereoListDataset
from panoconv.errors import InputShapeError
from panoconv.losses import LossOutput
from panoconv.losses.monodepth import MonodepthLossConfig, monodepth_loss
from panoconv.training.config import DataSpec
from panoconv.training.optim import TF1Adam
from panoconv.training.schedule import halving as halving_schedule
from panoconv.training.sizes import check_train_size


@dataclass(frozen=True)
class StereoRecipe:
    """monodepth's published recipe; `TrainConfig` fields override it."""

    arch: str = DEFAULT_ARCH
    lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    batch_size: int = 8
    epochs: int = 50
    loss: MonodepthLossConfig = MonodepthLossConfig()


class _WarpTagged(Dataset):
    """Adds the data set's `warp` and `fov_deg` to every sample so the loss knows how to warp the batch."""

    def __init__(self, inner: StereoListDataset) -> None:
        self.inner = inner

    def __len__(self) -> int:
        return len(self.inner)

    def set_epoch(self, epoch: int) -> None:
        self.inner.set_epoch(epoch)

    def describe(self, index: int) -> str:
        return self.inner.describe(index)

    def __getitem__(self, index: int) -> dict[str, Any] | None:
        sample = self.inner[index]
        if sample is None:
            return None
        return {**sample, "warp": self.inner.warp, "fov_deg": self.inner.fov_deg}


class StereoTask:
    """Self-supervised stereo. Batches: `{"left", "right" (B,3,H,W), "index", "warp", "fov_deg"}`."""

    name = "stereo"

    def __init__(self, recipe: StereoRecipe = StereoRecipe(), epochs: int | None = None,
                 height: int = 256, width: int = 512, augment: bool = True, seed: int = 0,
                 skip_bad: bool = False) -> None:
        check_train_size(recipe.arch, int(height), int(width))
        self.recipe = recipe
        self.card = get_card(recipe.arch)
        self.epochs = recipe.epochs if epochs is None else int(epochs)
        self.height, self.width = int(height), int(width)
        self.augment, self.seed, self.skip_bad = augment, int(seed), skip_bad

    # --- Task protocol -------------------------------------------------------------------------
    def build_model(self) -> nn.Module:
        return self.card.build()

    def model_input(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        """The left images, or for a stereo card left and right concatenated on channels."""
        return torch.cat([left, right], 1) if self.card.stereo else left

    def loss(self, model: nn.Module, batch: Mapping[str, Any]) -> LossOutput:
        """Forward the model input; monodepth loss with the batch's (single) warp and fov."""
        warp, fov = _single(batch["warp"], "warp"), float(_single(batch["fov_deg"], "fov_deg"))
        device = next(model.parameters()).device
        left = batch["left"].to(device, non_blocking=True)
        right = batch["right"].to(device, non_blocking=True)
        config = dataclasses.replace(self.recipe.loss, warp=warp, fov_deg=fov)
        return monodepth_loss(model(self.model_input(left, right)), left, right, config)

    # --- data and recipe -------------------------------------------------------------------------
    def build_dataset(self, spec: DataSpec, training: bool) -> Dataset:
        """A `StereoListDataset` of `spec`, augmented only for training."""
        return _WarpTagged(StereoListDataset(spec.list_file, spec.root_dir, self.height, self.width,
                                             augment=self.augment and training, seed=self.seed,
                                             warp=spec.warp, fov_deg=spec.fov_deg, skip_bad=self.skip_bad))

    def make_optimizer(self, model: nn.Module) -> torch.optim.Optimizer:
        r = self.recipe
        return TF1Adam(model.parameters(), lr=r.lr, betas=r.betas, eps=r.eps)

    def make_scheduler(self, optimizer: torch.optim.Optimizer,
                       steps_per_epoch: int) -> torch.optim.lr_scheduler.LambdaLR:
        return torch.optim.lr_scheduler.LambdaLR(optimizer, halving_schedule(steps_per_epoch * self.epochs))

    def lr_factor(self, steps_per_epoch: int, total_steps: int) -> Callable[[int], float]:
        """The recipe's lr factor per step over a schedule of `total_steps` (for `--lr-warmup` etc.)."""
        return halving_schedule(total_steps)

    @torch.no_grad()
    def sample_images(self, model: nn.Module, batch: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        """First sample's left image and its left disparity (scaled to [0, 1]) for TensorBoard."""
        device = next(model.parameters()).device
        left = batch["left"][:1].to(device)
        disp = model(self.model_input(left, batch["right"][:1].to(device)))[0][0, :1].float().cpu()
        disp = (disp - disp.min()) / (disp.max() - disp.min()).clamp_min(1e-12)
        return {"left": batch["left"][0].float().cpu(), "disp_left": disp}


def _single(values: Any, name: str) -> Any:
    """The one value a collated batch field holds (a batch must come from a single data set)."""
    if isinstance(values, torch.Tensor):
        values = values.flatten().tolist()
    elif isinstance(values, (str, float, int)):
        return values
    distinct = set(values)
    if len(distinct) != 1:
        raise InputShapeError(f"a stereo batch must come from one data set, got {name} values "
                              f"{sorted(distinct)}")
    return distinct.pop()
