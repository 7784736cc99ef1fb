import numpy as np
import pytest
from PIL import Image

from panoconv.io.exr import ExrReadError, read_depth_exr, write_depth_exr
from panoconv.io.images import ImageReadError, load_rgb, save_rgb


def test_rgb_round_trip(tmp_path, rng):
    pixels = rng.random((5, 7, 3)).astype(np.float32)
    save_rgb(tmp_path / "x.png", pixels)
    loaded = load_rgb(tmp_path / "x.png")
    assert loaded.note is None and loaded.pixels.shape == (5, 7, 3)
    assert np.abs(loaded.pixels - pixels).max() <= 0.5 / 255 + 1e-6


@pytest.mark.parametrize("mode,expected",
                         [("L", "L converted"), ("RGBA", "alpha dropped"), ("I;16", "16-bit")])
def test_conversions_are_noted(tmp_path, mode, expected):
    if mode == "I;16":
        img = Image.fromarray(np.full((4, 4), 65535 // 2, dtype=np.uint16))
    else:
        img = Image.new(mode, (4, 4), 128 if mode == "L" else (10, 20, 30, 40))
    img.save(tmp_path / "x.png")
    loaded = load_rgb(tmp_path / "x.png")
    assert expected in loaded.note and loaded.pixels.shape == (4, 4, 3)
    if mode == "I;16":
        assert abs(float(loaded.pixels[0, 0, 0]) - 0.5) < 1e-3


def test_not_an_image(tmp_path):
    (tmp_path / "notes.png").write_text("hello")
    with pytest.raises(ImageReadError, match=r"notes.png: not a readable image"):
        load_rgb(tmp_path / "notes.png")
    with pytest.raises(ImageReadError, match="no such file"):
        load_rgb(tmp_path / "missing.png")


def test_exr_depth_round_trip_and_corruption(tmp_path, rng):
    depth = rng.uniform(0.5, 8.0, (6, 12)).astype(np.float32)
    depth[0, 0] = np.nan
    write_depth_exr(tmp_path / "d.exr", depth)
    back = read_depth_exr(tmp_path / "d.exr")
    assert np.array_equal(np.isnan(back), np.isnan(depth)) and np.allclose(back[1:], depth[1:])
    (tmp_path / "bad.exr").write_bytes(b"\x76\x2f\x31\x01garbage")
    with pytest.raises(ExrReadError, match=r"bad.exr"):
        read_depth_exr(tmp_path / "bad.exr")
