"""`panoconv synth` / `reproject` via click: success; bad input -> exit 1, one line, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from panoconv.cli import main


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:  # click >= 8.2 always separates stderr
        return CliRunner()


def test_synth_cli_writes_a_data_set(tmp_path: Path) -> None:
    args = ["-q", "synth", str(tmp_path / "ds"), "--kind", "panorama", "--count", "1", "--height", "16",
            "--width", "32"]
    result = _runner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(tmp_path / "ds")
    assert (tmp_path / "ds" / "3d60_train.txt").exists()


@pytest.mark.parametrize("args, message", [
    (["synth", "{tmp}/ds", "--count", "0"], "--count must be at least 1"),
    (["synth", "{tmp}/exists"], "already exists"),
    (["synth", "{tmp}/ds", "--kind", "panorama", "--fov", "90"], "always 360"),
    (["reproject", "{tmp}/nope.txt", "--data-root", "{tmp}", "-o", "{tmp}/out"], "no such file list"),
    (["reproject", "{tmp}/bad.txt", "--data-root", "{tmp}", "-o", "{tmp}/out"], "bad.txt:1"),
])
def test_bad_input_is_one_line_exit_1(tmp_path: Path, args, message) -> None:
    (tmp_path / "exists").mkdir()
    (tmp_path / "bad.txt").write_text("a.png b.png\n")
    result = _runner().invoke(main, [a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 1, result.output
    err = result.stderr.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "ds").exists() and not (tmp_path / "out").exists()
