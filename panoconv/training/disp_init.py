"""`--disp-init`: start a disparity network at the new camera's disparity range.

Why: a monodepth network outputs disparity as a fraction of the image width, `0.3 * sigmoid(z)`, and
the same scene point's disparity scales with baseline / field of view. An untrained net outputs about
0.155 W everywhere; on the synthetic 360-degree panoramas (0.26 m baseline) the true median is 0.024 W.
The photometric loss only pulls a disparity towards the truth from within a pixel or two, so a run that
starts that far off does not recover in minutes (README, "Fine-tuning converted weights").

What: every disparity-head bias (the card's layers with the `disp` activation, all four scales) is
shifted by log(k). Since 0.3 * sigmoid(z + log k) = 0.3 * k e^z / (1 + k e^z) ~ k * 0.3 * sigmoid(z)
for the small disparities a trained network outputs, this multiplies its disparities by about k while
keeping the architecture (the weights stay a plain card model, convertible back to TF). `--disp-init
K` applies a known k (e.g. the baseline and fov ratio above); `--disp-init scan` measures it: the
photometric (image) term of the task's loss on the first samples of every training data set, without
augmentation, for k = 2^-4 .. 2^2 in half-octave steps, and takes the k with the lowest sum.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset

from panoconv.arch import card_of
from panoconv.data.stereo import collate_skip_none
from panoconv.training.config import ConfigError

log = logging.getLogger(__name__)

#: candidate factors of `--disp-init scan`: 2^-4 .. 2^2 in half-octave steps
SCAN_FACTORS: tuple[float, ...] = tuple(2.0 ** (e / 2) for e in range(-8, 5))
#: samples per training data set the scan scores
SCAN_SAMPLES = 8


def head_biases(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """The biases of the disparity-head layers of a card model; refused for networks without one."""
    card = card_of(model)
    names = [f"{spec.torch_name}.bias" for spec in card.layers if getattr(spec, "activation", "") == "disp"]
    if card.output_kind != "disparity" or not names:
        raise ConfigError(f"--disp-init applies to disparity networks (monodepth cards), not {card.name}")
    params = dict(model.named_parameters())
    return [(n, params[n]) for n in names]


@torch.no_grad()
def shift_head(model: nn.Module, factor: float) -> None:
    """Multiply the network's (small) disparities by about `factor`: add log(factor) to the head biases."""
    if not 0.0 < factor < math.inf:
        raise ConfigError(f"--disp-init factor must be positive, got {factor}")
    for _, bias in head_biases(model):
        bias.add_(math.log(factor))


@torch.no_grad()
def scan_factor(task: Any, model: nn.Module, datasets: Sequence[Dataset], batch_size: int,
                factors: Sequence[float] = SCAN_FACTORS, samples: int = SCAN_SAMPLES) -> tuple[float, dict]:
    """The factor whose head shift gives the lowest photometric loss; also every factor's loss.

    The model's head biases are restored bitwise after each trial (saved copies, not a subtraction).
    """
    heads = head_biases(model)
    saved = [b.detach().clone() for _, b in heads]
    batches = []
    for ds in datasets:
        subset = Subset(ds, range(min(samples, len(ds))))
        batches += [b for b in DataLoader(subset, batch_size=batch_size, collate_fn=collate_skip_none)
                    if b is not None]
    if not batches:
        raise ConfigError("--disp-init scan: no readable training sample to measure the disparity range on")
    losses: dict[float, float] = {}
    try:
        for k in factors:
            for (_, bias), orig in zip(heads, saved):
                bias.copy_(orig).add_(math.log(k))
            losses[k] = sum(float(task.loss(model, b).terms["image"]) for b in batches)
    finally:
        for (_, bias), orig in zip(heads, saved):
            bias.copy_(orig)
    best = min(losses, key=losses.__getitem__)
    log.info("--disp-init scan over %d batches: best factor %.3g (image loss %s)", len(batches), best,
             ", ".join(f"{k:.3g}: {v:.4f}" for k, v in losses.items()))
    return best, losses


def apply_disp_init(setting: str, task: Any, model: nn.Module, datasets: Sequence[Dataset],
                    batch_size: int) -> float:
    """Apply `--disp-init` (`scan` or a factor) to a freshly loaded model; returns the factor used."""
    factor = scan_factor(task, model, datasets, batch_size)[0] if setting == "scan" else float(setting)
    shift_head(model, factor)
    log.info("--disp-init: disparity head shifted by log(%.4g)", factor)
    return factor
