"""make-checkpoint moves three files into place: a kill -9 between any two steps never shows a mixed or
partial checkpoint (readers find one by its .index), and the rerun replaces what was left."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from panoconv.tf_reference import checkpoint as ck


def _write(prefix: Path, version: str) -> list[Path]:
    files = ck.checkpoint_files(prefix)
    for f in files:
        f.write_text(version)
    return files


def _kill_at(n: int, tmp: Path, targets: list[Path]) -> None:
    """Fork; the child moves the new files in and SIGKILLs itself at its n-th replace/unlink/fsync."""
    pid = os.fork()
    if pid == 0:
        count = {"n": 0}

        def wrap(real):
            def wrapper(*args, **kwargs):
                count["n"] += 1
                if count["n"] == n:
                    os.kill(os.getpid(), signal.SIGKILL)
                return real(*args, **kwargs)
            return wrapper

        os.replace, os.unlink, os.fsync = wrap(os.replace), wrap(os.unlink), wrap(os.fsync)
        ck._move_in(_write(tmp / "model-5", "new"), targets)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) or os.WEXITSTATUS(status) == 0


@pytest.mark.parametrize("existing", [False, True])
def test_kill_between_moves_never_shows_a_mixed_checkpoint(tmp_path, existing):
    out = tmp_path / "out"
    staging = tmp_path / "staging"
    out.mkdir()
    killed = 0
    for n in range(1, 16):  # 3 fsyncs + unlink + 3 dir fsyncs + 3 replaces...: every step, then past the end
        staging.mkdir(exist_ok=True)
        for f in out.iterdir():
            f.unlink()
        targets = _write(out / "model-5", "old") if existing else ck.checkpoint_files(out / "model-5")
        if not existing:
            for f in targets:
                f.unlink(missing_ok=True)
        _kill_at(n, staging, targets)
        index, data, meta = targets
        if index.exists():  # visible: all three files of one version
            assert index.read_text() == data.read_text() == meta.read_text(), n
        killed += index.exists() is False or index.read_text() == "old"
        ck._move_in(_write(staging / "model-5", "new"), targets)  # the rerun
        assert [t.read_text() for t in targets] == ["new"] * 3
    assert killed >= 3
