"""Turn the OS refusing an output (full disk, read-only folder, name too long, a file where a folder should
be) into one line naming the output, whatever library was writing.

Writers report a full disk in their own ways: `OSError(ENOSPC)` from `open().write`, "errno = 28" inside an
h5py `RuntimeError`, "os error 28" inside a `SafetensorError`, a bare short write from `np.save` or a
position mismatch from `torch.save`. So a failure is recognised from its errno (or one quoted in the
message) and, when a writer hides it, by probing the folder: no free blocks left, or the temporary file
reached the file-size limit (`ulimit -f`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Iterator
from pathlib import Path

from panoconv.errors import OutputError, PanoconvError

REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large (file-size limit reached)",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENAMETOOLONG: "file name too long",
}
#: errors that mean the output is not where it can be: a parent is a file, or the output is a folder
_PLACE = {errno.ENOTDIR, errno.EEXIST, errno.EISDIR}
_QUOTED = re.compile(r"\[Errno (\d+)\]|errno = (\d+)|os error (\d+)")
_MIN_SLACK = 1 << 16  # a writer stopped within this many bytes of `ulimit -f` hit the limit


def _errno_of(err: BaseException) -> int | None:
    if isinstance(err, OSError) and err.errno:
        return err.errno
    match = _QUOTED.search(str(err))
    return int(next(g for g in match.groups() if g)) if match else None


def _names_output(err: OSError, path: Path, tmp: Path | None) -> bool:
    """Whether the failing file of `err` is the output, its temporary file, inside it, or one of its
    parents."""
    ours = [_abs(path)] + ([_abs(tmp)] if tmp is not None else [])
    for name in (err.filename, err.filename2):
        if name is None:
            continue
        failing = _abs(Path(os.fsdecode(name)))
        if any(failing == o or o in failing.parents or failing in o.parents for o in ours):
            return True
    return False


def _abs(path: Path) -> Path:
    return Path(os.path.abspath(path))


def _blocking_file(path: Path) -> Path | None:
    """The nearest ancestor of `path` (or `path`'s parent chain) that exists and is not a folder."""
    for parent in [path, *path.parents]:
        if parent.exists() or parent.is_symlink():
            return None if parent.is_dir() or parent == path else parent
    return None


def _long_component(path: Path) -> str:
    name = max(Path(path).parts, key=lambda p: len(os.fsencode(p)))
    return f"{len(os.fsencode(name))}-byte name {name[:24]}...; the usual limit is 255 bytes"


def _probe(folder: Path, tmp: Path | None) -> str | None:
    """Why a write in `folder` failed when the writer did not say: no free space, or `ulimit -f` reached."""
    try:
        if os.statvfs(folder).f_bavail == 0:
            return REASONS[errno.ENOSPC]
    except OSError:
        pass
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if tmp is not None and limit != resource.RLIM_INFINITY and tmp.stat().st_size + _MIN_SLACK >= limit:
            return f"file too large: the file-size limit (ulimit -f) is {limit} bytes"
    except (ImportError, OSError):
        pass
    return None


def failure_reason(path: Path, err: BaseException, tmp: Path | None = None) -> str | None:
    """A short reason if `err`, raised while writing `path` (through `tmp`), is the output's fault; else
    None."""
    if isinstance(err, PanoconvError) or not isinstance(err, Exception):
        return None
    path = Path(path)
    if isinstance(err, OSError) and err.filename is not None and not _names_output(err, path, tmp):
        return None  # an input (or something else) failed, not the output
    code = _errno_of(err)
    if code in _PLACE:
        blocker = _blocking_file(path)
        if blocker is not None:
            return f"{blocker} is a file, not a folder"
        if code == errno.EISDIR or path.is_dir():
            return "is a folder"
    if code == errno.ENAMETOOLONG:
        return f"file name too long ({_long_component(path)})"
    if code in REASONS:
        return REASONS[code]
    if isinstance(err, OSError) and err.filename is not None and code is not None:
        return os.strerror(code).lower()  # an error of the output file itself, whatever it is
    return _probe(path.parent, tmp)


def output_error(path: Path, reason: str) -> OutputError:
    return OutputError(f"{path}: cannot write the output: {reason}")


@contextlib.contextmanager
def translated(path: Path, tmp: Path | None = None) -> Iterator[None]:
    """Re-raise an OS failure to write `path` as one `OutputError` line; anything else passes through."""
    try:
        yield
    except Exception as err:
        reason = failure_reason(path, err, tmp)
        if reason is None:
            raise
        raise output_error(path, reason) from None
