"""RectNet: shapes, parameter count from the spec, gradients, detach semantics, input checks."""

from __future__ import annotations

import pytest
import torch

from panoconv.errors import InputShapeError
from panoconv.pt_model import RectNet, RectNetConfig, create_model


def conv_params(cin: int, cout: int, kh: int, kw: int | None = None) -> int:
    return cin * cout * kh * (kh if kw is None else kw) + cout


def rectnet_params_by_hand() -> int:
    input0 = sum(conv_params(3, 8, kh, kw) for kh, kw in [(3, 9), (5, 11), (5, 7), (7, 7)])
    input1 = sum(conv_params(32, 16, kh, kw) for kh, kw in [(3, 9), (3, 7), (3, 5), (5, 5)])
    encoder0 = conv_params(64, 128, 3) + 2 * conv_params(128, 128, 3)
    encoder1 = conv_params(128, 256, 3) + 2 * conv_params(256, 256, 3) + conv_params(512, 256, 1)
    encoder2 = conv_params(256, 256, 3) + conv_params(256, 512, 3) + conv_params(768, 512, 1)
    decoder0 = conv_params(512, 256, 4) + conv_params(256, 256, 5) + conv_params(256, 1, 3)
    decoder1 = conv_params(256, 128, 4) + conv_params(128, 128, 5) + conv_params(129, 64,
                                                                                 1) + conv_params(64, 1, 3)
    return input0 + input1 + encoder0 + encoder1 + encoder2 + decoder0 + decoder1


def test_registered_and_parameter_count_matches_spec():
    model = create_model("rectnet")
    assert isinstance(model, RectNet)
    n = sum(p.numel() for p in model.parameters())
    assert n == rectnet_params_by_hand() == 8_870_194


def test_output_shapes_published_size():
    model = RectNet().to("meta")  # shapes only, no arithmetic
    pred_1x, pred_2x = model(torch.empty(2, 3, 256, 512, device="meta"))
    assert pred_1x.shape == (2, 1, 256, 512)
    assert pred_2x.shape == (2, 1, 128, 256)


def test_output_shapes_small_size_real_forward():
    torch.manual_seed(0)
    preds = RectNet()(torch.rand(1, 3, 20, 44))
    assert [tuple(p.shape) for p in preds] == [(1, 1, 20, 44), (1, 1, 10, 22)]
    assert all(torch.isfinite(p).all() for p in preds)


def test_init_xavier_normal_zero_bias():
    model = RectNet()
    assert all(float(b.abs().max()) == 0.0 for k, b in model.state_dict().items() if k.endswith("bias"))
    w = model.encoder1.fuse.conv.weight  # 1x1, fan_in 512, fan_out 256
    expected_std = (2.0 / (512 + 256)) ** 0.5
    assert float(w.detach().std()) == pytest.approx(expected_std, rel=0.05)


@pytest.mark.parametrize("shape", [(1, 3, 30, 64), (1, 3, 32, 62), (1, 1, 32, 64), (3, 32, 64)])
def test_exception_bad_shape(shape):
    with pytest.raises(InputShapeError, match="rectnet"):
        RectNet()(torch.rand(*shape))


def test_gradient_reaches_every_parameter():
    torch.manual_seed(0)
    model = RectNet()
    pred_1x, pred_2x = model(torch.rand(1, 3, 16, 32))
    (pred_1x.square().mean() + pred_2x.square().mean()).backward()
    missing = [k for k, p in model.named_parameters() if p.grad is None or float(p.grad.abs().sum()) == 0.0]
    assert missing == []


@pytest.mark.parametrize("detach", [False, True])
def test_upsampled_pred_2x_detach_semantics(detach):
    """Upstream RectNet does not detach: the full-res loss reaches the half-res head."""
    torch.manual_seed(0)
    model = RectNet(RectNetConfig(detach_upsampled=detach))
    pred_1x, _ = model(torch.rand(1, 3, 16, 32))
    pred_1x.mean().backward()
    grad = model.decoder.predict_2x.weight.grad
    reached = grad is not None and float(grad.abs().sum()) > 0
    assert reached is (not detach)
