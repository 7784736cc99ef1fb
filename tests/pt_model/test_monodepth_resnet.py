"""The PyTorch ResNet50 network: shapes, the zero-padded max pool, ring padding, bad input."""

import pytest
import torch

from panoconv.errors import InputShapeError
from panoconv.pt_model import MonodepthResNet50, create_model
from panoconv.pt_model._layers import MonoMaxPool


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return create_model("monodepth-resnet50").eval()


def test_cardinality(net):
    assert isinstance(net, MonodepthResNet50)
    assert sum(p.numel() for p in net.parameters()) == 58_452_008
    keys = list(net.state_dict())
    assert keys[:4] == ["encoder.conv1.weight", "encoder.conv1.bias", "encoder.conv2_1_a.weight",
                        "encoder.conv2_1_a.bias"]
    assert len(keys) == 162 and "decoder.upconv6.weight" in keys and "decoder.upconv7.weight" not in keys


def test_encoder_features_and_outputs(net):
    x = torch.rand(1, 3, 64, 192)
    with torch.no_grad():
        features = net.encoder(x)
        outs = net(x)
    assert [tuple(f.shape[1:]) for f in features] == [
        (64, 32, 96), (64, 16, 48), (256, 8, 24), (512, 4, 12), (1024, 2, 6), (2048, 1, 3)]
    assert [tuple(o.shape) for o in outs] == [(1, 2, 64, 192), (1, 2, 32, 96), (1, 2, 16, 48), (1, 2, 8, 24)]
    assert all(((o > 0) & (o < 0.3)).all() for o in outs)


def test_max_pool_pads_with_zeros_not_minus_infinity():
    x = -torch.rand(1, 1, 4, 4) - 0.5  # all negative, as ELU outputs can be
    pooled = MonoMaxPool()(x)
    assert pooled.shape == (1, 1, 2, 2)
    assert (pooled[0, 0, 0, 0] == 0).all()  # its window touches the zero pad
    inf_padded = torch.nn.functional.max_pool2d(x, 3, 2, padding=1)
    assert (inf_padded < 0).all()  # what MaxPool2d(padding=1) would give instead
    ring = MonoMaxPool(ring_pad=True)(x)
    assert ring.shape == (1, 1, 2, 2) and (ring[0, 0, 0] == 0).all()  # zero rows top and bottom


def test_ring_padded_network_is_rotation_equivariant(net):
    x = torch.rand(1, 3, 64, 128, dtype=torch.float64)
    net = net.double()
    try:
        net.set_ring_pad(True)
        assert net.encoder.pool1.ring_pad
        with torch.no_grad():
            base, rolled = net(x), net(torch.roll(x, 64, dims=-1))
        for level, (a, b) in enumerate(zip(base, rolled)):
            assert torch.allclose(torch.roll(a, 64 // 2**level, dims=-1), b, rtol=0, atol=1e-12)
    finally:
        net.set_ring_pad(False)
        net.float()


@pytest.mark.parametrize("shape", [(1, 3, 96, 128), (1, 3, 64, 100), (1, 6, 64, 64)])
def test_exception_on_bad_shape(net, shape):
    with pytest.raises(InputShapeError, match=r"multiples of 64|N x 3 x H x W"):
        net(torch.rand(*shape))
