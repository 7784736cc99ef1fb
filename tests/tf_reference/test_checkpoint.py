import numpy as np
import pytest

from panoconv.arch import monodepth_vgg as arch
from panoconv.errors import OutputExistsError
from panoconv.tf_reference.checkpoint import CheckpointSpec, make_checkpoint


def _reader(prefix):
    from panoconv.tf_reference._tf import import_tf

    return import_tf().train.load_checkpoint(str(prefix))


def test_upstream_names_shapes_and_values(tf_checkpoint, seeded_tf_weights):
    reader = _reader(tf_checkpoint)
    shapes = reader.get_variable_to_shape_map()
    assert set(shapes) == {r.tf_name for r in arch.NAME_TABLE}
    for row in arch.NAME_TABLE:
        assert tuple(shapes[row.tf_name]) == row.tf_shape
        np.testing.assert_array_equal(reader.get_tensor(row.tf_name), seeded_tf_weights[row.tf_name])
    assert tf_checkpoint.name == "model-1000"
    for suffix in (".index", ".data-00000-of-00001", ".meta"):
        assert (tf_checkpoint.parent / f"model-1000{suffix}").is_file()
    assert 'model_checkpoint_path: "model-1000"' in (tf_checkpoint.parent / "checkpoint").read_text()


def test_optimizer_state_as_upstream_training_leaves_it(tf_checkpoint_with_optimizer):
    reader = _reader(tf_checkpoint_with_optimizer)
    shapes = reader.get_variable_to_shape_map()
    dtypes = reader.get_variable_to_dtype_map()
    assert len(shapes) == 64 * 3 + 3
    assert "model/decoder/Conv_17/weights/Adam" in shapes and "model/decoder/Conv_17/weights/Adam_1" in shapes
    assert reader.get_tensor("Variable") == 180000 and dtypes["Variable"].name == "int32"
    assert {"beta1_power", "beta2_power"} <= set(shapes)
    assert (reader.get_tensor("model/encoder/Conv/weights/Adam_1") >= 0).all()
    assert reader.get_tensor("model/encoder/Conv/weights/Adam").std() > 0


def test_meta_graph_stays_small(tf_checkpoint_with_optimizer):
    """Weights are loaded through feeds, not baked into the graph as constants (as upstream)."""
    assert (tf_checkpoint_with_optimizer.parent / "model-180000.meta").stat().st_size < 5_000_000


def test_refuses_to_overwrite(tf_checkpoint):
    with pytest.raises(OutputExistsError, match="already exists"):
        make_checkpoint(CheckpointSpec(tf_checkpoint.parent / "model", step=1000))


def test_non_tf_cards_have_no_checkpoint(tmp_path):
    from panoconv.errors import PanoconvError

    with pytest.raises(PanoconvError, match="rectnet is not a TensorFlow-born network"):
        make_checkpoint(CheckpointSpec(tmp_path / "model", architecture="rectnet"))
    assert not list(tmp_path.iterdir())


def test_seed_changes_weights(tmp_path):
    from panoconv.tf_reference.checkpoint import seeded_weights

    a, b = seeded_weights(0), seeded_weights(1)
    name = "model/encoder/Conv/weights"
    assert not np.array_equal(a[name], b[name])
    np.testing.assert_array_equal(a[name], seeded_weights(0)[name])


def test_given_weights_are_written_as_they_are(tmp_path):
    """State dict -> torch_to_tf -> upstream checkpoint holds exactly those values (the benchmark path)."""
    from panoconv.converter.name_map import torch_to_tf

    rng = np.random.default_rng(7)
    state = {row.torch_name: rng.normal(size=row.torch_shape).astype(np.float32) for row in arch.NAME_TABLE}
    values = torch_to_tf(state, arch.NAME_TABLE)
    prefix = make_checkpoint(CheckpointSpec(tmp_path / "model", step=7), values)
    reader = _reader(prefix)
    for row in arch.NAME_TABLE:
        back = row.layout.to_torch(reader.get_tensor(row.tf_name))
        np.testing.assert_array_equal(back, state[row.torch_name])
    values.pop("model/decoder/Conv_17/biases")
    with pytest.raises(ValueError, match=r"missing \['model/decoder/Conv_17/biases'\]"):
        make_checkpoint(CheckpointSpec(tmp_path / "other", step=7), values)
