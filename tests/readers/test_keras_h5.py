"""Keras weight files (Keras 3 `.weights.h5` and the legacy Keras 2 layout) read with correct values."""

from __future__ import annotations

import numpy as np
import pytest

from panoconv.readers import is_optimizer_state, open_checkpoint

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def keras_model():
    from panoconv.tf_reference._tf import import_tf

    import_tf()
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="d1"),
                              keras.layers.Dense(2, name="d2")])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    return model


def test_keras3_weights_h5(keras_model, tmp_path):
    path = tmp_path / "tiny.weights.h5"
    keras_model.save_weights(str(path))
    reader = open_checkpoint(path)
    names = [t.name for t in reader.tensors()]
    model_names = [n for n in names if not is_optimizer_state(n)]
    assert model_names == ["layers/dense/vars/0", "layers/dense/vars/1",
                           "layers/dense_1/vars/0", "layers/dense_1/vars/1"]
    for name, weight in zip(model_names, keras_model.get_weights()):
        np.testing.assert_array_equal(reader.read(name), weight)
    assert reader.global_step == 1  # optimizer iterations
    assert reader.source_files == [path]


def test_legacy_keras2_layout(keras_model, tmp_path):
    import h5py

    path = tmp_path / "legacy.h5"
    weights = keras_model.get_weights()
    with h5py.File(path, "w") as f:  # what Keras 2's save_weights wrote
        f.attrs["layer_names"] = [b"d1", b"d2"]
        for i, layer in enumerate(["d1", "d2"]):
            group = f.create_group(layer)
            group.attrs["weight_names"] = [f"{layer}/kernel:0".encode(), f"{layer}/bias:0".encode()]
            group[f"{layer}/kernel:0"] = weights[2 * i]
            group[f"{layer}/bias:0"] = weights[2 * i + 1]
    reader = open_checkpoint(path)
    assert [t.name for t in reader.tensors()] == ["d1/kernel", "d1/bias", "d2/kernel", "d2/bias"]
    np.testing.assert_array_equal(reader.read("d2/kernel"), weights[2])
    assert reader.global_step is None
