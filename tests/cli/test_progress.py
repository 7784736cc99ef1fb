"""Progress on long commands: plain stderr lines when not a terminal, a bar on one, nothing under -q."""

from __future__ import annotations

import logging
import subprocess
import sys

from panoconv.progress import PlainProgress, Stages, progress


def test_plain_lines_with_count_rate_and_postfix(caplog):
    with caplog.at_level(logging.INFO, logger="panoconv.progress"):
        bar = PlainProgress(total=4, desc="train", unit="step", every_s=0.0, initial=1)
        bar.update()
        bar.set_postfix(loss="0.5000", refresh=False)
        bar.update(2)
        bar.close()
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("train: 2/4 step (50%), ")
    assert lines[-1].startswith("train: 4/4 step (100%)") and lines[-1].endswith("loss=0.5000")
    assert "step/s" in lines[-1]


def test_bytes_in_mib_and_iterables(caplog):
    with caplog.at_level(logging.INFO, logger="panoconv.progress"):
        bar = PlainProgress(total=2 ** 21, unit="B", desc="extract", every_s=1e9)
        bar.update(2 ** 20)
        bar.close()
        assert list(PlainProgress(range(3), desc="x", every_s=1e9)) == [0, 1, 2]
    assert caplog.records[0].getMessage().startswith("extract: 1/2 MiB (50%)")
    assert caplog.records[1].getMessage().startswith("x: 3/3 it (100%)")


def test_quiet_and_disabled_say_nothing(caplog):
    with caplog.at_level(logging.WARNING):
        assert isinstance(progress(range(2), desc="p"), PlainProgress)  # not a terminal under pytest
        list(progress(range(2), desc="p"))
        Stages("verify").step("TensorFlow")
    with caplog.at_level(logging.INFO):
        list(progress(range(2), desc="p", enabled=False))
    assert caplog.records == []


def test_stages(caplog):
    with caplog.at_level(logging.INFO, logger="panoconv.progress"):
        stages = Stages("make-checkpoint")
        stages.step("importing TensorFlow")
        stages.done()
    first, last = (r.getMessage() for r in caplog.records)
    assert first.startswith("make-checkpoint: importing TensorFlow (at ") and " in " in last


def test_synth_cli_progress_on_stderr_and_quiet(tmp_path):
    """A real process whose stderr is a pipe (not a terminal): plain lines, stdout keeps only the result."""
    args = [sys.executable, "-m", "panoconv.cli", "synth", str(tmp_path / "s"), "--count", "2", "--height",
            "32", "--width", "64"]
    loud = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert loud.returncode == 0, loud.stderr
    assert "synth rectilinear: 2/2 scene (100%)" in loud.stderr and "\r" not in loud.stderr
    assert loud.stdout.strip() == str(tmp_path / "s")
    quiet = subprocess.run([*args[:3], "-q", "synth", str(tmp_path / "q"), *args[5:]], capture_output=True,
                           text=True, timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
