"""Checkpoints: safe format, RNG round trip, and a failed write leaves the previous checkpoint usable."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from panoconv.errors import CheckpointError
from panoconv.training import checkpoint as ck


def _state(step: int) -> dict:
    return {"step": step, "model": {"w": torch.full((3,), float(step))}, "rng": ck.capture_rng(),
            "config": {"data": ({"list_file": "a.txt"},), "lr": 1e-4}}


def test_checkpoint_loads_with_weights_only_and_restores_rng(tmp_path):
    torch.manual_seed(1), np.random.seed(2), random.seed(3)
    path = ck.save_checkpoint(tmp_path, _state(5))
    expected = (torch.rand(2), np.random.rand(2), random.random())
    state = ck.load_checkpoint(path)  # weights_only=True inside
    assert state["step"] == 5 and torch.equal(state["model"]["w"], torch.full((3,), 5.0))
    ck.restore_rng(state["rng"])
    again = (torch.rand(2), np.random.rand(2), random.random())
    assert torch.equal(expected[0], again[0]) and np.array_equal(expected[1], again[1])
    assert expected[2] == again[2]


def test_only_the_newest_checkpoints_are_kept_and_latest_points_to_the_newest(tmp_path):
    for step in (10, 20, 30):
        ck.save_checkpoint(tmp_path, _state(step), keep=2)
    names = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert names == ["latest", "step_00000020.pt", "step_00000030.pt"]
    assert ck.latest_checkpoint(tmp_path).name == "step_00000030.pt"


def test_failure_while_writing_keeps_previous_checkpoint(tmp_path, monkeypatch):
    ck.save_checkpoint(tmp_path, _state(10), keep=1)
    real_save = torch.save

    def dies_half_way(obj, f):  # a partial file, then the process "dies"
        real_save(obj, f)
        with open(f, "r+b") as fh:
            fh.truncate(100)
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(ck.torch, "save", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        ck.save_checkpoint(tmp_path, _state(20), keep=1)
    monkeypatch.undo()
    latest = ck.latest_checkpoint(tmp_path)
    assert latest.name == "step_00000010.pt"
    assert ck.load_checkpoint(latest)["step"] == 10
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["latest", "step_00000010.pt"]


def test_kill_before_latest_is_updated_leaves_previous_as_latest(tmp_path, monkeypatch):
    ck.save_checkpoint(tmp_path, _state(10), keep=1)
    real_atomic_file = ck.atomic_file

    def dies(path, mode="wb"):
        raise KeyboardInterrupt("killed before the pointer was written")

    monkeypatch.setattr(ck, "atomic_file", dies)
    with pytest.raises(KeyboardInterrupt):
        ck.save_checkpoint(tmp_path, _state(20), keep=1)
    monkeypatch.setattr(ck, "atomic_file", real_atomic_file)
    assert ck.load_checkpoint(ck.latest_checkpoint(tmp_path))["step"] == 10  # the older one was not pruned


def test_damaged_or_foreign_files_are_refused(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        ck.load_checkpoint(bad)
    foreign = tmp_path / "foreign.pt"
    torch.save({"w": torch.zeros(1)}, foreign)
    with pytest.raises(CheckpointError, match="not a panoconv training checkpoint"):
        ck.load_checkpoint(foreign)
