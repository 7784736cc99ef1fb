"""`SupervisedTask`: OmniDepth (RectNet / UResNet) trained on 3D60 depth, plus its published recipe.

The task builds the model, the data set and the multi-scale loss; the generic trainer does the rest.
Published recipe (`SupervisedRecipe`, Zioulis et al. 2018): Adam lr 2e-4 with biases at 2x the lr,
no weight decay, batch 10, StepLR x0.5 every 3 epochs, 10 epochs.

`evaluate_supervised` applies the OmniDepth protocol: per-image median scaling on valid pixels, then the
standard metrics, averaged over images.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from panoconv.arch import all_cards, get_card
from panoconv.data.stereo import collate_skip_none
from panoconv.data.threed60 import MAX_DEPTH, ThreeD60Dataset
from panoconv.errors import InputShapeError
from panoconv.evaluation.metrics import DepthMetrics, mean_metrics
from panoconv.evaluation.protocols import MIN_DEPTH, GroundTruthError, panorama_score
from panoconv.losses import LossOutput
from panoconv.losses.supervised import MultiScaleDepthLoss
from panoconv.training.config import ConfigError, DataSpec
from panoconv.training.sizes import check_train_size

#: the cards this task trains (`task="supervised"`: rectnet, uresnet)
ARCHS = tuple(card.name for card in all_cards() if card.task == "supervised")
#: OmniDepth's published default network for the supervised task.
SUPERVISED_DEFAULT_ARCH = "rectnet"
MIN_PRED_DEPTH = MIN_DEPTH  # metres; predictions are clipped up to this before median scaling and metrics


@dataclass(frozen=True)
class SupervisedRecipe:
    """The published OmniDepth training recipe; every field can be overridden."""

    lr: float = 2e-4
    bias_lr_multiplier: float = 2.0
    weight_decay: float = 0.0
    batch_size: int = 10
    epochs: int = 10
    lr_step_epochs: int = 3
    lr_gamma: float = 0.5


def bias_param_groups(model: nn.Module, lr: float, bias_lr_multiplier: float,
                      weight_decay: float = 0.0) -> list[dict[str, Any]]:
    """Two Adam param groups: weights at `lr`, biases (names ending in `bias`) at `lr * multiplier`."""
    weights, biases = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (biases if name.endswith("bias") else weights).append(p)
    return [
        {"params": weights, "lr": lr, "weight_decay": weight_decay, "name": "weights"},
        {"params": biases, "lr": lr * bias_lr_multiplier, "weight_decay": weight_decay, "name": "biases"},
    ]


class SupervisedTask:
    """Supervised 360 depth on 3D60-layout data. Batches: `{"image", "depth", "mask", "index"}`.

    `arch`: "rectnet" or "uresnet" (chooses the model and its published loss weights).
    `size`: training (H, W); every sample is resized to it (area for colour, nearest for depth and mask)
    and it must suit the architecture (`check_train_size`). `rotate`: longitudinal-rotation augmentation
    on training data. `datasets`: 3D60 parts to keep. `loss_variant`: "masked" (default) or
    "omnidepth-pytorch" (upstream's loss exactly, see `panoconv.losses.supervised`). `skipped_dir`: with
    `skip_bad`, every skipped split row is listed in `skipped_rows_<split>.txt` there.
    """

    name = "supervised"

    def __init__(self, arch: str = SUPERVISED_DEFAULT_ARCH, recipe: SupervisedRecipe = SupervisedRecipe(),
                 max_depth: float = MAX_DEPTH, size: tuple[int, int] | None = (256, 512), rotate: bool = True,
                 datasets: tuple[str, ...] | None = None, seed: int = 0, skip_bad: bool = False,
                 loss_variant: str = "masked", skipped_dir: Path | str | None = None) -> None:
        if arch not in ARCHS:
            raise ConfigError(f"{arch!r} is not trained by the supervised task; choose one of: "
                                  f"{', '.join(ARCHS)}")
        if size is not None:
            check_train_size(arch, *size)
        self.arch = arch
        self.card = get_card(arch)
        self.recipe = recipe
        self.max_depth = max_depth
        self.size = size
        self.rotate = rotate
        self.datasets = datasets
        self.seed = seed
        self.skip_bad = skip_bad
        self.skipped_dir = None if skipped_dir is None else Path(skipped_dir)
        self.criterion = MultiScaleDepthLoss.for_arch(arch, loss_variant)

    # --- Task protocol -------------------------------------------------------------------------
    def build_model(self) -> nn.Module:
        return self.card.build()

    def loss(self, model: nn.Module, batch: Mapping[str, Any]) -> LossOutput:
        """Forward `batch["image"]` (B,3,H,W) and compare every scale with `depth` / `mask` (B,1,H,W)."""
        device = next(model.parameters()).device
        image = batch["image"].to(device, non_blocking=True)
        depth = batch["depth"].to(device, non_blocking=True)
        mask = batch["mask"].to(device, non_blocking=True)
        return self.criterion(model(image), depth, mask)

    # --- data and optimisation (the published recipe) -------------------------------------------
    def build_dataset(self, spec: DataSpec, training: bool) -> ThreeD60Dataset:
        """A supervised 3D60 data set of one split file; rotation augmentation only when `training` and
        `rotate` (the spec's warp and fov do not apply: 3D60 images are full panoramas)."""
        name = f"skipped_rows_{Path(spec.list_file).stem}.txt"
        skipped = None if self.skipped_dir is None else self.skipped_dir / name
        return ThreeD60Dataset(spec.list_file, spec.root_dir, mode="supervised", datasets=self.datasets,
                               size=self.size, max_depth=self.max_depth, rotate=self.rotate and training,
                               seed=self.seed, skip_bad=self.skip_bad, skipped_file=skipped)

    def make_optimizer(self, model: nn.Module) -> torch.optim.Optimizer:
        """Adam(lr 2e-4), biases at 2x lr, no weight decay."""
        r = self.recipe
        return torch.optim.Adam(bias_param_groups(model, r.lr, r.bias_lr_multiplier, r.weight_decay), lr=r.lr)

    def make_scheduler(self, optimizer: torch.optim.Optimizer,
                       steps_per_epoch: int) -> torch.optim.lr_scheduler.StepLR:
        """StepLR x`lr_gamma` every `lr_step_epochs` epochs, to be stepped once per optimisation step."""
        if steps_per_epoch < 1:
            raise ValueError(f"steps_per_epoch must be at least 1, got {steps_per_epoch}")
        r = self.recipe
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=r.lr_step_epochs * steps_per_epoch,
                                               gamma=r.lr_gamma)

    def lr_factor(self, steps_per_epoch: int, total_steps: int) -> Callable[[int], float]:
        """The recipe's StepLR as a factor per step (for `--lr-warmup` etc.; `total_steps` unused)."""
        every = self.recipe.lr_step_epochs * steps_per_epoch
        return lambda step: self.recipe.lr_gamma ** (step // every)


@torch.no_grad()
def evaluate_supervised(model: nn.Module, dataset: Dataset, batch_size: int = 4, median_scaling: bool = True,
                        max_images: int | None = None) -> DepthMetrics:
    """Mean per-image metrics of `model`'s full-resolution prediction over `dataset` (supervised mode).

    Per image: `evaluation.protocols.panorama_score` on the data set's mask (prediction clipped up to
    1 mm and kept, then by default scaled by median(gt) / median(pred) on those pixels): the scoring of
    `panoconv evaluate --kind 3d60 --upstream-protocol`, not a copy of it. Images without
    any valid pixel, and samples the data set returns as None (`skip_bad`), are skipped. The model is put
    in eval mode and restored afterwards.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    per_image: list[DepthMetrics] = []
    seen = 0
    try:
        for batch in DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=collate_skip_none):
            if batch is None:  # every sample of this batch was unreadable (skip_bad)
                continue
            if "depth" not in batch:
                raise InputShapeError("evaluate_supervised needs a supervised-mode data set "
                                      "(image/depth/mask)")
            pred = model(batch["image"].to(device))
            pred = (pred[0] if isinstance(pred, (list, tuple)) else pred).float().cpu().numpy()
            gt, mask = batch["depth"].numpy(), batch["mask"].numpy()
            for i in range(pred.shape[0]):
                if max_images is not None and seen >= max_images:
                    break
                seen += 1
                valid = mask[i, 0]
                if not valid.any():
                    continue
                # the 3D60 protocol of `evaluation.protocols` on the data set's mask; non-positive depth is
                # clipped up to 1 mm and kept, as OmniDepth scores it (`upstream_protocol`)
                g = np.where(valid, gt[i, 0], 0.0).astype(np.float64)
                try:
                    score = panorama_score(g, pred[i, 0].astype(np.float64), max_depth=np.inf,
                                           median_scaling=median_scaling, upstream_protocol=True)
                except GroundTruthError:  # no finite prediction on the valid pixels
                    continue
                per_image.append(score.metrics)
            if max_images is not None and seen >= max_images:
                break
    finally:
        model.train(was_training)
    return mean_metrics(per_image)
