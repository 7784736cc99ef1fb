"""NaN or inf weights are refused when loaded (predict, evaluate), naming the file and the tensor."""

from __future__ import annotations

import math

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from panoconv.cli import main
from panoconv.errors import NonFiniteError
from panoconv.pt_model import create_model
from panoconv.weights import load_model
from panoconv.weights.finite import nonfinite_tensors


@pytest.fixture(scope="module")
def state():
    torch.manual_seed(0)
    return create_model("monodepth-vgg").state_dict()


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_load_model_names_the_tensor(tmp_path, state, bad):
    damaged = {k: v.clone() for k, v in state.items()}
    damaged["decoder.iconv3.weight"].view(-1)[5] = bad
    path = tmp_path / "m.pt"
    torch.save(damaged, path)
    n = damaged["decoder.iconv3.weight"].numel()
    with pytest.raises(NonFiniteError, match=rf"m.pt: weights hold NaN or inf values: decoder.iconv3.weight "
                                             rf"\(1 of {n}\)"):
        load_model(path)


def test_huge_finite_weights_are_not_mistaken_for_inf():
    big = torch.full((4,), 3e38)  # the sum overflows to inf; every value is finite
    assert nonfinite_tensors([("w", big)]) == []
    assert nonfinite_tensors([("w", torch.tensor([1.0, math.nan])),
                              ("i", torch.tensor([1, 2]))]) == ["w (1 of 2)"]


def test_predict_refuses_nan_weights_in_one_line(tmp_path, state):
    damaged = {k: v.clone() for k, v in state.items()}
    name = next(k for k in damaged if k.endswith("weight"))
    damaged[name].view(-1)[0] = math.nan
    path = tmp_path / "nan.pt"
    torch.save(damaged, path)
    Image.new("RGB", (128, 64)).save(tmp_path / "x.png")
    result = CliRunner().invoke(main, ["predict", "-w", str(path), str(tmp_path / "x.png"), "-o",
                                       str(tmp_path / "o")])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1, result.stderr
    assert f"nan.pt: weights hold NaN or inf values: {name} (" in lines[0]
    assert not (tmp_path / "o").exists()
