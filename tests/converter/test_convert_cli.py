"""`panoconv convert`: sources of every kind, strictness, and bad input."""

import numpy as np
import pytest
from click.testing import CliRunner

from panoconv.cli import main
from panoconv.weights import load_model, load_weights


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _assert_user_error(result, *fragments):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_checkpoint_to_safetensors_with_provenance(tf_checkpoint, seeded_tf_weights, tmp_path):
    out = tmp_path / "m.safetensors"
    result = _invoke("convert", f"{tf_checkpoint}.index", "-o", out, "--ring-pad")
    assert result.exit_code == 0, result.output
    assert "arch        monodepth-vgg (detected)" in result.stdout
    state, meta = load_weights(out)
    assert meta["architecture"] == "monodepth-vgg" and meta["ring_pad"] == "true"
    assert meta["source_kind"] == "checkpoint" and len(meta["source_sha256"]) == 64
    assert meta["global_step"] == "1000"
    kernel = seeded_tf_weights["model/encoder/Conv_1/weights"]
    np.testing.assert_array_equal(state["encoder.conv1b.weight"].numpy(), kernel.transpose(3, 2, 0, 1))
    assert load_model(out).ring_pad is True


def test_earlier_port_flattened_folder(seeded_tf_weights, tmp_path):
    legacy = tmp_path / "numpy_weight"
    legacy.mkdir()
    for name, value in seeded_tf_weights.items():
        np.save(legacy / (name.replace("/", ".") + ":0.npy"), value.reshape(1, -1))
    out = tmp_path / "legacy.pt"
    result = _invoke("convert", legacy, "-o", out)
    assert result.exit_code == 0, result.output
    assert "64 reshaped from the flattened layout" in result.stdout
    state, _ = load_weights(out)
    np.testing.assert_array_equal(state["decoder.iconv3.weight"].numpy(),
                                  seeded_tf_weights["model/decoder/Conv_10/weights"].transpose(3, 2, 0, 1))


def test_missing_tensors_fail_unless_allowed(seeded_tf_weights, tmp_path):
    legacy = tmp_path / "partial"
    legacy.mkdir()
    for name, value in seeded_tf_weights.items():
        if "encoder/Conv_13" not in name:
            np.save(legacy / (name.replace("/", ".") + ":0.npy"), value.reshape(1, -1))
    out = tmp_path / "p.safetensors"
    _assert_user_error(
        _invoke("convert", legacy, "-o", out),
        "looks like monodepth-vgg but 2 tensors are missing: model/encoder/Conv_13/weights, "
        "model/encoder/Conv_13/biases",
    )
    assert not out.exists()
    allowed = _invoke("convert", legacy, "-o", out, "--allow-missing")
    assert allowed.exit_code == 0 and out.exists() and "INCOMPLETE" in allowed.stderr


def test_nan_and_wrong_shape_in_a_store(seeded_tf_weights, tmp_path):

    for problem in ("nan", "shape"):
        values = dict(seeded_tf_weights)
        key = "model/decoder/Conv_5/weights"
        values[key] = values[key].copy()
        if problem == "nan":
            values[key][0, 0, 0, 0] = np.nan
        else:
            values[key] = values[key][:, :, :10]
        store = tmp_path / f"store_{problem}"
        store.mkdir()
        for name, value in values.items():
            np.save(store / (name.replace("/", ".") + ":0.npy"), value)
        out = tmp_path / f"{problem}.safetensors"
        expected = (
            "non-finite: model/decoder/Conv_5/weights"
            if problem == "nan"
            else "looks like monodepth-vgg but 1 shape differs: model/decoder/Conv_5/weights is "
            "[3, 3, 10, 256], expected [3, 3, 512, 256]"
        )
        _assert_user_error(_invoke("convert", store, "-o", out), expected)
        assert not out.exists()


def test_another_network_lists_unexpected_and_missing(tmp_path):
    from panoconv.tf_reference._tf import import_tf

    tf = import_tf()
    prefix = tf.train.Checkpoint(kernel=tf.Variable(np.ones((2, 2),
                                                            np.float32))).write(str(tmp_path / "other"))
    _assert_user_error(
        _invoke("convert", prefix, "-o", tmp_path / "o.safetensors"),
        "fits no known architecture",
        "1 model tensor match",
    )


def test_arch_that_does_not_fit_the_source(tf_checkpoint, tmp_path):
    from panoconv.tf_reference.checkpoint import CheckpointSpec, make_checkpoint

    out = tmp_path / "o.safetensors"
    _assert_user_error(
        _invoke("convert", tf_checkpoint, "-o", out, "--arch", "rectnet"),
        "rectnet is not a TensorFlow-born network",
    )
    stereo = make_checkpoint(
        CheckpointSpec(tmp_path / "stereo" / "model", step=3, architecture="monodepth-vgg-stereo")
    )
    _assert_user_error(
        _invoke("convert", stereo, "-o", out, "--arch", "monodepth-vgg"),
        "does not fit monodepth-vgg: 1 shape differs: model/encoder/Conv/weights is [7, 7, 6, 32], "
        "expected [7, 7, 3, 32]; it is a monodepth-vgg-stereo (use --arch monodepth-vgg-stereo",
    )
    _assert_user_error(
        _invoke("verify", stereo, "--arch", "monodepth-vgg-deconv", "--height", "128"),
        "does not fit monodepth-vgg-deconv",
    )
    _assert_user_error(
        _invoke("verify", stereo, "--height", "128", "--width", "200"),
        "monodepth-vgg-stereo: height and width must be positive multiples of 128, got 128x200",
    )
    _assert_user_error(
        _invoke("verify", stereo, "--height", "128", "--image", tmp_path / "x.png"),
        "monodepth-vgg-stereo is a stereo network: give images as --pair LEFT RIGHT",
    )
    _assert_user_error(_invoke("verify", "pipeline", stereo),
                       "verify pipeline compares monodepth-vgg only; this is a "
                                                               "monodepth-vgg-stereo")
    assert _invoke("convert", stereo, "-o", out).exit_code == 0
    from PIL import Image

    Image.new("RGB", (64, 32)).save(tmp_path / "x.png")  # an existing input: the weights are what is wrong
    _assert_user_error(
        _invoke("predict", tmp_path / "x.png", "-w", out, "-o", tmp_path / "p", "--arch", "monodepth-vgg"),
        "o.safetensors: does not fit monodepth-vgg",
    )
    _assert_user_error(
        _invoke(
            "predict",
            tmp_path / "x.png",
            "-w",
            out,
            "-o",
            tmp_path / "p",
            "--arch",
            "monodepth-vgg-stereo",
            "--net-width",
            "1000",
        ),
        "multiple of 128, got 1000",
    )
    assert not (tmp_path / "p").exists()


def test_existing_output_and_missing_source(tf_checkpoint, tmp_path):
    out = tmp_path / "m.safetensors"
    out.write_bytes(b"keep me")
    _assert_user_error(_invoke("convert", tf_checkpoint, "-o", out), "already exists")
    assert out.read_bytes() == b"keep me"
    _assert_user_error(
        _invoke("convert", tmp_path / "nope" / "model-5", "-o", tmp_path / "x.safetensors"), "nope"
    )
    assert _invoke("convert", tf_checkpoint, "-o", out, "--force").exit_code == 0


def _verify_within_targets(checkpoint, weights, *extra) -> dict:
    """`verify --json` at 128x256; asserts the parity targets (float32 <= 1e-12, float64 <= 1e-24); the
    report."""
    import json

    result = _invoke("verify", checkpoint, "--weights", weights, "--height", "128", "--width", "256",
                     "--json", "--tol", "1e-12", *extra)  # a later --height / --width in `extra` wins
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    runs = {r["dtype"]: r for r in report["runs"]}
    assert max(o["mse"] for o in runs["float32"]["outputs"]) <= 1e-12
    assert max(o["mse"] for o in runs["float64"]["outputs"]) <= 1e-24
    return report


@pytest.mark.slow
def test_end_to_end_checkpoint_extract_convert_verify(tf_checkpoint_with_optimizer, tmp_path):
    """The whole user path through the CLI, as `make demo` runs it, asserting the parity bounds."""
    store, weights = tmp_path / "store", tmp_path / "model.safetensors"
    assert _invoke("extract", tf_checkpoint_with_optimizer, "-o", store).exit_code == 0
    assert _invoke("convert", store, "-o", weights).exit_code == 0
    _verify_within_targets(tf_checkpoint_with_optimizer, weights)


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["monodepth-vgg-stereo-deconv"])
def test_end_to_end_for_a_variant_card_detected_at_every_step(arch, tmp_path):
    """make-checkpoint --arch (with Adam) -> extract -> convert -> verify; convert and verify detect the
    card."""
    out = _invoke("reference", "make-checkpoint", tmp_path / "model", "--arch", arch, "--with-optimizer",
                  "--step", "7")
    assert out.exit_code == 0, out.output
    ckpt, store, weights = tmp_path / "model-7", tmp_path / "store", tmp_path / "w.safetensors"
    assert _invoke("extract", ckpt, "-o", store).exit_code == 0
    converted = _invoke("convert", store, "-o", weights, "--ring-pad")
    assert converted.exit_code == 0 and f"arch        {arch} (detected)" in converted.stdout
    assert load_weights(weights)[1]["architecture"] == arch
    report = _verify_within_targets(ckpt, weights, "--ring-pad")
    assert report["arch"] == arch
    layers = {r["dtype"]: r for r in report["runs"]}["float64"]["layers"]
    assert max(e["max_abs"] for e in layers) < 1e-12 and len(layers) == 32


@pytest.mark.slow
def test_end_to_end_resnet50(tmp_path):
    """ResNet50 through the CLI: make-checkpoint -> extract -> convert -> verify (each step detects the card),
    then predict with the converted weights."""
    from panoconv.arch import get_card
    from panoconv.io.images import save_rgb

    arch = "monodepth-resnet50"
    out = _invoke("reference", "make-checkpoint", tmp_path / "model", "--arch", arch, "--step", "3")
    assert out.exit_code == 0, out.output
    ckpt, store, weights = tmp_path / "model-3", tmp_path / "store", tmp_path / "w.safetensors"
    extracted = _invoke("extract", ckpt, "-o", store, "--json")
    assert extracted.exit_code == 0, extracted.output
    converted = _invoke("convert", store, "-o", weights)
    assert converted.exit_code == 0 and f"arch        {arch} (detected)" in converted.stdout
    assert load_weights(weights)[1]["architecture"] == arch
    report = _verify_within_targets(ckpt, weights, "--height", "64", "--width", "192")
    assert report["arch"] == arch
    layers = {r["dtype"]: r for r in report["runs"]}["float64"]["layers"]
    assert max(e["max_abs"] for e in layers) < 1e-12 and len(layers) == len(get_card(arch).layers) == 81
    save_rgb(tmp_path / "x.png", np.random.default_rng(0).random((60, 100, 3)))
    predicted = _invoke("predict", tmp_path / "x.png", "-w", weights, "-o", tmp_path / "pred", "--save",
                        "disp")
    assert predicted.exit_code == 0, predicted.output
    disp = np.load(tmp_path / "pred" / "x_disp.npy")
    assert disp.shape == (60, 100) and disp.min() > 0 and disp.max() < 0.3
