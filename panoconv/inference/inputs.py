"""Turn the INPUT arguments of `predict` (images, folders, file lists) into a list of image paths."""

from __future__ import annotations

from pathlib import Path

from panoconv.errors import PanoconvError
from panoconv.io.images import IMAGE_SUFFIXES

LIST_SUFFIXES = {".txt", ".lst", ".list"}


def read_file_list(path: Path) -> list[Path]:
    """One image per line (first whitespace-separated token; `#` comments), relative to the list's folder."""
    paths = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            p = Path(line.split()[0])
            paths.append(p if p.is_absolute() else path.parent / p)
    return paths


def gather_inputs(inputs: list[Path]) -> list[Path]:
    """Folders give their image files (sorted, not recursive), lists their lines, other paths themselves."""
    found: list[Path] = []
    for item in inputs:
        item = Path(item)
        if item.is_dir():
            found += sorted(p for p in item.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        elif item.suffix.lower() in LIST_SUFFIXES and item.is_file():
            found += read_file_list(item)
        else:
            found.append(item)
    if not found:
        raise PanoconvError("no input images found (give image files, folders or a .txt file list)")
    return found


def output_stems(paths: list[Path]) -> list[str]:
    """Unique output name stems: the file stem, with `-2`, `-3`... for repeated stems."""
    seen: dict[str, int] = {}
    stems = []
    for p in paths:
        n = seen.get(p.stem, 0) + 1
        seen[p.stem] = n
        stems.append(p.stem if n == 1 else f"{p.stem}-{n}")
    return stems
