from panoconv.data.synth import SynthRequest, generate
from panoconv.evaluation.datasets import open_data


def test_3d60_kind_accepts_a_layout_folder(tmp_path):
    root = generate(SynthRequest(out=tmp_path / "pano", kind="panorama", count=3, height=32, width=64, seed=1,
                                 progress=False))
    data = open_data("3d60", root)
    assert data.name == "3d60/test" and len(data.samples) >= 1
    assert all(s.image.exists() and s.gt.suffix == ".exr" for s in data.samples)
