import pytest
import torch

from panoconv.errors import InputShapeError
from panoconv.pt_model import create_model, list_models
from panoconv.pt_model._layers import ring_pad


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return create_model("monodepth-vgg").eval()


def test_cardinality(net):
    assert sum(p.numel() for p in net.parameters()) == 31_600_072
    keys = list(net.state_dict())
    assert keys[:2] == ["encoder.conv1a.weight", "encoder.conv1a.bias"]
    assert "decoder.iconv7.weight" in keys and "decoder.disp4.bias" in keys
    assert "monodepth-vgg" in list_models()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_output_shapes_and_range(net, dtype):
    x = torch.rand(2, 3, 128, 256, dtype=dtype)
    with torch.no_grad():
        outs = net.to(dtype)(x)
    assert [tuple(o.shape) for o in outs] == [(2, 2, 128, 256), (2, 2, 64, 128), (2, 2, 32, 64),
                                              (2, 2, 16, 32)]
    assert all(o.dtype == dtype for o in outs)
    assert all(((o > 0) & (o < 0.3)).all() for o in outs)
    net.float()


@pytest.mark.parametrize("shape", [(1, 3, 100, 256), (1, 3, 128, 200), (1, 1, 128, 128), (3, 128, 128)])
def test_exception_on_bad_shape(net, shape):
    with pytest.raises(InputShapeError, match=r"multiples of 128|N x 3 x H x W"):
        net(torch.rand(*shape))


def test_ring_pad_wraps_columns():
    x = torch.arange(12.0).reshape(1, 1, 3, 4)
    y = ring_pad(x, 1)
    assert y.shape == (1, 1, 5, 6)
    assert (y[0, 0, 0] == 0).all() and (y[0, 0, -1] == 0).all()
    assert torch.equal(y[0, 0, 1:-1, 0], x[0, 0, :, -1]) and torch.equal(y[0, 0, 1:-1, -1], x[0, 0, :, 0])


def test_ring_padded_network_is_rotation_equivariant(net):
    """With ring padding a 360-degree panorama has no seam: rolling the input by a multiple of 128
    columns rolls every output exactly; without it, the borders break the symmetry."""
    x = torch.rand(1, 3, 128, 256, dtype=torch.float64)
    shifted = torch.roll(x, 128, dims=-1)
    net = net.double()
    try:
        net.set_ring_pad(True)
        with torch.no_grad():
            base, rolled = net(x), net(shifted)
        for level, (a, b) in enumerate(zip(base, rolled)):
            assert torch.allclose(torch.roll(a, 128 // 2**level, dims=-1), b, rtol=0, atol=1e-12)
        net.set_ring_pad(False)
        with torch.no_grad():
            plain_base, plain_rolled = net(x)[0], net(shifted)[0]
        assert not torch.allclose(torch.roll(plain_base, 128, dims=-1), plain_rolled, atol=1e-6)
    finally:
        net.set_ring_pad(False)
        net.float()


@pytest.mark.parametrize("arch", ["monodepth-vgg", "monodepth-resnet50"])
def test_disparity_heads_stay_float32_under_bf16_autocast(arch):
    """Under bfloat16 autocast every get_disp head runs (and returns) in float32, the other layers in
    bfloat16."""
    from panoconv.pt_model._layers import MonoConv

    torch.manual_seed(0)
    model = create_model(arch).eval()
    seen: dict[str, torch.dtype] = {}
    for name, module in model.named_modules():
        if isinstance(module, MonoConv):
            module.register_forward_hook(lambda m, i, o, name=name: seen.__setitem__(name, o.dtype))
    x = torch.rand(1, 3, 128, 128)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        model(x)
    heads = {n for n, m in model.named_modules() if isinstance(m, MonoConv) and m.spec.activation == "disp"}
    assert len(heads) == 4
    assert {seen[n] for n in heads} == {torch.float32}
    assert {d for n, d in seen.items() if n not in heads} == {torch.bfloat16}
