"""File-list parsing: good lines, comments, and every kind of bad line with file:line in the message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panoconv.data.filelist import FileListError, read_pair_list


def _img(path: Path, w: int = 8, h: int = 4) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((h, w, 3), np.uint8)).save(path)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name in ("a/l0.png", "a/r0.png", "a/l1.jpg", "a/r1.jpg"):
        _img(tmp_path / name)
    return tmp_path


def test_parses_pairs_skipping_blank_and_comment_lines(root: Path) -> None:
    lst = root / "list.txt"
    lst.write_text("# comment\na/l0.png a/r0.png\n\n  a/l1.jpg   a/r1.jpg  \n")
    pairs = read_pair_list(lst, root)
    assert [(e.left.name, e.right.name, e.line) for e in pairs.entries] == [("l0.png", "r0.png", 2),
                                                                             ("l1.jpg", "r1.jpg", 4)]
    assert pairs.skipped == []


def test_empty_list_is_an_error_naming_the_file(root: Path) -> None:
    lst = root / "empty.txt"
    lst.write_text("\n# nothing\n")
    with pytest.raises(FileListError, match=r"empty.txt.*no usable pairs"):
        read_pair_list(lst, root)


def test_missing_list_file(root: Path) -> None:
    with pytest.raises(FileListError, match="no such file list"):
        read_pair_list(root / "nope.txt", root)


@pytest.mark.parametrize("line, message", [
    ("a/l0.png a/missing.png", r"list.txt:2: .*missing.png: no such file"),
    ("a/l0.png", r"list.txt:2: expected 2 paths"),
    ("a/l0.png a/r0.png extra.png", r"list.txt:2: expected 2 paths"),
    ("a/l0.png a/r0.txt", r"list.txt:2: a/r0.txt: not a png/jpg"),
])
def test_bad_line_names_list_and_line_number(root: Path, line: str, message: str) -> None:
    lst = root / "list.txt"
    lst.write_text(f"a/l0.png a/r0.png\n{line}\n")
    with pytest.raises(FileListError, match=message):
        read_pair_list(lst, root)


def test_skip_bad_skips_and_reports_count(root: Path, caplog) -> None:
    lst = root / "list.txt"
    lst.write_text("a/l0.png a/r0.png\na/l0.png a/gone.png\na/l1.jpg a/r1.jpg\nonly_one.png\n")
    pairs = read_pair_list(lst, root, skip_bad=True)
    assert len(pairs.entries) == 2
    assert len(pairs.skipped) == 2 and "list.txt:2" in pairs.skipped[0] and "list.txt:4" in pairs.skipped[1]
    assert "skipped 2 of 4 pairs" in caplog.text


def test_skip_bad_with_nothing_left_is_still_an_error(root: Path) -> None:
    lst = root / "list.txt"
    lst.write_text("x.png y.png\n")
    with pytest.raises(FileListError, match=r"no usable pairs .1 bad lines skipped"):
        read_pair_list(lst, root, skip_bad=True)
