"""Refuse outputs that would overwrite or delete an input, whatever `--force` says.

`extract ck -o ck --force` used to replace the folder holding the checkpoint it was reading. Every writing
command checks its output against the files (and folders) it reads, by resolved path and by inode (symlinks,
`..` and hard-linked names all count): an output that *is* an input, *contains* one (replacing the folder
would delete it) or *lies inside* one (an input folder being read, or a file standing where a folder should)
is refused in one line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from panoconv.errors import OutputError

_NOTE = "choose another output (--force never replaces an input)"


def resolved(path: Path) -> Path:
    return Path(os.path.abspath(Path(path).expanduser())).resolve(strict=False)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def overlap(out: Path, inp: Path) -> str | None:
    """How `out` overlaps `inp` ("is", "contains", "lies inside"), or None."""
    o, i = resolved(out), resolved(inp)
    if o == i or _same_file(out, inp):
        return "is"
    if o in i.parents:
        return "contains"
    if i in o.parents:
        return "lies inside"
    return None


ALL = ("is", "contains", "lies inside")


def check_not_input(out: Path, inputs: Iterable[Path | str | None], what: str = "output",
                    relations: tuple[str, ...] = ALL) -> None:
    """Raise `OutputError` if `out` is, contains or lies inside any of `inputs` (None entries are ignored).

    `relations` narrows the test for outputs that are only ever files written beside inputs.
    """
    found = [(ALL.index(r), str(inp)) for inp in inputs if inp is not None
             for r in [overlap(Path(out), Path(inp))] if r in relations]
    if found:  # the most telling one: "is" before "contains" before "lies inside"
        rank, inp = min(found)
        raise OutputError(f"{out}: the {what} {ALL[rank]} the input {inp}; {_NOTE}")


def argument_paths(path: Path, source_files: Iterable[Path] = ()) -> list[Path]:
    """What an input argument stands for: itself, the files read from it, and for a TF checkpoint prefix
    (`ck/model-1000`, not a file) its `model-1000.*` files."""
    path = Path(path)
    found = [path, *(Path(p) for p in source_files)]
    if not path.exists() and path.parent.is_dir():
        found += sorted(path.parent.glob(f"{glob_escape(path.name)}.*"))
    return found


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
