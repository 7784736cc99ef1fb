"""Every way a user may name a checkpoint resolves to the same prefix; bad paths say what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from panoconv.errors import CheckpointError
from panoconv.readers.locate import locate


@pytest.mark.parametrize("form", ["prefix", "index", "meta", "data", "folder"])
def test_path_forms_resolve_to_prefix(tf_checkpoint, form):
    given = {
        "prefix": tf_checkpoint,
        "index": tf_checkpoint.with_name(f"{tf_checkpoint.name}.index"),
        "meta": tf_checkpoint.with_name(f"{tf_checkpoint.name}.meta"),
        "data": tf_checkpoint.with_name(f"{tf_checkpoint.name}.data-00000-of-00001"),
        "folder": tf_checkpoint.parent,
    }[form]
    found = locate(given)
    assert found.kind == "bundle" and found.path == tf_checkpoint


def test_state_file_picks_latest(tmp_path):
    for step in (1, 2):
        for ext in (".index", ".data-00000-of-00001"):
            (tmp_path / f"model-{step}{ext}").write_bytes(b"")
    (tmp_path / "checkpoint").write_text(
        'model_checkpoint_path: "/elsewhere/model-2"\nall_model_checkpoint_paths: "model-1"\n')
    assert locate(tmp_path).path == tmp_path / "model-2"  # absolute path from a moved folder


def test_h5_file_and_folder(tmp_path):
    import h5py

    with h5py.File(tmp_path / "w.weights.h5", "w") as f:
        f["x"] = np.zeros(2)
    assert locate(tmp_path / "w.weights.h5").kind == "h5"
    assert locate(tmp_path).path == tmp_path / "w.weights.h5"


@pytest.mark.parametrize("case,match", [
    ("missing", "no such checkpoint"),
    ("index_missing", "checkpoint index is missing"),
    ("empty_folder", "no checkpoint in this folder"),
    ("not_h5", "not an HDF5 file"),
    ("other_file", "not a TensorFlow checkpoint"),
])
def test_exception_bad_paths(tmp_path, case, match):
    target = {
        "missing": tmp_path / "nope-100",
        "index_missing": tmp_path / "model-5.data-00000-of-00001",
        "empty_folder": tmp_path,
        "not_h5": tmp_path / "fake.h5",
        "other_file": tmp_path / "notes.txt",
    }[case]
    if case in {"index_missing", "not_h5", "other_file"}:
        target.write_bytes(b"hello")
    with pytest.raises(CheckpointError, match=match) as err:
        locate(target)
    assert str(target) in str(err.value) or str(tmp_path) in str(err.value)


@pytest.mark.parametrize("written", ["escaped", "raw"])
def test_state_file_with_non_ascii_prefix(tmp_path, written):
    """TF's text format writes non-ASCII bytes as octal escapes; a hand-written file has raw UTF-8."""
    name = "modèle-été-7"
    for ext in (".index", ".data-00000-of-00001"):
        (tmp_path / f"{name}{ext}").write_bytes(b"")
    path = "".join(f"\\{b:03o}" for b in name.encode()) if written == "escaped" else name
    (tmp_path / "checkpoint").write_text(f'model_checkpoint_path: "{path}"\n', encoding="utf-8")
    assert locate(tmp_path).path == tmp_path / name


@pytest.mark.tf
def test_state_file_written_by_tensorflow_with_non_ascii_prefix(tmp_path):
    from panoconv.tf_reference._tf import import_tf

    tf = import_tf()
    name = "ckpt-ü-3"
    for ext in (".index", ".data-00000-of-00001"):
        (tmp_path / f"{name}{ext}").write_bytes(b"")
    tf.compat.v1.train.update_checkpoint_state(str(tmp_path), str(tmp_path / name))
    assert locate(tmp_path).path == tmp_path / name


def test_exception_state_file_path_not_utf8(tmp_path):
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "\\377\\376"\n')
    with pytest.raises(CheckpointError, match="unreadable model_checkpoint_path"):
        locate(tmp_path)
