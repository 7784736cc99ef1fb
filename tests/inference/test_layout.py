"""The panorama crop / resize / pad layout and the rectilinear layout: sizes, checks, camera choice."""

from __future__ import annotations

import numpy as np
import pytest

from panoconv.errors import InputShapeError
from panoconv.inference.layout import PanoramaLayout, plan_panorama, resolve_camera
from panoconv.inference.pipeline import predict_array
from tests.inference._fakes import ConstantDepth, ConstantDisparity


def test_reference_plan_for_2048x1024():
    p = plan_panorama(1024, 2048)
    assert (p.crop_start, p.crop_stop) == (424, 724)
    assert p.resized_height == 208 == int(1024 / 2048 * 300 / 0.7191)
    assert (p.net_height, p.net_width, p.pad_top) == (256, 1024, 48)


@pytest.mark.parametrize("h, w",
                         [(256, 512), (512, 1024), (1000, 2000), (1025, 2048), (4096, 8192), (64, 128)])
def test_generalised_sizes_keep_network_input(h, w):
    p = plan_panorama(h, w)
    assert p.net_width == 1024 and p.net_height % 128 == 0
    assert abs(p.crop_start / h - 424 / 1024) < 1 / h and abs(p.crop_stop / h - 724 / 1024) < 1 / h
    assert p.resized_height == int(1024 / w * p.crop_height / 0.7191)
    assert 0 <= p.pad_top < 128


def test_net_width_option_scales_the_band():
    p = plan_panorama(256, 512, PanoramaLayout(net_width=512))
    assert (p.net_height, p.net_width, p.resized_height) == (128, 512, int(512 / 512 * 75 / 0.7191))


@pytest.mark.parametrize("h, w", [(100, 300), (256, 256), (512, 512)])
def test_wrong_aspect_panorama_is_a_clear_error(h, w):
    with pytest.raises(InputShapeError, match="twice as wide"):
        plan_panorama(h, w)


def test_tiny_panorama_rejected():
    with pytest.raises(InputShapeError, match="too small"):
        plan_panorama(8, 16)


def test_bad_net_width_rejected():
    with pytest.raises(InputShapeError, match="multiple of 128"):
        plan_panorama(1024, 2048, PanoramaLayout(net_width=1000), 128)
    assert plan_panorama(1024, 2048, PanoramaLayout(net_width=960), 64).net_width == 960  # ResNet50: 64
    with pytest.raises(InputShapeError, match="positive"):
        PanoramaLayout(net_width=0)


def test_auto_camera():
    assert resolve_camera("auto", 1024, 2048) == "equirectangular"
    assert resolve_camera("auto", 375, 1242) == "rectilinear"
    assert resolve_camera("rectilinear", 1024, 2048) == "rectilinear"


def test_panorama_output_is_input_size_with_nan_outside_band():
    model = ConstantDisparity(0.05)
    out = predict_array(model, np.random.default_rng(0).random((128, 256, 3), np.float32), "equirectangular")
    p = plan_panorama(128, 256)
    assert out.shape == (128, 256)
    assert np.isnan(out[:p.crop_start]).all() and np.isnan(out[p.crop_stop:]).all()
    np.testing.assert_allclose(out[p.crop_start:p.crop_stop], 0.05, rtol=1e-6)
    # ring padding on, one batch of image + mirror at the network size
    assert model.calls == [((2, 3, p.net_height, p.net_width), True)]


def test_panorama_raw_is_the_band_at_network_resolution():
    out = predict_array(ConstantDisparity(), np.zeros((128, 256, 3), np.float32), "equirectangular", raw=True)
    p = plan_panorama(128, 256)
    assert out.shape == (p.resized_height, p.net_width)


def test_rectilinear_sizes_and_ring_off():
    model = ConstantDisparity()
    out = predict_array(model, np.zeros((37, 91, 3), np.float32), "auto", postprocess=True)
    assert out.shape == (37, 91)
    assert model.calls == [((2, 3, 256, 512), False)]
    assert predict_array(model, np.zeros((37, 91, 3), np.float32), raw=True).shape == (256, 512)
    assert model.calls[-1] == ((1, 3, 256, 512), False)  # no post-processing: no mirror pass


def test_tiny_rectilinear_rejected():
    with pytest.raises(InputShapeError, match="too small"):
        predict_array(ConstantDisparity(), np.zeros((4, 4, 3), np.float32), "rectilinear")


def test_depth_model_runs_at_its_fixed_size():
    model = ConstantDepth(3.0)
    out = predict_array(model, np.zeros((64, 128, 3), np.float32), "equirectangular")
    assert out.shape == (64, 128) and np.allclose(out, 3.0)
    assert model.shapes == [(2, 3, 256, 512)]
