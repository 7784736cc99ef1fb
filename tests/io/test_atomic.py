import pytest

from panoconv.errors import OutputExistsError
from panoconv.io.atomic import atomic_dir, atomic_file, safe_child


def test_atomic_file_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), atomic_file(target, "w") as f:
        f.write("partial")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    with atomic_file(target, "w") as f:
        f.write("complete")
    assert target.read_text() == "complete" and len(list(tmp_path.iterdir())) == 1


def test_atomic_dir_replaces_only_when_complete(tmp_path):
    out = tmp_path / "store"
    with atomic_dir(out) as tmp:
        (tmp / "a.npy").write_text("1")
    with pytest.raises(OutputExistsError), atomic_dir(out):
        pass
    with pytest.raises(RuntimeError), atomic_dir(out, force=True) as tmp:
        (tmp / "b.npy").write_text("2")
        raise RuntimeError("interrupted")
    assert [p.name for p in out.iterdir()] == ["a.npy"]  # the old folder survived the failed rewrite
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


@pytest.mark.parametrize("name", ["..", ".", "../x", "a/b", "a\\b", "x\x00y", "", "..hidden"])
def test_safe_child_refuses_escapes(tmp_path, name):
    with pytest.raises(ValueError):
        safe_child(tmp_path, name)


def test_safe_child_accepts_plain_names(tmp_path):
    assert safe_child(tmp_path, "model.encoder.Conv.weights:0.npy").parent == tmp_path.resolve()
