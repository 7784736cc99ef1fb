"""Output guards: an output that is / contains / lies inside an input is refused; OS refusals are one line;
temporary files of dead runs are swept, those of live runs kept."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from panoconv.errors import OutputError
from panoconv.io import atomic
from panoconv.io.atomic import atomic_dir, atomic_file, atomic_path, sweep_stale, temp_prefix
from panoconv.io.overlap import argument_paths, check_not_input, overlap


def test_overlap_relations(tmp_path):
    (tmp_path / "ck").mkdir()
    (tmp_path / "ck" / "model.index").write_text("x")
    assert overlap(tmp_path / "ck", tmp_path / "ck") == "is"
    assert overlap(tmp_path / "ck" / ".." / "ck", tmp_path / "ck") == "is"
    assert overlap(tmp_path, tmp_path / "ck" / "model.index") == "contains"
    assert overlap(tmp_path / "ck" / "store", tmp_path / "ck") == "lies inside"
    assert overlap(tmp_path / "other", tmp_path / "ck") is None
    assert overlap(tmp_path / "ck2", tmp_path / "ck") is None  # a shared name prefix is not containment


def test_overlap_sees_through_links(tmp_path):
    (tmp_path / "real.safetensors").write_text("x")
    (tmp_path / "link.safetensors").symlink_to(tmp_path / "real.safetensors")
    os.link(tmp_path / "real.safetensors", tmp_path / "hard.safetensors")
    assert overlap(tmp_path / "link.safetensors", tmp_path / "real.safetensors") == "is"
    assert overlap(tmp_path / "hard.safetensors", tmp_path / "real.safetensors") == "is"
    (tmp_path / "alias").symlink_to(tmp_path)
    assert overlap(tmp_path / "alias", tmp_path / "real.safetensors") == "contains"


def test_check_not_input_message_and_relations(tmp_path):
    with pytest.raises(OutputError, match=r"ck: the output is the input .*ck; choose another output"):
        check_not_input(tmp_path / "ck", [None, tmp_path / "ck"])
    check_not_input(tmp_path / "ck" / "x.txt", [tmp_path / "ck"], relations=("is", "contains"))
    with pytest.raises(OutputError, match="lies inside the input"):
        check_not_input(tmp_path / "ck" / "x.txt", [tmp_path / "ck"])


def test_argument_paths_of_a_checkpoint_prefix(tmp_path):
    for name in ("model-10.index", "model-10.data-00000-of-00001", "model-100.index", "other.index"):
        (tmp_path / name).write_text("x")
    found = {p.name for p in argument_paths(tmp_path / "model-10")}
    assert found == {"model-10", "model-10.index", "model-10.data-00000-of-00001"}


# --- OS errors on output -------------------------------------------------------------------------
def _one_line(err: OutputError) -> str:
    text = str(err)
    assert "\n" not in text
    return text


def test_parent_is_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError) as err, atomic_file(tmp_path / "f" / "sub" / "out.txt", "w") as f:
        f.write("x")
    assert f"{tmp_path / 'f'} is a file, not a folder" in _one_line(err.value)
    with pytest.raises(OutputError, match="is a file, not a folder"), atomic_dir(tmp_path / "f" / "store"):
        pass


def test_name_too_long(tmp_path):
    with (pytest.raises(OutputError, match=r"file name too long \(300-byte name"),
          atomic_path(tmp_path / ("n" * 296 + ".npy")) as tmp):
        np.save(tmp, np.zeros(3))
    assert list(tmp_path.iterdir()) == []


def test_longest_legal_name_still_writes(tmp_path):
    """The temporary sibling is capped in length: a 255-byte final name must not fail because of it."""
    target = tmp_path / ("n" * 251 + ".npy")
    with atomic_path(target) as tmp:
        np.save(tmp, np.arange(3))
    assert np.load(target).tolist() == [0, 1, 2]


@pytest.mark.parametrize("code, reason", [(errno.ENOSPC, "no space left on the device"),
                                          (errno.EROFS, "read-only file system"),
                                          (errno.EACCES, "permission denied"),
                                          (errno.EDQUOT, "disk quota exceeded")])
def test_os_refusals_while_writing(tmp_path, code, reason):
    target = tmp_path / "out.bin"
    with pytest.raises(OutputError) as err, atomic_file(target) as f:
        f.write(b"partial")
        raise OSError(code, os.strerror(code))
    assert _one_line(err.value) == f"{target}: cannot write the output: {reason}"
    assert list(tmp_path.iterdir()) == []  # no partial output, no temporary file


def test_read_only_folder(tmp_path, monkeypatch):
    """A real chmod when not root (root ignores it); the refusal mkstemp gets either way is simulated too."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
    else:
        def refuse(*args, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied", str(folder / ".x.tmp"))
        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    try:
        with (pytest.raises(OutputError, match=r"ro/out.npy: cannot write the output: permission denied"),
              atomic_path(folder / "out.npy") as tmp):
            np.save(tmp, np.zeros(2))
    finally:
        folder.chmod(0o755)


def test_writer_errors_that_hide_the_errno(tmp_path):
    """h5py and safetensors quote the errno inside their own exception types."""
    for err in (RuntimeError("Can't write data (file write failed: errno = 28, error message = 'No space')"),
                Exception("Error while serializing: I/O error: No space left on device (os error 28)")):
        with pytest.raises(OutputError, match="no space left"), atomic_path(tmp_path / "w.h5"):
            raise err
    # an unrelated bug is not dressed up as an output error
    with pytest.raises(KeyError), atomic_path(tmp_path / "w.h5"):
        raise KeyError("x")


def test_input_errors_are_not_blamed_on_the_output(tmp_path):
    with pytest.raises(PermissionError), atomic_path(tmp_path / "out.npy"):
        raise PermissionError(errno.EACCES, "Permission denied", "/somewhere/else/input.index")


_FSIZE_SCRIPT = """
import resource, sys, numpy as np, torch
from pathlib import Path
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
from panoconv.cli import main
sys.argv = ["panoconv"] + sys.argv[1:]
main()
"""


def test_file_size_limit_in_a_real_writer(tmp_path):
    """`ulimit -f` makes torch.save fail with an opaque message: still one line, nothing left behind."""
    from panoconv.tf_reference.checkpoint import seeded_weights

    source = tmp_path / "numpy_weight"  # the earlier port's folder of .npy (no TensorFlow needed)
    source.mkdir()
    for name, value in seeded_weights(0).items():
        np.save(source / (name.replace("/", ".") + ":0.npy"), value)
    out = tmp_path / "o"
    script = tmp_path / "run.py"
    script.write_text(_FSIZE_SCRIPT)
    for target in ("copy.pt", "copy.safetensors"):
        proc = subprocess.run([sys.executable, str(script), "convert", str(source), "-o", str(out / target)],
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert proc.returncode == 1, proc.stderr
        expected = f"Error: {out / target}: cannot write the output: file too large"
        assert lines[-1].startswith(expected), proc.stderr
        assert "Traceback" not in proc.stderr
        assert not out.exists() or list(out.iterdir()) == []


# --- stale temporary files -----------------------------------------------------------------------
def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_sweep_removes_dead_runs_temp_files_only(tmp_path):
    dead = _dead_pid()
    stale_file = tmp_path / f".model.~{dead}~abcd1234.safetensors"
    stale_dir = tmp_path / f".store.~{dead}~k2j3x9a1.tmp"
    live = tmp_path / f".model.~{os.getppid()}~abcd1234.safetensors"
    own = tmp_path / f"{temp_prefix('model')}zzzz9999.pt"
    user = tmp_path / ".model.~notapid~abcd1234.pt"
    stale_file.write_text("half")
    stale_dir.mkdir()
    (stale_dir / "a.npy").write_text("half")
    for p in (live, own, user):
        p.write_text("x")
    assert sorted(sweep_stale(tmp_path)) == sorted([stale_file, stale_dir])
    assert live.exists() and own.exists() and user.exists()


def test_first_write_into_a_folder_sweeps(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, "_swept", set())
    stale = tmp_path / f".out.~{_dead_pid()}~abcd1234.npy"
    stale.write_text("half")
    with atomic_path(tmp_path / "out.npy") as tmp:
        np.save(tmp, np.zeros(1))
    assert not stale.exists() and (tmp_path / "out.npy").exists()


def test_atomic_dir_force_swaps_in_one_step(tmp_path):
    out = tmp_path / "store"
    with atomic_dir(out) as tmp:
        (tmp / "old.npy").write_text("1")
    with atomic_dir(out, force=True) as tmp:
        (tmp / "new.npy").write_text("2")
    assert [p.name for p in out.iterdir()] == ["new.npy"]
    assert [p.name for p in tmp_path.iterdir()] == ["store"]
