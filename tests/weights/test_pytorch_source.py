"""`.pth` files as other projects save them: every container form read; code and damage refused, one line."""

from __future__ import annotations

import os

import pytest
import torch

from panoconv.errors import CheckpointError
from panoconv.weights.pytorch_source import read_pytorch_checkpoint
from tests.pt_model.omnidepth_pytorch_nets import UpstreamRectNet


def _state():
    torch.manual_seed(0)
    return UpstreamRectNet().state_dict()


def _forms(state):
    module = {f"module.{k}": v for k, v in state.items()}
    optimizer = torch.optim.Adam(UpstreamRectNet().parameters()).state_dict()
    return {
        "bare": state,
        "state_dict": {"state_dict": state},
        "state_dict_module": {"state_dict": module},
        "published": {"epoch": 0, "state_dict": module},  # rectnet.pth as converted from Caffe
        "trainer": {"epoch": 7, "experiment": "omnidepth", "state_dict": module, "optimizer": optimizer,
                    "loss_meter": {"val": 0.5, "sum": 1.0, "count": 2, "avg": 0.5}, "best_d1_inlier": 0.9},
    }


@pytest.mark.parametrize("form", ["bare", "state_dict", "state_dict_module", "published", "trainer"])
def test_every_container_form_is_read_with_prefixes_stripped(tmp_path, form):
    state = _state()
    path = tmp_path / f"{form}.pth"
    torch.save(_forms(state)[form], path)
    ckpt = read_pytorch_checkpoint(path)
    assert set(ckpt.state) == set(state) and all(torch.equal(ckpt.state[k], v) for k, v in state.items())
    assert ckpt.epoch == {"published": 0, "trainer": 7}.get(form)
    wrapped = form in ("state_dict_module", "published", "trainer")
    assert ckpt.stripped_prefixes == (("module.",) if wrapped else ())
    if form == "trainer":
        assert "optimizer" in ckpt.other_keys and ckpt.container == "{'state_dict', ...}"


class _Payload:
    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return os.system, (f"touch {self.target}",)


def test_a_pickle_holding_code_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": _state(), "hook": _Payload(str(marker))}, path)
    with pytest.raises(CheckpointError) as err:
        read_pytorch_checkpoint(path)
    message = str(err.value)
    assert message.startswith(f"{path}: refused: the pickle holds Python objects") and "\n" not in message
    assert "system" in message  # names what it asked for
    assert not marker.exists()


@pytest.mark.parametrize("content, message", [
    (b"PK\x03\x04 truncated zip", "not a readable PyTorch checkpoint"),
    (None, "no such weights file"),
])
def test_damaged_or_missing_files(tmp_path, content, message):
    path = tmp_path / "bad.pth"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message) as err:
        read_pytorch_checkpoint(path)
    assert "\n" not in str(err.value)


def test_non_tensor_entries_and_other_objects_are_refused(tmp_path):
    torch.save({"state_dict": {"a.weight": torch.zeros(1), "b": 3}}, tmp_path / "mixed.pth")
    with pytest.raises(CheckpointError, match="entry 'b' is a int, not a tensor"):
        read_pytorch_checkpoint(tmp_path / "mixed.pth")
    torch.save([torch.zeros(1)], tmp_path / "list.pth")
    with pytest.raises(CheckpointError, match="holds a list, not a state dict"):
        read_pytorch_checkpoint(tmp_path / "list.pth")
    torch.save({"a": torch.zeros(1), "module.a": torch.ones(1)}, tmp_path / "twice.pth")
    with pytest.raises(CheckpointError, match="key 'a' appears twice"):
        read_pytorch_checkpoint(tmp_path / "twice.pth")
