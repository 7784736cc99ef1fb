"""`panoconv train` on bad input: exit 1, one line on stderr, no traceback; and a tiny run via the CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from panoconv.cli import main
from tests.training._tiny import write_list


def _run(args):
    runner = CliRunner()
    return runner.invoke(main, ["train", *args], catch_exceptions=False)


@pytest.mark.parametrize("args, message", [
    (["--data", "{d}/missing.txt", "--warp", "rectilinear"], "missing.txt"),
    (["--data", "{d}/a.txt", "--data", "{d}/b.txt", "--warp", "panorama", "--warp", "rectilinear",
      "--warp", "rectilinear"], "--warp given 3 times for 2 --data lists"),
    (["--data", "{d}/a.txt"], "give --warp"),
    (["--data", "{d}/a.txt", "--warp", "rectilinear", "--batch-size", "0"],
     "--batch-size must be at least 1"),
    (["--data", "{d}/a.txt", "--warp", "rectilinear", "--task", "nope"], "unknown task 'nope'"),
    (["--data", "{d}/a.txt", "--warp", "rectilinear", "--init", "{d}/nothing.safetensors", "--height", "128",
      "--width", "256", "--batch-size", "1"], "nothing.safetensors"),
    (["--data", "{d}/a.txt", "--warp", "rectilinear", "--height", "100"],
     "100x512 do not suit monodepth-vgg: both must be positive multiples of 128 (e.g. 128x512)"),
    (["--data", "{d}/a.txt", "--task", "supervised", "--arch", "uresnet", "--height", "64", "--width", "120"],
     "do not suit uresnet: both must be positive multiples of 16 (e.g. 64x128)"),
    (["--data", "{d}/a.txt", "--task", "supervised", "--datasets", "Replica"], "unknown data set 'Replica'"),
])
def test_bad_input_exits_1_with_one_line(tmp_path, args, message):
    write_list(tmp_path / "a.txt", 2)
    write_list(tmp_path / "b.txt", 2)
    result = _run([a.format(d=tmp_path) for a in args] + ["--out", str(tmp_path / "run")])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_existing_run_is_refused_via_cli(tmp_path):
    data = write_list(tmp_path / "a.txt", 8)
    args = ["--task", "tiny-test", "--data", data, "--height", "8", "--width", "8", "--epochs", "1",
            "--out", str(tmp_path / "run"), "--threads", "1"]
    first = _run(args)
    assert first.exit_code == 0, first.stderr
    assert first.stdout.strip().endswith("model.safetensors")
    again = _run(args)
    assert again.exit_code == 1 and "already holds this run" in again.stderr
