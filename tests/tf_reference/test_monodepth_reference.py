"""The TF reference against the PyTorch model on the same weights (the converter is not involved)."""

import numpy as np
import pytest
import torch

from panoconv.arch import monodepth_vgg as arch
from panoconv.pt_model import create_model
from panoconv.tf_reference import monodepth as tf_monodepth


@pytest.mark.parametrize("ring", [False, True])
def test_reference_matches_pytorch_in_float64(seeded_tf_weights, ring):
    x = np.random.default_rng(3).random((1, 128, 256, 3))
    tf_out, tf_layers = tf_monodepth.run(seeded_tf_weights, x, "float64", ring=ring)
    assert set(tf_layers) == {s.torch_name for s in arch.LAYERS}
    net = create_model("monodepth-vgg", ring_pad=ring).double()
    net.load_state_dict({r.torch_name: torch.from_numpy(r.layout.to_torch(seeded_tf_weights[r.tf_name]).astype("f8"))
                         for r in arch.NAME_TABLE})
    with torch.no_grad():
        outs = net(torch.from_numpy(x.transpose(0, 3, 1, 2).copy()))
    for name, out in zip(arch.OUTPUTS, outs):
        ref = tf_out[name]
        assert ref.dtype == np.float64
        assert np.mean((out.numpy().transpose(0, 2, 3, 1) - ref) ** 2) < 1e-26


def test_ring_padding_changes_only_the_borders(seeded_tf_weights):
    x = np.random.default_rng(4).random((1, 128, 128, 3)).astype("f4")
    plain = tf_monodepth.run(seeded_tf_weights, x, "float32", ring=False)[1]["encoder.conv1a"]
    ring = tf_monodepth.run(seeded_tf_weights, x, "float32", ring=True)[1]["encoder.conv1a"]
    assert np.allclose(plain[:, :, 3:-3], ring[:, :, 3:-3]) and not np.allclose(plain[:, :, :3], ring[:, :, :3])
