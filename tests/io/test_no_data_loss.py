"""No command replaces or deletes its own input, even with --force; predict never lets two inputs share an
output name. Each refusal is one line and leaves the input byte for byte as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from panoconv.cli import main
from panoconv.pt_model import create_model


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def assert_refused(code, err, fragment):
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and fragment in lines[0], err
    assert "Traceback" not in err


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A folder holding a tiny TF bundle and its `checkpoint` state file."""
    from tests.readers._bundles import small_tensors, write_bundle

    folder = tmp_path_factory.mktemp("ck")
    write_bundle(folder / "model-7", small_tensors())
    (folder / "checkpoint").write_text('model_checkpoint_path: "model-7"\n')
    return folder


@pytest.mark.tf
@pytest.mark.parametrize("out, relation", [(".", "is"), ("..", "contains"), ("./store", "lies inside"),
                                           ("./model-7.index", "is")])
def test_extract_never_replaces_its_checkpoint(checkpoint, out, relation):
    before = tree_digest(checkpoint)
    code, _, err = run("extract", checkpoint, "-o", checkpoint / out, "--force")
    assert_refused(code, err, f"the output {relation} the input")
    assert tree_digest(checkpoint) == before


@pytest.mark.tf
def test_extract_of_a_prefix_refuses_its_files(checkpoint, tmp_path):
    code, _, err = run("extract", checkpoint / "model-7", "-o", checkpoint / "model-7.data-00000-of-00001",
                       "--format", "npz", "--force")
    assert_refused(code, err, "is the input")
    code, _, err = run("extract", checkpoint / "model-7", "-o", tmp_path / "store")  # elsewhere: fine
    assert code == 0, err


@pytest.fixture
def legacy_store(tmp_path) -> Path:
    from panoconv.tf_reference.checkpoint import seeded_weights

    store = tmp_path / "numpy_weight"
    store.mkdir()
    for name, value in seeded_weights(0).items():
        np.save(store / (name.replace("/", ".") + ":0.npy"), value)
    return store


@pytest.mark.parametrize("out, fragment", [("", "unknown weights format"),  # refused by its name first
                                           ("x.safetensors", "the output lies inside the input"),
                                           ("model.encoder.Conv.weights:0.pt",
                                            "the output lies inside the input")])
def test_convert_never_replaces_its_source(legacy_store, out, fragment):
    before = tree_digest(legacy_store)
    code, _, err = run("convert", legacy_store, "-o", legacy_store / out if out else legacy_store, "--force")
    assert_refused(code, err, fragment)
    assert tree_digest(legacy_store) == before


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("w") / "model.pt"
    torch.save(create_model("monodepth-vgg").state_dict(), path)
    return path


def _image(path: Path, value: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((64, 128, 3), value, np.uint8)).save(path)
    return path


def test_predict_output_name_collisions_are_disambiguated_and_reported(tmp_path, weights, caplog):
    a = _image(tmp_path / "in" / "a.png", 10)
    b = _image(tmp_path / "in" / "sub" / "a.jpg", 200)
    c = _image(tmp_path / "in" / "a-2.png", 90)  # an input already called what the rename would pick
    out = tmp_path / "out"
    code, _, err = run("predict", "-w", weights, a, b, c, "-o", out, "--save", "disp", "--camera",
                       "rectilinear")
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["a-2_disp.npy", "a-2_meta.json", "a-3_disp.npy",
                                                    "a-3_meta.json", "a_disp.npy", "a_meta.json"]
    assert f"{b}: output name 'a' is taken by an earlier input; writing it as 'a-3'" in caplog.text
    assert not np.array_equal(np.load(out / "a_disp.npy"), np.load(out / "a-3_disp.npy"))


def test_predict_same_input_twice_is_predicted_once(tmp_path, weights, caplog):
    a = _image(tmp_path / "a.png", 10)
    code, _, err = run("predict", "-w", weights, a, tmp_path / "." / "a.png", "-o", tmp_path / "out",
                       "--save", "disp", "--camera", "rectilinear")
    assert code == 0 and "given twice; predicted once" in caplog.text, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a_disp.npy", "a_meta.json"]


def test_predict_never_writes_over_an_input(tmp_path, weights):
    a = _image(tmp_path / "a.png", 10)
    victim = _image(tmp_path / "a_disp.png", 50)  # an input named like a's output
    before = victim.read_bytes()
    code, _, err = run("predict", "-w", weights, a, victim, "-o", tmp_path, "--force", "--camera",
                       "rectilinear")
    assert_refused(code, err, "a_disp.png: this output would replace an input of the same name")
    assert victim.read_bytes() == before
    code, _, err = run("predict", "-w", weights, tmp_path, "-o", tmp_path, "--camera", "rectilinear")
    assert_refused(code, err, "the output folder is the input")
    code, _, err = run("predict", "-w", weights, a, "-o", weights, "--force", "--camera", "rectilinear")
    assert_refused(code, err, "model.pt: exists and is not a folder")
    code, _, err = run("predict", "-w", weights, a, "-o", tmp_path, "--camera", "rectilinear",
                       "--save", "disp")  # beside its input, another name: fine
    assert code == 0 and (tmp_path / "a_disp.npy").is_file(), err


def test_reproject_never_replaces_its_data(tmp_path):
    root = tmp_path / "kitti"
    _image(root / "l" / "0.png", 10)
    _image(root / "r" / "0.png", 20)
    (root / "list.txt").write_text("l/0.png r/0.png\n")
    before = tree_digest(root)
    for out, relation in ((root, "contains"), (root / "l" / "0.png", "is"), (root / "list.txt", "is")):
        code, _, err = run("reproject", root / "list.txt", "--data-root", root, "-o", out, "--force",
                           "--focal", "100")
        assert_refused(code, err, f"the output {relation} the input")
    assert tree_digest(root) == before
    code, _, err = run("reproject", root / "list.txt", "--data-root", root, "-o", root / "equi", "--focal",
                       "100")
    assert code == 0, err


def test_evaluate_skipped_rows_file_never_replaces_an_input(tmp_path, weights):
    code, _, err = run("evaluate", tmp_path, "-w", weights, "--kind", "3d60", "--skip-bad",
                       "--skipped-rows", weights)
    assert_refused(code, err, "the skipped-rows file is the input")
