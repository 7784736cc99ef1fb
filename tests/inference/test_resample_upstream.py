"""`--resample upstream`: 8-bit Pillow Lanczos in (checked against Pillow itself), cv2 bilinear back,
upstream's saved array and depth conventions, and band inputs. Panoramas are generated here."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner
from PIL import Image

from panoconv.cli import main
from panoconv.inference import PredictRequest, predict
from panoconv.inference.layout import PanoramaLayout, plan_panorama
from panoconv.inference.pipeline import predict_array
from panoconv.inference.resize import resize_matrix, resize_numpy
from panoconv.inference.resize_upstream import pillow_lanczos_uint8
from tests.inference._fakes import ConstantDisparity

LANCZOS = Image.Resampling.LANCZOS


def make_panorama(h: int, w: int, seed: int = 0) -> np.ndarray:
    """uint8 (h, w, 3): smooth colours, noise, and hard black/white bars (where Lanczos overshoots)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    base = 0.5 + 0.3 * np.sin(2 * np.pi * (4 * xx[..., None] + np.array([0.0, 0.3,
                                                                         0.6]))) * np.cos(6 * yy[..., None])
    img = np.clip(base + 0.08 * rng.standard_normal((h, w, 3)), 0, 1)
    img[:, (np.arange(w) // 9) % 5 == 0] = 1.0
    img[(np.arange(h) // 7) % 6 == 0, : w // 3] = 0.0
    return np.rint(img * 255).astype(np.uint8)


def pillow(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(Image.fromarray(img).resize((size[1], size[0]), LANCZOS))


@pytest.mark.parametrize("src, dst", [((300, 2048), (208, 1024)), ((75, 512), (52, 256)),
                                      ((150, 1024), (208, 1024)), ((37, 256), (26, 128))])
def test_bit_exact_with_pillow_on_recipe_sizes(src, dst):
    img = make_panorama(*src)
    np.testing.assert_array_equal(pillow_lanczos_uint8(img, dst), pillow(img, dst))


def test_pillow_rounds_to_uint8_between_its_two_passes():
    """Pillow's own resize == its horizontal resize then its vertical one, each stored as uint8; the same
    Lanczos in float (one rounding at the end) differs by many grey levels where the kernel overshoots."""
    img = make_panorama(300, 2048)
    full = pillow(img, (208, 1024))
    np.testing.assert_array_equal(full, pillow(pillow(img, (300, 1024)), (208, 1024)))
    float_once = np.clip(np.rint(resize_numpy(img.astype(np.float64), (208, 1024), "lanczos3")), 0, 255)
    levels = np.abs(float_once - full)
    assert levels.max() >= 8 and np.mean(levels > 1) > 1e-3


@pytest.mark.parametrize("seed", range(6))
def test_one_axis_bit_exact_with_pillow_at_any_size(seed):
    rng = np.random.default_rng(seed)
    h, w, n = (int(v) for v in rng.integers(3, 90, 3))
    img = make_panorama(h, w, seed)
    np.testing.assert_array_equal(pillow_lanczos_uint8(img, (h, n)), pillow(img, (h, n)))
    np.testing.assert_array_equal(pillow_lanczos_uint8(img, (n, w)), pillow(img, (n, w)))


@pytest.mark.parametrize("n_in, n_out", [(208, 300), (1024, 2048), (208, 150), (13, 5), (1, 4)])
def test_bilinear_matrix_is_half_pixel_bilinear_without_antialias(n_in, n_out):
    """cv2.resize INTER_LINEAR and torch's bilinear (align_corners=False) are the same two-tap resize."""
    eye = torch.eye(n_in, dtype=torch.float64)[None, None]
    ref = F.interpolate(eye, size=(n_out, n_in), mode="bilinear", align_corners=False)[0, 0].numpy()
    np.testing.assert_allclose(resize_matrix(n_in, n_out, "bilinear"), ref, rtol=0, atol=1e-12)


class RecordInput(ConstantDisparity):
    def forward(self, x):
        self.seen = x.detach().clone()
        return super().forward(x)


def test_network_input_is_upstreams_8bit_pillow_input():
    img = make_panorama(128, 256)
    layout = PanoramaLayout(net_width=128, resample="upstream")
    plan = plan_panorama(128, 256, layout)
    model = RecordInput(0.1)
    predict_array(model, img.astype(np.float32) / 255, "equirectangular", layout=layout)
    band = img[plan.crop_start:plan.crop_stop]
    expected = pillow(band, (plan.resized_height, plan.net_width)).astype(np.float32) / 255
    seen = model.seen[0].permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(seen[plan.pad_top:], expected)
    assert not seen[:plan.pad_top].any()
    model_float = RecordInput(0.1)
    predict_array(model_float, img.astype(np.float32) / 255, "equirectangular",
                  layout=PanoramaLayout(net_width=128))
    gap = np.abs(model_float.seen[0].permute(1, 2, 0).numpy()[plan.pad_top:] - expected)
    assert gap.max() > 2 / 255  # the float path really is another input


class RowRamp(ConstantDisparity):
    def forward(self, x):
        b, _, h, w = x.shape
        ramp = torch.linspace(0.01, 0.25, h, dtype=x.dtype)[:, None]
        return [(ramp.expand(b, 2, h, w) + 0.0 * x.mean()).clone()]


def test_resize_back_is_bilinear_under_upstream():
    img = make_panorama(128, 256).astype(np.float32) / 255
    layout = PanoramaLayout(net_width=128, resample="upstream")
    plan = plan_panorama(128, 256, layout)
    out = predict_array(RowRamp(), img, "equirectangular", layout=layout)
    ramp = np.linspace(0.01, 0.25, plan.net_height, dtype=np.float64)[plan.pad_top:]
    col = F.interpolate(torch.from_numpy(np.repeat(ramp[:, None], 128, 1))[None, None],
                        size=(plan.crop_height, 256), mode="bilinear", align_corners=False)[0, 0, :,
                                                                                            0].numpy()
    np.testing.assert_allclose(out[plan.crop_start:plan.crop_stop, 7], col, rtol=0, atol=1e-6)


def _predict(tmp_path, img, name, **kw):
    Image.fromarray(img).save(tmp_path / f"{name}.png")
    req = PredictRequest(weights=tmp_path / "unused", inputs=(tmp_path / f"{name}.png",),
                         out_dir=tmp_path / name, camera="equirectangular", progress=False,
                         model=ConstantDisparity(0.1), **kw)
    return predict(req)[0]


@pytest.mark.parametrize("width, net_width", [(256, 128), (128, 128)])
def test_depth_conventions_and_upstream_saved_array(tmp_path, width, net_width):
    img = make_panorama(width // 2, width)
    save = ("disp", "depth", "upstream-npy")
    b = 0.472
    geo = _predict(tmp_path, img, f"g{width}", save=save, layout=PanoramaLayout(net_width=net_width))
    up = _predict(tmp_path, img, f"u{width}", save=save, layout=PanoramaLayout(net_width=net_width),
                  depth_convention="upstream")
    d = np.load(up.outputs["disp"])
    saved = np.load(up.outputs["upstream-npy"])
    # upstream's script: disp_pp *= (W / pi) / B * W / w, float32; the author's depth: (W / pi) / saved
    expected_saved = d * np.float32((width / math.pi) / b * width / net_width)
    np.testing.assert_array_equal(saved, expected_saved)
    np.testing.assert_allclose(np.load(up.outputs["depth"]), (width / math.pi) / saved, rtol=2e-7)
    geometric = np.load(geo.outputs["depth"])
    np.testing.assert_allclose(geometric, b / (2 * math.pi * d), rtol=1e-6)
    ratio = np.nanmedian(np.load(up.outputs["depth"]) / geometric)
    assert ratio == pytest.approx(2 * math.pi * net_width / width, rel=1e-6)  # pi at W = 2 w
    meta = json.loads(up.outputs["meta"].read_text())
    assert meta["depth_convention"] == "upstream" and "(W / pi) / s" in meta["depth_formula"]
    assert meta["outputs"]["upstream-npy"]["file"] == up.outputs["upstream-npy"].name
    assert json.loads(geo.outputs["meta"].read_text())["depth_convention"] == "geometric"


def test_band_input_equals_the_band_of_the_whole_panorama(tmp_path):
    full = make_panorama(128, 256)
    layout = PanoramaLayout(net_width=128, resample="upstream")
    plan = plan_panorama(128, 256, layout)
    band = full[plan.crop_start:plan.crop_stop]
    model = RowRamp()
    whole = predict_array(model, full.astype(np.float32) / 255, "equirectangular", layout=layout)
    strip = predict_array(model, band.astype(np.float32) / 255, "auto",
                          layout=PanoramaLayout(net_width=128, resample="upstream", band=True))
    np.testing.assert_array_equal(strip, whole[plan.crop_start:plan.crop_stop])


def test_cli_json_names_resample_and_convention_and_refuses_rectilinear_band(tmp_path):
    torch.manual_seed(0)
    from panoconv.pt_model import create_model

    weights = tmp_path / "w.pt"
    torch.save(create_model("monodepth-vgg").state_dict(), weights)
    Image.fromarray(make_panorama(38, 256)).save(tmp_path / "band.png")
    result = CliRunner().invoke(main, ["predict", "-w", str(weights), str(tmp_path / "band.png"), "-o",
                                       str(tmp_path / "o"), "--band", "--net-width", "128", "--resample",
                                       "upstream",
                                       "--depth-convention", "upstream", "--save", "upstream-npy,depth,ply",
                                       "--json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)[0]
    assert row["resample"] == "upstream" and row["depth_convention"] == "upstream"
    assert np.load(row["outputs"]["upstream-npy"]).shape == (38, 256)
    from panoconv.inference.outputs import read_ply

    with open(row["outputs"]["ply"], "rb") as f:
        head = f.read(2000)
    assert b"comment depth convention upstream: depth = (W / pi) / s" in head
    points = read_ply(row["outputs"]["ply"])
    # a band sits where the layout's crop puts it: latitudes within [-pi/2 + 724/1024 pi, pi/2 - 424/1024 pi]
    radius = np.sqrt(points["x"] ** 2 + points["y"] ** 2 + points["z"] ** 2)
    lat = np.arcsin(points["y"] / radius)
    assert len(points) == 38 * 256 and lat.max() <= math.pi / 2 - 424 / 1024 * math.pi + 1e-3
    assert lat.min() >= math.pi / 2 - 724 / 1024 * math.pi - 1e-3
    bad = CliRunner().invoke(main, ["predict", "-w", str(weights), str(tmp_path / "band.png"), "-o",
                                    str(tmp_path / "o2"), "--band", "--camera", "rectilinear"])
    assert bad.exit_code == 1 and "band" in bad.stderr and "Traceback" not in bad.output
