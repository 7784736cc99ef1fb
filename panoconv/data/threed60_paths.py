"""3D60 split rows as the projects publish them: path forms, file naming and where the files are found.

The published split files differ in form (README, "OmniDepth: RectNet and UResNet on 3D60"); all are
read here, and the data root replaces whatever prefix a path carries:

- v1: absolute Windows paths, `D:\\Data\\3D60\\Matterport3D\\10_ed1e..._color_0_Left_Down_0.0.png`
- 3dv19: relative Windows paths, `.\\Matterport3D\\0_7812..._color_0_Left_Down_0.0.png`
- eccv18 pytorch_test: POSIX paths whose leading `/` is relative to the data root, with the misspelt
  folder `Matteport3D`
- eccv18 caffe_test: two columns (centre colour, centre depth), folders `Stanford/area3/...`, rotated
  views `..._Left_Down_90.0.png`
- Stanford2D3D rows one folder deeper (`Stanford2D3D\\area5a\\0_area_5a1_...`), scene names with
  underscores; SunCG rows without a pose prefix (`SunCG\\004e36a6..._color_...`).

A token is split on both separators, a drive letter and `.` parts are dropped, and the path is taken from
its last data-set folder on (`Matterport3D`, `Stanford2D3D`, `SunCG` and the published variants
`Matteport3D`, `Matterport`, `Stanford`), relative to the data root; a token without such a folder is
taken whole, relative to the root. `..` parts that would climb out of the root are refused
(lexically: symbolic links inside the root are the user's own and are followed). When a variant folder
does not exist on disk, the canonical one is tried (the 3D60 download names it `Matterport3D` even where
a split file says `Matteport3D`).

File names: `<stem>_{color|depth|normal}_0_{Left_Down|Right|Up}_<angle>.{png|exr}`, where `<stem>` is
`<pose>_<sceneHash><n>` (Matterport3D), `<pose>_area_<id><n>` (Stanford2D3D) or `<sceneHash><n>`
(SunCG) and `<angle>` the rendering's rotation (`0.0`, `90.0`, ...). Every file of a row must share stem
and angle and sit in the column its kind and view belong to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DATASET_NAMES = ("Matterport3D", "Stanford2D3D", "SunCG")
#: folder name as published (lower case) -> (canonical data set, kind of variant or "")
DATASET_FOLDERS: dict[str, tuple[str, str]] = {
    "matterport3d": ("Matterport3D", ""),
    "stanford2d3d": ("Stanford2D3D", ""),
    "suncg": ("SunCG", ""),
    "matteport3d": ("Matterport3D", "misspelt"),  # eccv18 pytorch_test
    "matterport": ("Matterport3D", "alias"),
    "stanford": ("Stanford2D3D", "alias"),  # eccv18 caffe_test
}
UNKNOWN_DATASET = "unknown"

#: (kind, view) of each column of a 9-column row: centre/right/up colour, depth, normal
COLUMNS_9 = tuple((kind, view) for kind in ("color", "depth", "normal")
                  for view in ("Left_Down", "Right", "Up"))
#: a 2-column row (eccv18 caffe_test): centre colour and centre depth
COLUMNS_2 = (("color", "Left_Down"), ("depth", "Left_Down"))
EXTENSIONS = {"color": "png", "depth": "exr", "normal": "exr"}

FILE_RE = re.compile(
    r"^(?P<stem>.+)_(?P<kind>color|depth|normal)_0_(?P<view>Left_Down|Right|Up)_(?P<angle>\d+(?:\.\d+)?)"
    r"\.(?P<ext>png|exr)$"
)
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


class RowError(ValueError):
    """One split row cannot be used. `kind` names the reason for the per-split counts."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


#: reason kinds of `RowError`, in the order the split summary lists them
REASONS = ("malformed", "outside-root", "missing-file", "no-stereo-views", "unknown-dataset")


@dataclass(frozen=True)
class ParsedToken:
    """One path of a row: where to look for it, its data set and its file-name fields."""

    candidates: tuple[Path, ...]  # as written (under the root), then with the canonical data-set folder
    dataset: str  # canonical name or UNKNOWN_DATASET
    variant: str  # "", "misspelt" or "alias": how the folder was spelt
    folder: str | None  # the folder as written
    stem: str
    kind: str
    view: str
    angle: str

    def existing(self) -> Path | None:
        """The first candidate that is a file, or None."""
        return next((c for c in self.candidates if c.is_file()), None)


def path_parts(token: str) -> list[str]:
    """Both separators, no drive letter, no empty or `.` parts: `D:\\a\\.\\b` -> ['a', 'b']."""
    text = _DRIVE_RE.sub("", token.replace("\\", "/"), count=1)
    return [p for p in text.split("/") if p not in ("", ".")]


def _under_root(parts: list[str], token: str) -> list[str]:
    """Resolve `..` lexically; refuse a path that climbs out of the data root."""
    out: list[str] = []
    for part in parts:
        if part == "..":
            if not out:
                raise RowError("outside-root", f"{token!r} resolves outside the data root")
            out.pop()
        else:
            out.append(part)
    return out


def parse_token(token: str, root: Path) -> ParsedToken:
    """Where one published path lives under `root`, and what its file name says. Raises `RowError`."""
    parts = path_parts(token)
    if not parts:
        raise RowError("malformed", f"{token!r} is not a path")
    index = next((i for i in range(len(parts) - 2, -1, -1) if parts[i].lower() in DATASET_FOLDERS), None)
    rel = _under_root(parts if index is None else parts[index:], token)
    if not rel or rel[-1] != parts[-1]:
        raise RowError("malformed", f"{token!r} does not name a file")
    match = FILE_RE.match(rel[-1])
    if match is None:
        raise RowError("malformed", f"{token!r}: file name does not follow "
                                    "<stem>_<color|depth|normal>_0_<Left_Down|Right|Up>_<angle>.<png|exr>")
    if match["ext"] != EXTENSIONS[match["kind"]]:
        raise RowError("malformed", f"{token!r}: a {match['kind']} file must be .{EXTENSIONS[match['kind']]}")
    candidates = [root.joinpath(*rel)]
    dataset, variant, folder = UNKNOWN_DATASET, "", None
    if index is not None and len(rel) > 1 and rel[0].lower() in DATASET_FOLDERS:
        folder = rel[0]
        dataset, variant = DATASET_FOLDERS[folder.lower()]
        if folder != dataset:
            candidates.append(root.joinpath(dataset, *rel[1:]))
    return ParsedToken(tuple(candidates), dataset, variant, folder, match["stem"], match["kind"],
                       match["view"], match["angle"])


@dataclass(frozen=True)
class ParsedRow:
    """A row's tokens parsed and checked for form (existence is checked by the caller, per mode)."""

    tokens: dict[tuple[str, str], ParsedToken]  # (kind, view) -> token
    dataset: str
    variant: str
    columns: int


def parse_row(tokens: list[str], root: Path) -> ParsedRow:
    """Check one row's form: 9 or 2 columns, each file in its column, one sample, one data set."""
    if len(tokens) == len(COLUMNS_9):
        columns = COLUMNS_9
    elif len(tokens) == len(COLUMNS_2):
        columns = COLUMNS_2
    else:
        raise RowError("malformed", f"expected 9 paths (centre/right/up colour, depth, normal) or 2 (centre "
                                    f"colour, centre depth), got {len(tokens)}")
    parsed: dict[tuple[str, str], ParsedToken] = {}
    for token, (kind, view) in zip(tokens, columns):
        p = parse_token(token, root)
        if (p.kind, p.view) != (kind, view):
            raise RowError("malformed", f"{token!r} is a {p.kind}/{p.view} file where {kind}/{view} belongs")
        parsed[(kind, view)] = p
    first = parsed[columns[0]]
    for (kind, view), p in parsed.items():
        if (p.stem, p.angle) != (first.stem, first.angle):
            raise RowError("malformed", f"the {kind}/{view} file {p.stem}_..._{p.angle} belongs to another "
                                        f"sample than the row's first file {first.stem}_..._{first.angle}")
        if p.dataset != first.dataset:
            raise RowError("malformed", f"the row mixes data sets {first.dataset} and {p.dataset}")
    return ParsedRow(parsed, first.dataset, first.variant, len(columns))


def parse_datasets(text: str | None) -> tuple[str, ...] | None:
    """`--datasets Matterport3D,SunCG` -> canonical names (case-insensitive, published variants accepted)."""
    if text is None or not text.strip():
        return None
    names: list[str] = []
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        if item.lower() not in DATASET_FOLDERS:
            from panoconv.errors import PanoconvError

            raise PanoconvError(f"--datasets: unknown data set {item!r}; choose from "
                                f"{', '.join(DATASET_NAMES)}")
        canonical = DATASET_FOLDERS[item.lower()][0]
        if canonical not in names:
            names.append(canonical)
    return tuple(names) or None
