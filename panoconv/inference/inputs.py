"""Turn the INPUT arguments of `predict` (images, folders, file lists) into image paths or stereo pairs.

Monocular networks take images, folders (their images, sorted) and file lists (first path of a line).
Stereo networks take left/right pairs: explicit pairs (`--pair LEFT RIGHT`) and file lists of
`left right` lines (monodepth's format, relative to the list's folder); a single image is an error.
"""

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


def read_pair_file_list(path: Path) -> list[tuple[Path, Path]]:
    """`left right` per line (`#` comments), relative to the list's folder; other lines are an error."""
    pairs = []
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) < 2:
            raise PanoconvError(f"{path}:{lineno}: a stereo network needs `left right` on every line, "
                                f"got one path")
        left, right = (Path(f) for f in fields[:2])
        pairs.append(tuple(p if p.is_absolute() else path.parent / p for p in (left, right)))
    return pairs  # type: ignore[return-value]


def gather_pairs(inputs: list[Path], pairs: list[tuple[Path, Path]], arch: str) -> list[tuple[Path, Path]]:
    """Stereo inputs: explicit pairs, then the pairs of every file list; a lone image or folder is refused."""
    found = [(Path(a), Path(b)) for a, b in pairs]
    for item in inputs:
        item = Path(item)
        if item.suffix.lower() in LIST_SUFFIXES and item.is_file():
            found += read_pair_file_list(item)
        else:
            raise PanoconvError(f"{item}: {arch} is a stereo network and needs left/right pairs; give "
                                "--pair LEFT RIGHT or a .txt list of `left right` lines, not a single image")
    if not found:
        raise PanoconvError(f"no input pairs found: {arch} needs --pair LEFT RIGHT or a .txt list of "
                            "`left right` lines")
    return found


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


def declared_cameras(inputs: list[Path]) -> dict[Path, tuple[str, str]]:
    """Image path -> (camera, list file) for the images of file lists that declare `# camera: NAME`."""
    from panoconv.inference.camera import declared_list_camera

    found: dict[Path, tuple[str, str]] = {}
    for item in inputs:
        item = Path(item)
        if item.suffix.lower() in LIST_SUFFIXES and item.is_file():
            camera = declared_list_camera(item)
            if camera is not None:
                for line in item.read_text(errors="replace").splitlines():
                    fields = line.split()
                    if fields and not fields[0].startswith("#"):
                        for f in fields[:2]:  # monocular lists: first path; stereo lists: left and right
                            p = Path(f)
                            found[p if p.is_absolute() else item.parent / p] = (camera, str(item))
    return found


def output_stems(paths: list[Path]) -> tuple[list[str], list[str]]:
    """Unique output name stems, and a note per input that had to be renamed.

    The file stem, with `-2`, `-3`... when an earlier input took it (`a.png` and `b/a.jpg`); a suffixed
    name is never one that another input has (`a-2.png`). Compared case-insensitively, so the outputs
    stay distinct on macOS and Windows file systems too.
    """
    taken = {p.stem.casefold() for p in paths}
    used: set[str] = set()
    stems, notes = [], []
    for p in paths:
        stem, n = p.stem, 1
        while stem.casefold() in used or (n > 1 and stem.casefold() in taken):
            n += 1
            stem = f"{p.stem}-{n}"
        used.add(stem.casefold())
        stems.append(stem)
        if n > 1:
            notes.append(f"{p}: output name {p.stem!r} is taken by an earlier input; writing it as {stem!r}")
    return stems, notes
