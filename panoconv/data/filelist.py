"""Parse monodepth-style stereo file lists: one `left right` pair per line, relative to a data root.

Errors name the list file and the 1-based line number so a user can fix the exact line. With
`skip_bad=True`, bad lines are logged and skipped and the count is reported instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from panoconv.errors import PanoconvError

log = logging.getLogger(__name__)

PAIR_SUFFIXES = {".png", ".jpg", ".jpeg"}


class FileListError(PanoconvError):
    """A file list is missing, empty, malformed or names files that do not exist."""


@dataclass(frozen=True)
class PairEntry:
    """One stereo pair: absolute-ish paths plus where it came from (for error messages)."""

    left: Path
    right: Path
    line: int
    list_file: Path

    def where(self) -> str:
        return f"{self.list_file}:{self.line}"


@dataclass
class PairList:
    entries: list[PairEntry]
    skipped: list[str] = field(default_factory=list)  # one reason per skipped line


def read_pair_list(list_file: Path | str, root: Path | str, skip_bad: bool = False,
                   check_exists: bool = True) -> PairList:
    """Read `list_file`; each non-blank, non-`#` line must be `left right` (png/jpg, relative to `root`)."""
    list_file, root = Path(list_file), Path(root)
    if not list_file.is_file():
        raise FileListError(f"{list_file}: no such file list")
    try:
        text = list_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise FileListError(f"{list_file}: cannot read file list ({err})") from None
    if not root.is_dir():
        raise FileListError(f"{root}: data root is not a directory (for {list_file})")
    out = PairList([])
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        problem = _check_line(line, root, check_exists)
        if problem is None:
            left, right = line.split()
            out.entries.append(PairEntry(root / left, root / right, lineno, list_file))
            continue
        message = f"{list_file}:{lineno}: {problem}"
        if not skip_bad:
            raise FileListError(message)
        log.warning("skipping %s", message)
        out.skipped.append(message)
    if not out.entries:
        detail = f" ({len(out.skipped)} bad lines skipped)" if out.skipped else ""
        raise FileListError(f"{list_file}: file list has no usable pairs{detail}")
    if out.skipped:
        log.warning("%s: skipped %d of %d pairs", list_file, len(out.skipped),
                    len(out.skipped) + len(out.entries))
    return out


def _check_line(line: str, root: Path, check_exists: bool) -> str | None:
    """The problem with one line, or None if it is usable."""
    parts = line.split()
    if len(parts) != 2:
        return f"expected 2 paths 'left right', found {len(parts)} fields"
    for part in parts:
        if Path(part).suffix.lower() not in PAIR_SUFFIXES:
            return f"{part}: not a png/jpg image path"
        if check_exists and not (root / part).is_file():
            return f"{root / part}: no such file"
    return None
