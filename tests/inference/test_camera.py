"""`--camera auto`: what the input says first (list, XMP, synth meta.json, 3D60 name), then a safe shape
rule."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from panoconv.errors import PanoconvError
from panoconv.inference import PanoramaLayout, PredictRequest, predict
from panoconv.inference.camera import choose_camera, declared_list_camera, xmp_projection
from tests.inference._fakes import ConstantDisparity

XMP = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       '<rdf:Description xmlns:GPano="http://ns.google.com/photos/1.0/panorama/" '
       'GPano:ProjectionType="{}"/></rdf:RDF></x:xmpmeta>')


def png(path, h, w, projection=None):
    info = None
    if projection is not None:
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", XMP.format(projection))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 128, np.uint8)).save(path, pnginfo=info)
    return path


def test_512x256_photo_is_not_a_panorama(tmp_path):
    choice = choose_camera("auto", png(tmp_path / "a.png", 256, 512), 256, 512)
    assert choice.camera == "rectilinear" and "512 px" in choice.reason
    assert "--camera equirectangular" in choice.warning


def test_large_2to1_is_a_panorama_and_other_shapes_photos(tmp_path):
    assert choose_camera("auto", png(tmp_path / "a.png", 512, 1024), 512, 1024).camera == "equirectangular"
    assert choose_camera("auto", png(tmp_path / "b.png", 375, 1242), 375, 1242).camera == "rectilinear"
    assert choose_camera("rectilinear", tmp_path / "a.png", 512, 1024).reason == "--camera"


@pytest.mark.parametrize("projection, camera", [("equirectangular", "equirectangular"),
                                                ("cylindrical", "rectilinear")])
def test_xmp_projection_type_png(tmp_path, projection, camera):
    path = png(tmp_path / "x.png", 256, 512, projection)
    assert xmp_projection(path) == projection
    choice = choose_camera("auto", path, 256, 512)
    assert choice.camera == camera and "XMP" in choice.reason and choice.warning is None


def test_xmp_projection_type_jpeg(tmp_path):
    path = tmp_path / "x.jpg"
    xmp = XMP.format("equirectangular").encode()
    # APP1 XMP segment written by hand (as cameras do), right after SOI
    Image.fromarray(np.full((64, 128, 3), 90, np.uint8)).save(path, quality=90)
    raw = path.read_bytes()
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + xmp
    segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    path.write_bytes(raw[:2] + segment + raw[2:])
    assert choose_camera("auto", path, 64, 128).camera == "equirectangular"


def test_synth_meta_json(tmp_path):
    for kind, camera in (("panorama", "equirectangular"), ("equirect", "rectilinear"),
                         ("rectilinear", "rectilinear")):
        root = tmp_path / kind
        image = png(root / "left" / "000000.png", 256, 512)
        (root / "meta.json").write_text(json.dumps({"kind": kind, "fov_deg": 82.5}))
        choice = choose_camera("auto", image, 256, 512)
        assert choice.camera == camera and "meta.json" in choice.reason and choice.warning is None


def test_list_declaration_wins_and_bad_one_is_refused(tmp_path):
    (tmp_path / "l.txt").write_text("# camera: equirectangular\na.png\n")
    assert declared_list_camera(tmp_path / "l.txt") == "equirectangular"
    (tmp_path / "bad.txt").write_text("#camera=fisheye\n")
    with pytest.raises(PanoconvError, match=r"bad.txt:1: camera must be"):
        declared_list_camera(tmp_path / "bad.txt")
    (tmp_path / "plain.txt").write_text("# a comment\na.png\n")
    assert declared_list_camera(tmp_path / "plain.txt") is None


def test_3d60_name_and_panorama_only_network(tmp_path):
    name = tmp_path / "0_abc1_color_0_Left_Down_0.0.png"
    assert choose_camera("auto", png(name, 256, 512), 256, 512).camera == "equirectangular"
    plain = png(tmp_path / "p.png", 256, 512)
    assert choose_camera("auto", plain, 256, 512, panorama_only="rectnet").camera == "equirectangular"


def test_predict_uses_declared_camera_and_logs_it(tmp_path, caplog):
    png(tmp_path / "a.png", 128, 256)
    png(tmp_path / "b.png", 128, 256)
    (tmp_path / "pano.txt").write_text("# camera: equirectangular\na.png\n")
    req = PredictRequest(weights=tmp_path / "unused", inputs=(tmp_path / "pano.txt", tmp_path / "b.png"),
                         out_dir=tmp_path / "out", save=("disp",), progress=False,
                         model=ConstantDisparity(0.1), layout=PanoramaLayout(net_width=256))
    with caplog.at_level("INFO"):
        results = predict(req)
    assert [r.camera for r in results] == ["equirectangular", "rectilinear"]
    assert "a.png: equirectangular (declared in" in caplog.text
    assert "b.png: rectilinear (2:1 but only 256 px wide)" in caplog.text
    assert np.isnan(np.load(results[0].outputs["disp"])[0]).all()
    assert np.isfinite(np.load(results[1].outputs["disp"])).all()


class NaNDisparity(ConstantDisparity):
    def forward(self, x):
        out = super().forward(x)[0]
        out[:, :, 0, 0] = float("nan")
        return [out]


def test_non_finite_output_is_never_written(tmp_path, caplog):
    png(tmp_path / "a.png", 64, 100)
    req = PredictRequest(weights=tmp_path / "unused", inputs=(tmp_path / "a.png",), out_dir=tmp_path / "out",
                         save=("disp", "png"), progress=False, model=NaNDisparity(0.1))
    with pytest.raises(PanoconvError, match=r"a.png: the network output holds 1 non-finite"):
        predict(req)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    with caplog.at_level("WARNING"):
        results = predict(PredictRequest(**{**req.__dict__, "skip_bad": True}))
    assert not results[0].ok and "non-finite" in results[0].error and "skipped" in caplog.text
    assert results[0].outputs == {}
