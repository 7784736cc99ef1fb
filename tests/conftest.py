"""Shared fixtures. Tests make all their own data; nothing here reads ../shared or the network."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def seeded_tf_weights() -> dict[str, np.ndarray]:
    """The float32 weights that `make_checkpoint(seed=0)` writes, keyed by TF name."""
    from panoconv.tf_reference.checkpoint import seeded_weights

    return seeded_weights(0)


@pytest.fixture(scope="session")
def tf_checkpoint(tmp_path_factory) -> Path:
    """A seeded upstream-format TF1 checkpoint (model variables only); returns its prefix."""
    from panoconv.tf_reference.checkpoint import CheckpointSpec, make_checkpoint

    out = tmp_path_factory.mktemp("ckpt") / "model"
    return make_checkpoint(CheckpointSpec(out, seed=0, step=1000))


@pytest.fixture(scope="session")
def tf_checkpoint_with_optimizer(tmp_path_factory) -> Path:
    """As `tf_checkpoint`, plus Adam slots, beta powers and the bare `Variable` step (about 380 MB)."""
    from panoconv.tf_reference.checkpoint import CheckpointSpec, make_checkpoint

    out = tmp_path_factory.mktemp("ckpt_opt") / "model"
    return make_checkpoint(CheckpointSpec(out, seed=0, step=180000, with_optimizer=True))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
