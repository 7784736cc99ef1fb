from pathlib import Path

from panoconv.evaluation.evaluate import _weight_labels


def test_side_by_side_labels_are_distinct():
    paths = [Path("runs/a/model.safetensors"), Path("runs/b/model.safetensors"), Path("other.safetensors")]
    assert _weight_labels(paths) == ["a/model.safetensors", "b/model.safetensors", "other.safetensors"]
    assert _weight_labels([Path("x.pt"), Path("y.pt")]) == ["x.pt", "y.pt"]
