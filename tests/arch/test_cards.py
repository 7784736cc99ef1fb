"""The card registry: every card builds its network with the stated parameter count, name tables round-trip,
options are checked, and every `--arch` in the CLI is a choice built from the registry."""

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from panoconv.arch import UnknownArchitectureError, UnsupportedOptionError, all_cards, get_card, list_cards
from panoconv.arch._card import card_modules
from panoconv.cli import main

CARDS = list_cards()
TF_CARDS = [c.name for c in all_cards() if c.tf_born]


def test_registry_holds_the_family_and_is_pure_data():
    assert {"monodepth-vgg", "rectnet", "uresnet"} <= set(CARDS)
    assert "panoconv.arch.monodepth_vgg" in card_modules() and "panoconv.arch.omnidepth" in card_modules()
    with pytest.raises(
        UnknownArchitectureError, match="unknown architecture 'monodepth-vg'; choose one of: "
    ):
        get_card("monodepth-vg")


@pytest.mark.parametrize("name", CARDS)
def test_parameter_count_and_state_dict(name):
    card = get_card(name)
    with torch.device("meta"):  # shapes only
        model = card.build()
    assert model.arch_name == name
    assert sum(p.numel() for p in model.parameters()) == card.num_parameters
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == card.torch_shapes()
    for layer in card.layer_names:
        assert layer in dict(model.named_modules()), f"{name}: parity layer {layer} is not a module"


@pytest.mark.parametrize("name", TF_CARDS)
def test_name_table_round_trip(name, rng):
    card = get_card(name)
    table = card.tf_name_table
    assert len({r.tf_name for r in table}) == len(table) == len({r.torch_name for r in table})
    assert sum(int(np.prod(r.tf_shape)) for r in table) == card.num_parameters
    assert all(r.tf_name.startswith("model/") for r in table)
    for row in table[:6] + table[-6:]:
        value = rng.standard_normal(row.tf_shape)
        torch_value = row.layout.to_torch(value)
        assert torch_value.shape == row.torch_shape
        np.testing.assert_array_equal(row.layout.to_tf(torch_value), value)


def test_options_are_refused_not_swallowed():
    with pytest.raises(UnsupportedOptionError, match="rectnet has no option ring_pad"):
        get_card("rectnet").build(ring_pad=True)
    with pytest.raises(UnsupportedOptionError, match="monodepth-vgg has no option detach_upsampled"):
        get_card("monodepth-vgg").build(detach_upsampled=True)
    assert get_card("uresnet").build(detach_upsampled=False).decoder.detach_upsampled is False
    assert get_card("monodepth-vgg").build(ring_pad=True).ring_pad is True


def test_card_facts_consumers_read():
    vgg, rect = get_card("monodepth-vgg"), get_card("rectnet")
    assert (vgg.output_kind, vgg.output_channel, vgg.size_multiple, vgg.fixed_size) == (
        "disparity",
        0,
        128,
        False,
    )
    assert (rect.output_kind, rect.fixed_size, rect.predict_size, rect.ring_pad) == (
        "depth",
        True,
        (256, 512),
        False,
    )
    assert rect.loss_weights == {"alpha": (0.535, 0.272), "beta": (0.134, 0.068)}
    assert get_card("uresnet").loss_weights["alpha"] == (0.445, 0.275, 0.13)
    assert vgg.task == "stereo" and rect.task == "supervised"


@pytest.mark.parametrize(
    "argv",
    [
        ["convert", "SRC", "-o", "out.safetensors", "--arch", "resnet50"],
        ["verify", "CKPT", "--arch", "monodepth_vgg"],
        ["predict", "x.png", "-w", "w.safetensors", "-o", "out", "--arch", "foo"],
        ["evaluate", ".", "-w", "w.safetensors", "--arch", "rectnett"],
        ["train", "--data", "x.txt", "--arch", "vgg"],
        ["reference", "make-checkpoint", "model", "--arch", "rectnet"],  # not TensorFlow-born: not a choice
    ],
)
def test_arch_typo_is_a_usage_error_listing_the_choices(argv, tmp_path):
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--arch'" in result.stderr and "monodepth-vgg" in result.stderr
    assert "Traceback" not in result.output and not list(tmp_path.iterdir())
