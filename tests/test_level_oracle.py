"""benchmarks/level_oracle.py: the supervised upper bound's loss and its command line."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import level_oracle as lo


def _pyramid(full: torch.Tensor) -> list[torch.Tensor]:
    """(B, 1, H, W) -> four scales of a two-channel network output (left = `full` pooled, right = junk)."""
    out = []
    for i in range(lo.NUM_SCALES):
        left = F.avg_pool2d(full, 2 ** i) if i else full
        out.append(torch.cat([left, torch.full_like(left, 0.3)], 1))
    return out


def test_the_log_disparity_loss_is_zero_at_the_truth_and_counts_each_scale():
    truth = torch.rand(2, 1, 16, 32) * 0.2 + 0.01
    assert float(lo.log_disparity_loss(_pyramid(truth), truth)) == pytest.approx(0.0, abs=1e-6)
    # a factor e everywhere is |log e| = 1 per scale, the right channel never read
    assert float(lo.log_disparity_loss(_pyramid(truth * math.e), truth)) == pytest.approx(4.0, rel=1e-5)


def test_invalid_truth_is_left_out_at_every_scale():
    truth = torch.full((1, 1, 16, 32), 0.05)
    truth[..., :8] = 0.0  # no depth there (sky, say)
    guess = torch.full_like(truth, 0.05)
    guess[..., :8] = 0.5  # wrong only where nothing is known
    assert float(lo.log_disparity_loss(_pyramid(guess), truth)) == pytest.approx(0.0, abs=1e-6)
    guess[..., 8:] = 0.1
    # at 1/8 a pooled pixel straddling the invalid block would mix 0.5 and 0.1: it must be dropped too
    assert float(lo.log_disparity_loss(_pyramid(guess), truth)) == pytest.approx(4 * math.log(2), rel=1e-5)


def test_named_models_need_a_name_and_an_existing_file(tmp_path):
    w = tmp_path / "w.safetensors"
    w.write_bytes(b"x")
    assert lo.named_model(f"fine-tune 1000={w}") == ("fine-tune 1000", w)
    for bad in (str(w), f"={w}", f"a={tmp_path / 'missing.safetensors'}"):
        with pytest.raises(argparse.ArgumentTypeError):
            lo.named_model(bad)


def test_the_left_image_term_is_lowest_at_the_true_disparity_and_ignores_the_right_channel():
    from panoconv.losses.monodepth import MonodepthLossConfig

    gen = torch.Generator().manual_seed(0)
    texture = F.avg_pool2d(torch.rand(1, 3, 32, 80, generator=gen), 3, 1, 1)  # a wall, 16 px apart
    left, right = texture[..., :64], texture[..., 16:80]  # left(x) = right(x - 16)
    truth = torch.full((1, 1, 32, 64), 16 / 64)
    config = MonodepthLossConfig(warp="rectilinear")
    scores = {f: lo.left_image_term([d * f for d in _pyramid(truth)], left, right, config)
              for f in (0.5, 0.75, 1.0, 1.25)}
    assert min(scores, key=scores.get) == 1.0
    junk = [torch.cat([d[:, :1], torch.rand(d[:, :1].shape, generator=gen)], 1) for d in _pyramid(truth)]
    assert lo.left_image_term(junk, left, right, config) == scores[1.0]
