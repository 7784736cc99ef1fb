import numpy as np
import pytest

from panoconv.arch import monodepth_vgg as arch
from panoconv.converter.name_map import DictSource, map_to_torch, torch_to_tf
from panoconv.errors import WeightMappingError
from panoconv.readers import is_optimizer_state

TABLE = arch.NAME_TABLE


def test_fills_every_parameter_once_with_oihw(seeded_tf_weights):
    state, report = map_to_torch(DictSource(seeded_tf_weights), TABLE)
    assert report.ok and len(report.filled) == 64 and len(state) == 64
    w = seeded_tf_weights["model/decoder/Conv_10/weights"]  # iconv3, HWIO (3, 3, 130, 64)
    assert state["decoder.iconv3.weight"].shape == (64, 130, 3, 3)
    assert state["decoder.iconv3.weight"][5, 129, 0, 2] == w[0, 2, 129, 5]
    assert np.array_equal(torch_to_tf(state, TABLE)["model/decoder/Conv_10/weights"], w)


def test_optimizer_state_is_skipped_not_unexpected(seeded_tf_weights):
    values = dict(seeded_tf_weights)
    values["model/encoder/Conv/weights/Adam"] = np.zeros((7, 7, 3, 32), np.float32)
    values["beta1_power"] = np.float32(0.9)
    values["Variable"] = np.int32(5)
    _, report = map_to_torch(DictSource(values), TABLE)
    assert report.ok and len(report.skipped_optimizer) == 3
    assert is_optimizer_state("optimizer/iter") and is_optimizer_state("x/.OPTIMIZER_SLOT/m")
    assert not is_optimizer_state("model/encoder/Conv/weights")


def test_strict_lists_missing_unexpected_and_mismatched(seeded_tf_weights):
    values = dict(seeded_tf_weights)
    del values["model/decoder/Conv_17/biases"]
    values["model/encoder/Conv_2/weights"] = np.zeros((3, 3, 32, 64), np.float32)
    values["resnet/conv1/weights"] = np.zeros((1,), np.float32)
    with pytest.raises(WeightMappingError) as info:
        map_to_torch(DictSource(values), TABLE)
    err = info.value
    assert err.missing == ["decoder.disp1.bias"]
    assert err.unexpected == ["resnet/conv1/weights"]
    assert err.mismatched == [("model/encoder/Conv_2/weights", (5, 5, 32, 64), (3, 3, 32, 64))]
    assert "1 missing: decoder.disp1.bias" in str(err) and "expected (5, 5, 32, 64)" in str(err)


def test_non_finite_values_are_refused(seeded_tf_weights):
    values = dict(seeded_tf_weights)
    bad = values["model/encoder/Conv_3/biases"].copy()
    bad[7] = np.nan
    values["model/encoder/Conv_3/biases"] = bad
    with pytest.raises(WeightMappingError, match="non-finite: model/encoder/Conv_3/biases"):
        map_to_torch(DictSource(values), TABLE)


def test_legacy_flattened_layout_is_reshaped(seeded_tf_weights):
    """The earlier port stored every tensor flattened to (1, N) in C order of the HWIO kernel."""
    flat = {f"{k}:0": v.reshape(1, -1) for k, v in seeded_tf_weights.items()}
    state, report = map_to_torch(DictSource(flat, legacy=True), TABLE, legacy=True)
    assert report.ok and len(report.reshaped_legacy) == 64
    ref, _ = map_to_torch(DictSource(seeded_tf_weights), TABLE)
    assert all(np.array_equal(state[k], ref[k]) for k in ref)
    with pytest.raises(WeightMappingError, match="shape mismatch"):
        map_to_torch(DictSource(flat), TABLE)  # flattened arrays are only accepted from a legacy source


def test_non_strict_returns_partial_state(seeded_tf_weights):
    values = {k: v for k, v in seeded_tf_weights.items() if "encoder" in k}
    state, report = map_to_torch(DictSource(values), TABLE, strict=False)
    assert len(state) == 28 and len(report.missing) == 36 and not report.ok
