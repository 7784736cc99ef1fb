"""EXR depth maps: the layouts 3D60 and renderers write are read; every other layout is one clear error."""

from __future__ import annotations

import numpy as np
import pytest

from panoconv.io.exr import ExrReadError, read_depth_exr

H, W = 4, 6


def _write(path, channels, header=None):
    import OpenEXR

    head = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage, **(header or {})}
    with OpenEXR.File(head, channels) as f:
        f.write(str(path))
    return path


def test_rgb_depth_reads_r_and_single_channels_of_any_name(tmp_path):
    r = np.full((H, W), 2.5, np.float32)
    path = _write(tmp_path / "rgb.exr", {"R": r, "G": r * 0, "B": r * 0})  # as 3D60 / upstream expect
    np.testing.assert_array_equal(read_depth_exr(path), r)
    z = _write(tmp_path / "z.exr", {"Z": r.astype(np.float16), "A": r})
    assert read_depth_exr(z).dtype == np.float32 and float(read_depth_exr(z)[0, 0]) == 2.5
    only = _write(tmp_path / "v.exr", {"V": r})
    np.testing.assert_array_equal(read_depth_exr(only), r)


@pytest.mark.parametrize("channels, message", [
    ({"G": np.ones((H, W), np.float32), "B": np.ones((H, W), np.float32)},
     r"no depth channel \(R, Y, Z, depth\) among channels B, G"),
    ({"R": np.ones((H, W), np.uint32)}, "channel R holds UINT values"),
])
def test_wrong_channel_layouts_are_refused_naming_the_file(tmp_path, channels, message):
    path = _write(tmp_path / "bad_layout.exr", channels)
    with pytest.raises(ExrReadError, match=rf"bad_layout\.exr: {message}"):
        read_depth_exr(path)


def test_subsampled_channel_and_oversized_header_are_refused(tmp_path, monkeypatch):
    import OpenEXR

    import panoconv.io.exr as exr

    class Subsampled:  # the OpenEXR binding cannot write one, so the channel check is fed a stand-in
        pixels = np.ones((H // 2, W // 2), np.float32)

        def type(self):
            return OpenEXR.FLOAT

    with pytest.raises(ExrReadError, match=r"sub\.exr: channel R is 3x2, not the image's 6x4"):
        exr._depth_channel(tmp_path / "sub.exr", {"R": Subsampled()}, (H, W))

    monkeypatch.setattr(exr, "MAX_DEPTH_PIXELS", H * W - 1)
    ok = _write(tmp_path / "big.exr", {"R": np.ones((H, W), np.float32)})
    with pytest.raises(ExrReadError, match=r"big\.exr: data window 6x4 is not a usable depth map size"):
        read_depth_exr(ok)


def test_multipart_exr_is_refused(tmp_path):
    import OpenEXR

    parts = [OpenEXR.Part({}, {"Z": np.zeros((H, W), "f")}), OpenEXR.Part({}, {"Z": np.ones((H, W), "f")})]
    with OpenEXR.File(parts) as f:
        f.write(str(tmp_path / "parts.exr"))
    with pytest.raises(ExrReadError, match=r"parts\.exr: a multi-part EXR \(2 parts\)"):
        read_depth_exr(tmp_path / "parts.exr")
