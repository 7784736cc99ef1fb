"""TrainConfig: JSON round trip, run identity, validation, task recipe defaults, lr schedule."""

from __future__ import annotations

import pytest
import torch

from panoconv.training.config import ConfigError, DataSpec, TrainConfig
from panoconv.training.optim import TF1Adam
from panoconv.training.registry import create_task, resolve_config
from panoconv.training.stereo_task import StereoTask, halving_schedule


def test_config_json_round_trip_keeps_every_field():
    data = (DataSpec("a/train.txt", "a", "panorama", 360.0), DataSpec("b.txt", None, "equirectangular"))
    config = TrainConfig(data=data, val_data=(DataSpec("a/val.txt"),), epochs=3, batch_size=4, lr=2e-5,
                         height=128, width=256, seed=7, max_steps=10, out="runs/x", threads=2)
    again = TrainConfig.from_json(config.to_json())
    assert again == config
    assert again.data[0] == DataSpec("a/train.txt", "a", "panorama", 360.0)
    assert again.config_hash() == config.config_hash()


def test_identity_ignores_runtime_fields_only():
    a = TrainConfig(data=(DataSpec("x.txt"),), epochs=2)
    runtime_only = a.replace(out="elsewhere", num_workers=4, max_steps=3, resume=True)
    assert runtime_only.config_hash() == a.config_hash()
    assert a.replace(epochs=3).config_hash() != a.config_hash()
    assert a.replace(epochs=3).differences(a) == ["epochs: 2 -> 3"]


@pytest.mark.parametrize("bad, message", [
    (dict(batch_size=0), "--batch-size must be at least 1"),
    (dict(lr=-1.0), "--lr must be positive"),
    (dict(seed=-1), "--seed must be >= 0"),
    (dict(data=(("x.txt", None, "fisheye"),)), "unknown warp 'fisheye'"),
])
def test_invalid_options_raise_config_error(bad, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**{"data": (DataSpec("x.txt"),), **bad})


def test_unknown_json_keys_are_refused():
    with pytest.raises(ConfigError, match="unknown config keys: bogus"):
        TrainConfig.from_json('{"bogus": 1}')


def test_task_defaults_fill_unset_recipe_fields():
    stereo = resolve_config(TrainConfig(data=(DataSpec("x.txt"),)))
    assert (stereo.arch, stereo.lr, stereo.batch_size, stereo.epochs) == ("monodepth-vgg", 1e-4, 8, 50)
    assert (stereo.height, stereo.width) == (256, 512)
    sup = resolve_config(TrainConfig(data=(DataSpec("x.txt"),), task="supervised", lr=1e-3))
    assert (sup.arch, sup.lr, sup.batch_size, sup.epochs) == ("rectnet", 1e-3, 10, 10)
    with pytest.raises(ConfigError, match="unknown task 'nope'"):
        resolve_config(TrainConfig(data=(DataSpec("x.txt"),), task="nope"))


def test_halving_schedule_matches_tf_piecewise_constant():
    # T = 10: boundaries int(6.0) = 6, int(8.0) = 8; update s uses lr while s <= 6, lr/2 while s <= 8.
    factor = halving_schedule(10)
    assert [factor(s) for s in range(10)] == [1, 1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.25]


def test_stereo_task_uses_tf1_adam_and_halves_lr_at_3_5_and_4_5():
    task = create_task(TrainConfig(data=(DataSpec("x.txt"),), lr=1e-4, epochs=5))
    assert isinstance(task, StereoTask)
    opt = task.make_optimizer(torch.nn.Linear(1, 1))
    assert isinstance(opt, TF1Adam) and opt.defaults["betas"] == (0.9, 0.999)
    param = torch.nn.Parameter(torch.zeros(1))
    opt = TF1Adam([param], lr=1e-4)
    sched = task.make_scheduler(opt, steps_per_epoch=20)  # T = 100 steps
    used = []
    for _ in range(100):
        used.append(opt.param_groups[0]["lr"])
        param.grad = torch.ones(1)
        opt.step()
        sched.step()
    assert used[60] == pytest.approx(1e-4) and used[61] == pytest.approx(5e-5)
    assert used[80] == pytest.approx(5e-5) and used[81] == pytest.approx(2.5e-5)
    assert used[99] == pytest.approx(2.5e-5)
