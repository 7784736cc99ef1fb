import pytest
import torch

from panoconv.errors import CheckpointError, OutputExistsError, WeightMappingError
from panoconv.pt_model import create_model
from panoconv.weights import load_model, load_weights, save_weights


@pytest.fixture(scope="module")
def state():
    torch.manual_seed(1)
    return create_model("monodepth-vgg").state_dict()


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_round_trip(tmp_path, state, suffix):
    path = save_weights(state, tmp_path / f"w{suffix}", {"architecture": "monodepth-vgg", "ring_pad": "true"})
    loaded, meta = load_weights(path)
    assert all(torch.equal(loaded[k], state[k]) for k in state)
    model = load_model(path)
    assert torch.equal(model.decoder.disp1.weight, state["decoder.disp1.weight"])
    if suffix == ".safetensors":
        assert meta["architecture"] == "monodepth-vgg" and model.ring_pad is True
    assert load_model(path, ring_pad=False).ring_pad is False


def test_strips_ddp_and_compile_prefixes(tmp_path, state):
    wrapped = {f"module._orig_mod.{k}": v for k, v in state.items()}
    path = save_weights(wrapped, tmp_path / "w.pt", {})
    model = load_model(path)
    assert torch.equal(model.encoder.conv7b.bias, state["encoder.conv7b.bias"])


def test_strict_load_names_the_problem(tmp_path, state):
    partial = {k: v for k, v in state.items() if k != "decoder.iconv1.weight"}
    path = save_weights(partial, tmp_path / "w.safetensors", {"architecture": "monodepth-vgg"})
    with pytest.raises(
        WeightMappingError, match=r"does not fit monodepth-vgg: 1 tensor is missing: decoder.iconv1.weight$"
    ):
        load_model(path)


def test_refuses_existing_and_unknown(tmp_path, state):
    path = save_weights({"a": torch.zeros(1)}, tmp_path / "w.safetensors", {})
    with pytest.raises(OutputExistsError):
        save_weights({"a": torch.zeros(1)}, path, {})
    with pytest.raises(CheckpointError, match="unknown weights format"):
        save_weights({"a": torch.zeros(1)}, tmp_path / "w.bin", {})
    (tmp_path / "junk.safetensors").write_bytes(b"\x00garbage")
    with pytest.raises(CheckpointError, match=r"junk.safetensors: unreadable"):
        load_weights(tmp_path / "junk.safetensors")


def test_pickled_objects_are_never_executed(tmp_path):
    import pickle

    class Boom:
        def __reduce__(self):
            return (print, ("executed!",))

    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"a": Boom()}, f)
    with pytest.raises(CheckpointError, match=r"evil.pt"):
        load_weights(path)
