"""The stereo warps: identity, known shifts, border semantics, gradcheck, and agreement with the TF
reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from panoconv.errors import InputShapeError
from panoconv.geometry.warps import (
    WARP_MODES,
    Warp,
    _shifted_ray_angles_equirect,
    sample_equirectangular,
    sample_panorama,
    sample_rectilinear,
    warp,
)


def _img(b=2, c=3, h=8, w=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, c, h, w, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("mode", WARP_MODES)
def test_identity_at_zero_disparity(mode):
    img = _img()
    out = warp(img, torch.zeros(2, 1, 8, 16, dtype=torch.float64), mode)
    torch.testing.assert_close(out, img, rtol=0, atol=1e-12)


def test_rectilinear_known_integer_shift_and_zero_border():
    img = _img(w=10)
    out = sample_rectilinear(img, torch.full((2, 1, 8, 10), 3 / 10, dtype=torch.float64))
    torch.testing.assert_close(out[..., :7], img[..., 3:], rtol=0, atol=1e-15)
    assert torch.all(out[..., 7:] == 0)  # beyond the right edge: zero border


def test_rectilinear_half_pixel_past_the_edge_blends_with_zero():
    img = _img(w=6)
    out = sample_rectilinear(img, torch.full((2, 1, 8, 6), -0.5 / 6, dtype=torch.float64))
    torch.testing.assert_close(out[..., 0], 0.5 * img[..., 0])
    torch.testing.assert_close(out[..., 1:], 0.5 * (img[..., :-1] + img[..., 1:]))
    far = sample_rectilinear(img, torch.full((2, 1, 8, 6), -9.0, dtype=torch.float64))
    assert torch.all(far == 0)  # clipped to the padded column 0


def _disp(h, w, lo, hi, seed=1):
    g = torch.Generator().manual_seed(seed)
    return (lo + (hi - lo) * torch.rand(1, 1, h, w, generator=g, dtype=torch.float64)).requires_grad_(True)


@pytest.mark.parametrize("sampler", [sample_rectilinear, sample_equirectangular, sample_panorama])
def test_gradcheck(sampler):
    img = _img(b=1, c=2, h=4, w=6).requires_grad_(True)
    disp = _disp(4, 6, -0.2, 0.2)
    assert torch.autograd.gradcheck(sampler, (img, disp), eps=1e-7, atol=1e-6)


def test_equirectangular_rows_leaving_the_image_read_the_zero_border():
    h, w = 8, 16
    disp = torch.full((1, h, w), 0.02, dtype=torch.float64)
    _, y_src = _shifted_ray_angles_equirect(disp, h, w, 82.5)
    out = sample_equirectangular(torch.ones(1, 1, h, w, dtype=torch.float64), disp)
    leaving = (y_src < 0.0) | (y_src >= h)  # padded row floor(y + 1) is 0 or H + 1
    assert leaving.any()
    assert torch.all(out[:, 0][leaving] == 0)


def _panorama_numpy(img: np.ndarray, disp: np.ndarray) -> np.ndarray:
    """Pixel-loop float64 reference of the documented panorama geometry."""
    b, _c, h, w = img.shape
    a = w / (2 * math.pi)
    out = np.zeros_like(img)
    for n in range(b):
        for y in range(h):
            for x in range(w):
                lon, lat = (x - w / 2) / a, (y - h / 2) / a
                ray = np.array([math.cos(lat) * math.sin(lon), math.sin(lat), math.cos(lat) * math.cos(lon)])
                ray[0] += 2 * math.pi * disp[n, y, x]
                lon2 = math.atan2(ray[0], ray[2])
                lat2 = math.asin(ray[1] / np.linalg.norm(ray))
                xs, ys = a * lon2 + w / 2, a * lat2 + h / 2
                row = min(max(math.floor(ys + 0.5), 0), h - 1)
                x0 = math.floor(xs)
                out[n, :, y, x] = (x0 + 1 - xs) * img[n, :, row, x0 % w] + (xs - x0) * img[n, :, row,
                                                                                           (x0 + 1) % w]
    return out


def test_panorama_matches_pixel_loop_reference():
    img = _img(b=2, c=2, h=8, w=16)
    disp = _disp(8, 16, -0.15,
                 0.15).detach().expand(2, 1, 8, 16)[:, 0] * torch.tensor([1.0, -1.0]).view(2, 1, 1).double()
    out = sample_panorama(img, disp).numpy()
    np.testing.assert_allclose(out, _panorama_numpy(img.numpy(), disp.numpy()), rtol=0, atol=1e-12)


def test_panorama_wraps_across_the_seam():
    h, w = 4, 16
    img = _img(b=1, c=1, h=h, w=w)
    # At the equator row (lat 0) and lon = -90 deg (x = W/4), n = (-1, 0, 0): a baseline shift keeps the
    # ray on the equator; at the seam (x = 0, lon = -180 deg) the shifted ray turns past +-180 deg.
    disp = torch.zeros(1, h, w, dtype=torch.float64)
    disp[0, h // 2, 0] = 0.01
    out = sample_panorama(img, disp)
    lon2 = math.atan2(0.0 + 2 * math.pi * 0.01, -1.0)  # just below +pi
    xs = w / (2 * math.pi) * lon2 + w / 2
    x0 = math.floor(xs)
    expected = (x0 + 1 - xs) * img[0, 0, h // 2, x0 % w] + (xs - x0) * img[0, 0, h // 2, (x0 + 1) % w]
    assert x0 == w - 1  # reads columns W-1 and 0 together
    torch.testing.assert_close(out[0, 0, h // 2, 0], expected)


@pytest.mark.tf
@pytest.mark.parametrize("mode", ["rectilinear", "equirectangular"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_tf_reference(mode, dtype):
    from panoconv.tf_reference import warps as tfw

    rng = np.random.default_rng(0)
    img = rng.uniform(size=(2, 3, 16, 32)).astype(dtype)
    disp = rng.uniform(-0.3, 0.3, size=(2, 1, 16, 32)).astype(dtype)
    out = warp(torch.from_numpy(img), torch.from_numpy(disp), mode).numpy()
    ref = tfw.warp(tfw.tf.constant(img.transpose(0, 2, 3, 1)), tfw.tf.constant(disp.transpose(0, 2, 3, 1)),
                   mode).numpy().transpose(0, 3, 1, 2)
    assert ref.dtype == out.dtype == np.dtype(dtype)
    if mode == "rectilinear":
        np.testing.assert_array_equal(out, ref)  # same operations: bitwise
    else:  # TF's and torch's float32 trig differ by a few ulp
        np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12 if dtype == "float64" else 1e-4)


def test_guards():
    img = _img()
    with pytest.raises(InputShapeError):
        warp(img, torch.zeros(2, 2, 8, 16, dtype=torch.float64))
    with pytest.raises(InputShapeError):
        warp(img, torch.zeros(2, 1, 8, 15, dtype=torch.float64))
    with pytest.raises(TypeError):
        warp(img, torch.zeros(2, 1, 8, 16, dtype=torch.float32))
    with pytest.raises(ValueError):
        warp(img, torch.zeros(2, 1, 8, 16, dtype=torch.float64), "fisheye")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        sample_equirectangular(img, torch.zeros(2, 1, 8, 16, dtype=torch.float64), fov_deg=360)
    assert Warp("panorama")(img, torch.zeros(2, 8, 16, dtype=torch.float64)).shape == img.shape


def _upstream_gpu_numpy(img: np.ndarray, x_src: np.ndarray, y_src: np.ndarray) -> np.ndarray:
    """Upstream `_interpolate` (border mode) with the row left unclipped, as a GPU runs it: the image padded
    by one zero pixel, flattened over the whole batch, gathered at b*(H+2)(W+2) + row*(W+2) + col, 0
    outside."""
    b, c, h, w = img.shape
    flat = np.pad(img, ((0, 0), (0, 0), (1, 1), (1, 1))).transpose(0, 2, 3, 1).reshape(-1, c)
    x = np.clip(x_src + 1.0, 0.0, w + 1.0)
    x0 = np.floor(x)
    x1 = np.minimum(x0 + 1.0, w + 1.0)
    row = np.floor(y_src + 1.0).astype(np.int64)
    base = (np.arange(b) * (h + 2) * (w + 2))[:, None, None]

    def read(col: np.ndarray) -> np.ndarray:
        idx = base + row * (w + 2) + col.astype(np.int64)
        inside = (idx >= 0) & (idx < flat.shape[0])
        return np.where(inside[..., None], flat[np.where(inside, idx, 0)], 0.0)

    out = (x0 + 1.0 - x)[..., None] * read(x0) + (x - x0)[..., None] * read(x1)
    return out.transpose(0, 3, 1, 2)


def test_equirectangular_upstream_gpu_rows_read_the_neighbouring_image():
    h, w, fov = 8, 16, 160.0
    g = torch.Generator().manual_seed(3)
    img = torch.rand(2, 3, h, w, generator=g, dtype=torch.float64) + 1.0  # no zeros inside the images
    a = w / math.radians(fov)
    lat = ((torch.arange(h, dtype=torch.float64) - h / 2) / a).view(h, 1)
    lon = ((torch.arange(w, dtype=torch.float64) - w / 2) / a).view(1, w)
    nx = torch.cos(lat) * torch.sin(lon)
    # disparities that move rays towards the optical axis (nx' ~ 0) push the rows near the top and bottom
    # edges past the image: what a large near-field disparity does in training
    disp = -nx * (a / w) * (0.8 + 0.4 * torch.rand(2, h, w, generator=g, dtype=torch.float64))
    x_src, y_src = _shifted_ray_angles_equirect(disp, h, w, fov)
    rows = torch.floor(y_src + 1.0)
    assert bool(((rows < -1) | (rows > h + 2)).any())  # some rows reach real pixels of another image
    gpu = sample_equirectangular(img, disp, fov, rows="upstream-gpu")
    expected = _upstream_gpu_numpy(img.numpy(), x_src.numpy(), y_src.numpy())
    np.testing.assert_array_equal(gpu.numpy(), expected)
    clamped = sample_equirectangular(img, disp, fov)
    differs = (gpu != clamped).any(dim=1)
    assert bool(differs.any()) and bool(((rows < -1) | (rows > h + 2))[differs].all())
    assert bool((clamped[:, :, :, :][differs.unsqueeze(1).expand_as(clamped)] == 0).all())  # zero border here
    # batch of one: nothing to read beyond the image but zeros, so both agree
    one = sample_equirectangular(img[:1], disp[:1], fov, rows="upstream-gpu")
    torch.testing.assert_close(one, sample_equirectangular(img[:1], disp[:1], fov), rtol=0, atol=0)
    disp_req = disp.clone().requires_grad_()
    sample_equirectangular(img, disp_req, fov, rows="upstream-gpu").sum().backward()
    assert torch.isfinite(disp_req.grad).all()
    with pytest.raises(ValueError, match="unknown rows mode"):
        sample_equirectangular(img, disp, fov, rows="wrap")
