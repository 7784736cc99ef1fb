"""SupervisedTask: recipe (bias lr x2, StepLR), loss on 3D60 batches, a short training run, evaluation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from panoconv.data.threed60 import COLUMNS
from panoconv.io.exr import write_depth_exr
from panoconv.io.images import save_rgb
from panoconv.pt_model import RectNet, UResNet
from panoconv.training.config import ConfigError, DataSpec
from panoconv.training.supervised_task import SupervisedRecipe, SupervisedTask, evaluate_supervised

H, W = 16, 32


def make_split(root: Path, n: int) -> Path:
    """n tiny 3D60-layout samples whose depth is a smooth function of the colour."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        stem = f"{i}_0123456789abcdef{i}"
        tokens = [f"Matterport3D/{stem}_{k}_0_{v}_0.0.{'png' if k == 'color' else 'exr'}" for k, v in COLUMNS]
        (root / "Matterport3D").mkdir(parents=True, exist_ok=True)
        depth = np.tile(rng.uniform(1.0, 6.0) + np.sin(np.linspace(0, 2 * np.pi, W)),
                        (H, 1)).astype(np.float32)
        depth[-1] = 0.0  # a hole row
        save_rgb(root / tokens[0], np.repeat((depth / 8.0)[..., None], 3, -1))
        write_depth_exr(root / tokens[3], depth)
        rows.append(" ".join(tokens))
    split = root / "split.txt"
    split.write_text("\n".join(rows) + "\n")
    return split


def test_recipe_defaults_and_bias_lr_groups():
    task = SupervisedTask("rectnet")
    assert task.recipe == SupervisedRecipe(2e-4, 2.0, 0.0, 10, 10, 3, 0.5)
    model = task.build_model()
    assert isinstance(model, RectNet)
    opt = task.make_optimizer(model)
    assert isinstance(opt, torch.optim.Adam)
    weights, biases = opt.param_groups
    assert weights["lr"] == pytest.approx(2e-4) and biases["lr"] == pytest.approx(4e-4)
    assert weights["weight_decay"] == 0.0 and biases["weight_decay"] == 0.0
    n_bias = sum(1 for k, _ in model.named_parameters() if k.endswith("bias"))
    assert len(biases["params"]) == n_bias
    assert len(weights["params"]) == len(list(model.parameters())) - n_bias
    assert isinstance(SupervisedTask("uresnet").build_model(), UResNet)
    with pytest.raises(ConfigError, match="rectnet, uresnet"):
        SupervisedTask("monodepth-vgg")


def test_scheduler_halves_every_three_epochs():
    opt = torch.optim.Adam([nn.Parameter(torch.zeros(1))], lr=2e-4)
    sched = SupervisedTask().make_scheduler(opt, steps_per_epoch=2)
    lrs = []
    for _ in range(13):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[5] == pytest.approx(2e-4) and lrs[6] == pytest.approx(1e-4) and lrs[12] == pytest.approx(5e-5)


def test_loss_on_batch_and_short_training_reduces_it(tmp_path):
    torch.manual_seed(0)
    task = SupervisedTask("rectnet", size=(H, W), rotate=True, recipe=SupervisedRecipe(lr=5e-4))
    ds = task.build_dataset(DataSpec(str(make_split(tmp_path, 2))), training=True)
    batch = next(iter(DataLoader(ds, batch_size=2)))
    model = task.build_model()
    opt = task.make_optimizer(model)
    first = task.loss(model, batch)
    assert set(first.terms) == {"l2_1x", "grad_1x", "l2_2x", "grad_2x"}
    losses = []
    for _ in range(12):
        out = task.loss(model, batch)
        opt.zero_grad()
        out.total.backward()
        opt.step()
        losses.append(float(out.total.detach()))
    assert np.mean(losses[-3:]) < 0.4 * losses[0]  # no BN: noisy, but clearly down


class _ScaledOracle(nn.Module):
    """Returns the ground truth times 3 (so median scaling makes it perfect)."""

    def __init__(self, depth: torch.Tensor) -> None:
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(()))
        self.register_buffer("depth", depth)
        self.calls = 0

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        out = self.depth[self.calls : self.calls + image.shape[0]] * 3.0
        self.calls += image.shape[0]
        return [out]


def test_evaluate_supervised_median_scaling(tmp_path):
    ds = SupervisedTask(size=(H, W)).build_dataset(DataSpec(str(make_split(tmp_path, 3))), training=False)
    depth = torch.stack([ds[i]["depth"] for i in range(len(ds))])
    perfect = evaluate_supervised(_ScaledOracle(depth), ds, batch_size=2)
    assert perfect.abs_rel == pytest.approx(0.0, abs=1e-6) and perfect.a1 == 1.0
    unscaled = evaluate_supervised(_ScaledOracle(depth), ds, batch_size=2, median_scaling=False)
    assert unscaled.abs_rel == pytest.approx(2.0, rel=1e-5) and unscaled.a1 == 0.0
    assert evaluate_supervised(_ScaledOracle(depth), ds, max_images=1).abs_rel == pytest.approx(0.0, abs=1e-6)


@pytest.mark.slow
def test_trainer_registry_builds_supervised_task_and_trains_one_step(tmp_path):
    """`panoconv train --task supervised` path: registry -> task -> data -> optimizer -> train()."""
    from panoconv.training import DataSpec, TrainConfig, train
    from panoconv.training.registry import create_task

    split = make_split(tmp_path / "data", 2)
    config = TrainConfig(task="supervised", data=(DataSpec(str(split)),), height=H, width=W, batch_size=2,
                         max_steps=1, epochs=1, out=str(tmp_path / "run"), progress=False, threads=1)
    task = create_task(config)
    assert isinstance(task.build_model(), RectNet)
    weights, biases = task.make_optimizer(task.build_model()).param_groups
    assert (weights["lr"], biases["lr"]) == (pytest.approx(2e-4), pytest.approx(4e-4))
    assert task.build_dataset(config.data[0], training=True)[0]["image"].shape == (3, H, W)
    result = train(config)
    assert Path(result.weights).is_file()


def test_train_size_must_suit_the_card_and_skipped_rows_go_to_the_run_folder(tmp_path):
    from panoconv.training.config import ConfigError

    with pytest.raises(ConfigError, match=r"66x128 do not suit rectnet: .* multiples of 4 \(e.g. 64x128\)"):
        SupervisedTask("rectnet", size=(66, 128))
    split = make_split(tmp_path / "data", 2)
    split.write_text(split.read_text() + "Matterport3D/x.png too few\n")
    run = tmp_path / "run"
    task = SupervisedTask(size=(H // 2, W // 2), skip_bad=True, skipped_dir=run, datasets=("Matterport3D",))
    ds = task.build_dataset(DataSpec(str(split)), training=False)
    assert len(ds) == 2 and ds[0]["image"].shape == (3, H // 2, W // 2)  # resized to the training size
    listing = (run / "skipped_rows_split.txt").read_text().splitlines()
    assert len(listing) == 2 and listing[1].startswith(f"{split}:3\tmalformed")


class _Negative(torch.nn.Module):
    """Predicts -1 m everywhere (a broken model): scored as 1 mm, as OmniDepth and `evaluate` score it."""

    def __init__(self) -> None:
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return -torch.ones_like(x[:, :1]) + 0 * self.dummy


def test_evaluate_supervised_scores_with_the_evaluation_protocol(tmp_path):
    ds = SupervisedTask(size=(H, W)).build_dataset(DataSpec(str(make_split(tmp_path, 2))), training=False)
    got = evaluate_supervised(_Negative(), ds, batch_size=2, median_scaling=False)
    expected = np.mean([np.mean((d[m] - 1e-3) / d[m]) for d, m in
                        ((ds[i]["depth"].numpy()[0], ds[i]["mask"].numpy()[0]) for i in range(len(ds)))])
    assert got.abs_rel == pytest.approx(expected, rel=1e-6) and got.a1 == 0.0
