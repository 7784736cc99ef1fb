"""The fp16 loss scale is saved and restored with the run (exact resume for `--precision fp16`).

CUDA is absent here, so the scaler is torch's CPU GradScaler: the state dict (scale, growth tracker,
factors) is the same structure the CUDA scaler snapshots, and the plumbing through `RunState` is what
is tested. Whether fp16 training itself resumes exactly needs a GPU (benchmarks/gpu_check.py)."""

from __future__ import annotations

import logging

import torch

from panoconv.training.state import RunState
from tests.training._tiny import tiny_config


def _state(tmp_path, scaler):
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    return RunState(tiny_config(tmp_path), model, optimizer, scheduler, steps_per_epoch=3, scaler=scaler)


def _scaler(scale: float = 65536.0) -> torch.amp.GradScaler:
    scaler = torch.amp.GradScaler("cpu", init_scale=scale, growth_interval=7)
    scaler.scale(torch.ones(()))  # the scale tensor exists from the first scaled loss on
    return scaler


def test_loss_scale_and_growth_tracker_round_trip(tmp_path):
    first = _scaler()
    first.update(new_scale=384.0)
    first._growth_tracker.fill_(5)  # five good steps since the last change
    saved = _state(tmp_path, first)
    saved.step = 4
    path = saved.save(tmp_path / "run")
    resumed = _state(tmp_path, _scaler())
    resumed.restore(path)
    assert resumed.scaler.get_scale() == 384.0 and resumed.scaler.get_growth_interval() == 7
    assert resumed.scaler.state_dict() == first.state_dict()


def test_snapshot_without_a_scale_keeps_the_fresh_one_and_says_so(tmp_path, caplog):
    path = _state(tmp_path, None).save(tmp_path / "run")
    assert "scaler" not in torch.load(path, weights_only=True)
    resumed = _state(tmp_path, _scaler(1024.0))
    with caplog.at_level(logging.WARNING):
        resumed.restore(path)
    assert resumed.scaler.get_scale() == 1024.0 and "the scale starts anew" in caplog.text
