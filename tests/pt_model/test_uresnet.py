"""UResNet: shapes, parameter count from the spec, gradients, detach semantics, input checks."""

from __future__ import annotations

import pytest
import torch

from panoconv.errors import InputShapeError
from panoconv.pt_model import UResNet, UResNetConfig, create_model


def conv_params(cin: int, cout: int, k: int) -> int:
    return cin * cout * k * k + cout


def uresnet_params_by_hand() -> int:
    total = conv_params(3, 32, 7) + conv_params(32, 64, 5)
    for cin, cout in [(64, 128), (128, 256), (256, 512), (512, 1024)]:
        total += conv_params(cin, cout, 3) + 2 * conv_params(cout, cout, 3)
    total += conv_params(1024, 512, 4) + conv_params(512, 512, 5)  # decoder0
    total += conv_params(512, 256, 4) + conv_params(256, 256, 5) + conv_params(256, 1, 3)  # decoder1, pred_4x
    total += conv_params(256, 128, 4) + conv_params(129, 128, 5) + conv_params(128, 1, 3)  # decoder2, pred_2x
    total += conv_params(128, 64, 4) + conv_params(65, 64, 5) + conv_params(64, 1, 3)  # decoder3, pred_1x
    return total


def test_registered_and_parameter_count_matches_spec():
    model = create_model("uresnet")
    assert isinstance(model, UResNet)
    assert sum(p.numel() for p in model.parameters()) == uresnet_params_by_hand() == 51_252_035


def test_output_shapes_published_size():
    model = UResNet().to("meta")
    preds = model(torch.empty(2, 3, 256, 512, device="meta"))
    assert [tuple(p.shape) for p in preds] == [(2, 1, 256, 512), (2, 1, 128, 256), (2, 1, 64, 128)]


def test_output_shapes_small_size_real_forward():
    torch.manual_seed(0)
    preds = UResNet()(torch.rand(1, 3, 16, 48))
    assert [tuple(p.shape) for p in preds] == [(1, 1, 16, 48), (1, 1, 8, 24), (1, 1, 4, 12)]
    assert all(torch.isfinite(p).all() for p in preds)


@pytest.mark.parametrize("shape", [(1, 3, 24, 64), (1, 3, 32, 40), (1, 4, 32, 64)])
def test_exception_bad_shape(shape):
    with pytest.raises(InputShapeError, match=r"multiples of 16|RGB"):
        UResNet()(torch.rand(*shape))


def test_gradient_reaches_every_parameter():
    torch.manual_seed(0)
    model = UResNet()
    preds = model(torch.rand(1, 3, 16, 32))
    sum(p.square().mean() for p in preds).backward()
    missing = [k for k, p in model.named_parameters() if p.grad is None or float(p.grad.abs().sum()) == 0.0]
    assert missing == []


@pytest.mark.parametrize("detach", [True, False])
def test_upsampled_predictions_detach_semantics(detach):
    """Upstream UResNet detaches: the pred_1x loss reaches neither coarser head."""
    torch.manual_seed(0)
    model = UResNet(UResNetConfig(detach_upsampled=detach))
    pred_1x = model(torch.rand(1, 3, 16, 32))[0]
    pred_1x.mean().backward()
    for head in (model.decoder.predict_2x, model.decoder.predict_4x):
        grad = head.weight.grad
        reached = grad is not None and float(grad.abs().sum()) > 0
        assert reached is (not detach)
    assert float(model.encoder.input0.conv.weight.grad.abs().sum()) > 0  # the trunk is trained either way
