"""The TF reference of every TF-born card against its PyTorch model on the same weights (no converter)."""

import numpy as np
import pytest
import torch

from panoconv.arch import all_cards, get_card
from panoconv.parity.weights import torch_model_from_tf
from panoconv.tf_reference.checkpoint import seeded_weights
from panoconv.tf_reference.run import run_tf

TF_CARDS = [c.name for c in all_cards() if c.tf_born]


@pytest.mark.parametrize("ring", [False, True])
@pytest.mark.parametrize("name", TF_CARDS)
def test_reference_matches_pytorch_in_float64(name, ring):
    card = get_card(name)
    m = card.size_multiple
    values = seeded_weights(7, card)
    x = np.random.default_rng(3).random((1, m, 2 * m, card.input_channels))
    tf_out, tf_layers = run_tf(card, values, x, "float64", ring=ring)
    assert set(tf_layers) == set(card.layer_names)
    net = torch_model_from_tf(values, "float64", ring_pad=ring, architecture=card)
    with torch.no_grad():
        outs = net(torch.from_numpy(x.transpose(0, 3, 1, 2).copy()))
    assert len(outs) == len(card.outputs)
    for name_, out in zip(card.outputs, outs):
        ref = tf_out[name_]
        assert ref.dtype == np.float64 and out.dtype == torch.float64
        assert np.mean((out.numpy().transpose(0, 2, 3, 1) - ref) ** 2) < 1e-26
        assert ref.std() > 1e-4  # not a saturated, constant output that would hide a wiring error


def test_ring_padding_changes_only_the_borders(seeded_tf_weights):
    card = get_card("monodepth-vgg")
    x = np.random.default_rng(4).random((1, 128, 128, 3)).astype("f4")
    plain = run_tf(card, seeded_tf_weights, x, "float32", ring=False)[1]["encoder.conv1a"]
    ring = run_tf(card, seeded_tf_weights, x, "float32", ring=True)[1]["encoder.conv1a"]
    assert np.allclose(plain[:, :, 3:-3], ring[:, :, 3:-3]) and not np.allclose(plain[:, :, :3],
                                                                                ring[:, :, :3])
