"""`train --precision`: bf16 autocast trains (losses close to float32's, not identical), fp16 and an unknown
precision refused in one line."""

from __future__ import annotations

import pytest
import torch
from click.testing import CliRunner

from panoconv.cli import main
from panoconv.training import train
from panoconv.training.config import ConfigError
from tests.training._tiny import tiny_config, write_list


def test_bf16_losses_track_fp32(tmp_path):
    fp32 = train(tiny_config(tmp_path, out=str(tmp_path / "a"), epochs=2))
    bf16 = train(tiny_config(tmp_path, out=str(tmp_path / "b"), epochs=2, precision="bf16"))
    assert len(bf16.losses) == len(fp32.losses) == 6
    assert bf16.losses != fp32.losses  # autocast really ran in bfloat16
    for a, b in zip(fp32.losses, bf16.losses):
        assert abs(a - b) <= 0.05 * abs(a), (fp32.losses, bf16.losses)
    assert bf16.losses[-1] < bf16.losses[0]


def test_unknown_precision_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="--precision must be one of fp32, bf16, fp16"):
        tiny_config(tmp_path, precision="int8")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU refusal")
@pytest.mark.parametrize("args, message", [
    (["--precision", "fp16", "--device", "cpu"], "--precision fp16 needs CUDA"),
    (["--device", "cuda"], "CUDA is not available"),
])
def test_cli_refusals_one_line(tmp_path, args, message):
    data = write_list(tmp_path / "a.txt", 8)
    result = CliRunner().invoke(main, ["train", "--task", "tiny-test", "--data", data, "--height", "8",
                                       "--width", "8", "--epochs", "1", "--out", str(tmp_path / "run"),
                                       "--threads", "1", *args])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_bf16_monodepth_training_runs_close_to_fp32(tmp_path):
    """The real network and stereo loss: only the network runs in bfloat16 (the warp needs one dtype)."""
    from panoconv.data.synth import SynthRequest, generate
    from panoconv.training.config import DataSpec, TrainConfig

    data = generate(SynthRequest(tmp_path / "synth", kind="rectilinear", count=4, height=128, width=128,
                                 progress=False))
    base = TrainConfig(data=(DataSpec(str(data / "train.txt"), warp="rectilinear"),), batch_size=1,
                       max_steps=2, height=128, width=128, progress=False, threads=1, seed=2, augment=False)
    fp32 = train(base.replace(out=str(tmp_path / "a")))
    bf16 = train(base.replace(out=str(tmp_path / "b"), precision="bf16"))
    assert len(bf16.losses) == 2 and bf16.losses != fp32.losses
    for a, b in zip(fp32.losses, bf16.losses):
        assert abs(a - b) <= 0.02 * abs(a), (fp32.losses, bf16.losses)
