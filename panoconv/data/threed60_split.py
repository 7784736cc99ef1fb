"""Read a 3D60 split file as published, and account for every row: read, filtered out or skipped (and why).

`read_split(...)` returns the usable rows plus per-data-set counts. Each row is parsed by
`threed60_paths.parse_row` (every published form), then kept or filtered out by `datasets`, then its
files are looked up (only the files the mode reads must exist). A bad row is never dropped silently:

- without `skip_bad`, the first bad row raises `ThreeD60Error` naming `file:line` and the reason, with
  how many bad rows the split holds in all;
- with `skip_bad`, the split's summary line says how many rows were skipped and why, the first
  `SHOW_SKIPPED` are logged, and all are written to `skipped_file` (one `file:line<TAB>reason<TAB>
  message` line each) when one is given.

Files are read as UTF-8 (a byte-order mark is dropped), lines split on LF, CRLF or CR; blank lines and
lines starting with `#` are ignored.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from panoconv.data.threed60_paths import (
    DATASET_FOLDERS,
    DATASET_NAMES,
    REASONS,
    UNKNOWN_DATASET,
    ParsedRow,
    RowError,
    parse_row,
    path_parts,
)
from panoconv.errors import PanoconvError

log = logging.getLogger(__name__)

MODES = ("supervised", "stereo", "stereo_vertical")
#: per-data-set counters of a split and its samples
COUNTERS = ("rows", "skipped", "filtered_out", "misspelled", "alias", "unreadable", "nonfinite_pixels",
            "negative_pixels", "images_with_bad_depth")
#: skipped rows shown in the log (all are in `skipped_file`)
SHOW_SKIPPED = 5
#: a split file larger than this is refused before it is read (the largest published one is ~2 MB)
MAX_SPLIT_BYTES = 64 * 1024 * 1024


class ThreeD60Error(PanoconvError):
    """A 3D60 split file or sample is missing, malformed, of inconsistent sizes, or empty."""


@dataclass(frozen=True)
class ThreeD60Row:
    """One usable row: resolved paths keyed by (kind, view), its data set and 1-based line number."""

    paths: dict[tuple[str, str], Path]
    dataset: str
    line: int
    split_file: Path

    def where(self) -> str:
        return f"{self.split_file}:{self.line}"

    def path(self, kind: str, view: str = "Left_Down") -> Path:
        return self.paths[(kind, view)]


@dataclass(frozen=True)
class SkippedRow:
    """A row that was not read: where, why (one of `threed60_paths.REASONS`) and its data set if known."""

    split_file: Path
    line: int
    reason: str
    message: str
    dataset: str = UNKNOWN_DATASET

    def where(self) -> str:
        return f"{self.split_file}:{self.line}"

    def __str__(self) -> str:
        return f"{self.where()}: {self.message}"


@dataclass
class ThreeD60Split:
    rows: list[ThreeD60Row]
    stats: dict[str, dict[str, int]]  # per data set: see COUNTERS
    skipped: list[SkippedRow] = field(default_factory=list)
    split_file: Path | None = None

    def skip_reasons(self) -> Counter:
        return Counter(s.reason for s in self.skipped)

    def summary(self) -> str:
        """`split: read N rows (Matterport3D a, Stanford2D3D b, SunCG c); skipped k (reason n, ...); ...`."""
        per_set = ", ".join(f"{k} {v['rows']}" for k, v in sorted(self.stats.items()) if v["rows"]) or "none"
        parts = [f"{self.split_file}: read {len(self.rows)} rows ({per_set})"]
        if self.skipped:
            reasons = self.skip_reasons()
            parts.append(f"skipped {len(self.skipped)} (" + ", ".join(f"{r} {reasons[r]}" for r in REASONS
                                                                       if reasons[r]) + ")")
        filtered = {k: v["filtered_out"] for k, v in sorted(self.stats.items()) if v["filtered_out"]}
        if filtered:
            parts.append("filtered out " + ", ".join(f"{k} {v}" for k, v in filtered.items()))
        variants = [f"{v['misspelled']} misspelt" for v in self.stats.values() if v["misspelled"]] + \
                   [f"{v['alias']} alias" for v in self.stats.values() if v["alias"]]
        if variants:
            parts.append("folder names read as their data set: " + ", ".join(variants))
        return "; ".join(parts)


def empty_stats() -> dict[str, int]:
    return dict.fromkeys(COUNTERS, 0)


def required_columns(mode: str) -> list[tuple[str, str]]:
    """The (kind, view) files a mode reads; only these must exist."""
    if mode == "supervised":
        return [("color", "Left_Down"), ("depth", "Left_Down")]
    if mode == "stereo":
        return [("color", "Left_Down"), ("color", "Right")]
    if mode == "stereo_vertical":
        return [("color", "Left_Down"), ("color", "Up")]
    raise ThreeD60Error(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")


def _guess_dataset(tokens: list[str]) -> str:
    """The data set a (possibly malformed) row's first path names, for the per-data-set skip counts."""
    if not tokens:
        return UNKNOWN_DATASET
    for part in reversed(path_parts(tokens[0])[:-1]):
        if part.lower() in DATASET_FOLDERS:
            return DATASET_FOLDERS[part.lower()][0]
    return UNKNOWN_DATASET


def _locate(parsed: ParsedRow, mode: str) -> dict[tuple[str, str], Path]:
    """Existing files for the mode's columns (RowError if one is missing); first candidate for the rest."""
    required = required_columns(mode)
    missing_views = [c for c in required if c not in parsed.tokens]
    if missing_views:
        kind, view = missing_views[0]
        raise RowError("no-stereo-views", f"a {parsed.columns}-column row has no {kind}/{view} file, which "
                                          f"{mode} mode reads; use a 9-column split")
    paths: dict[tuple[str, str], Path] = {}
    for column, token in parsed.tokens.items():
        found = token.existing()
        if found is None and column in required:
            tried = " or ".join(str(c) for c in token.candidates)
            raise RowError("missing-file", f"no such file: {tried}")
        paths[column] = found or token.candidates[0]
    return paths


def _read_lines(split_file: Path) -> list[str]:
    if not split_file.is_file():
        raise ThreeD60Error(f"{split_file}: no such split file")
    size = split_file.stat().st_size
    if size > MAX_SPLIT_BYTES:
        raise ThreeD60Error(f"{split_file}: {size} bytes is too large for a split file (limit "
                            f"{MAX_SPLIT_BYTES // 2**20} MiB)")
    try:
        return split_file.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as err:
        raise ThreeD60Error(f"{split_file}: not a UTF-8 text file (byte {err.start}); is it a split "
                            "file?") from None
    except OSError as err:
        raise ThreeD60Error(f"{split_file}: cannot read ({err.strerror})") from None


def read_split(split_file: Path | str, root: Path | str | None = None, mode: str = "supervised",
               datasets: tuple[str, ...] | None = None, skip_bad: bool = False,
               skipped_file: Path | str | None = None) -> ThreeD60Split:
    """Read a 3D60 split file in any published form (see the module docstring and `threed60_paths`).

    `root`: the data root (default: the split file's folder). `datasets`: keep rows of these data sets
    (canonical names); other rows are counted as `filtered_out` and their files are not looked up, so a
    partial download can be used with a filter. A row whose data set cannot be told from its folders is
    bad when `datasets` is given.
    """
    split_file = Path(split_file)
    root = split_file.parent if root is None else Path(root)
    required_columns(mode)
    if datasets is not None:
        unknown = [d for d in datasets if d not in DATASET_NAMES]
        if unknown:
            raise ThreeD60Error(f"unknown data set(s) {', '.join(unknown)}; expected some of "
                                f"{', '.join(DATASET_NAMES)}")
    if not root.is_dir():
        raise ThreeD60Error(f"{root}: data root is not a folder (for {split_file})")
    split = ThreeD60Split([], {}, [], split_file)
    for line_no, line in enumerate(_read_lines(split_file), start=1):
        tokens = line.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        try:
            parsed = parse_row(tokens, root)
            counters = split.stats.setdefault(parsed.dataset, empty_stats())
            if datasets is not None:
                if parsed.dataset == UNKNOWN_DATASET:
                    raise RowError("unknown-dataset", "cannot tell the data set from the folders (expected "
                                                      f"one of {', '.join(DATASET_NAMES)})")
                if parsed.dataset not in datasets:
                    counters["filtered_out"] += 1
                    continue
            paths = _locate(parsed, mode)
        except RowError as err:
            name = _guess_dataset(tokens)
            split.skipped.append(SkippedRow(split_file, line_no, err.kind, str(err), name))
            split.stats.setdefault(name, empty_stats())["skipped"] += 1
            continue
        counters["rows"] += 1
        counters["misspelled"] += int(parsed.variant == "misspelt")
        counters["alias"] += int(parsed.variant == "alias")
        split.rows.append(ThreeD60Row(paths, parsed.dataset, line_no, split_file))
    _report(split, skip_bad, None if skipped_file is None else Path(skipped_file))
    return split


def _report(split: ThreeD60Split, skip_bad: bool, skipped_file: Path | None) -> None:
    """Raise for bad rows (unless `skip_bad`) or an empty result; log the summary and the skipped rows."""
    bad = split.skipped
    if bad and not skip_bad:
        more = f" ({len(bad)} bad rows in all)" if len(bad) > 1 else ""
        raise ThreeD60Error(f"{bad[0]}{more}; pass --skip-bad (skip_bad=True) to skip bad rows, each "
                            "reported")
    if bad and skipped_file is not None:
        write_skipped(bad, skipped_file)
    if not split.rows:
        raise ThreeD60Error(f"no usable rows: {split.summary()}")
    if not bad:
        log.info("%s", split.summary())
        return
    log.warning("%s", split.summary())
    for row in bad[:SHOW_SKIPPED]:
        log.warning("  skipped %s", row)
    rest = f"all {len(bad)} in {skipped_file}" if skipped_file is not None else \
        "pass skipped_file= (--skipped-rows FILE) to write all of them to a file"
    log.warning("  %s%s", f"... {len(bad) - SHOW_SKIPPED} more; " if len(bad) > SHOW_SKIPPED else "", rest)


def write_skipped(rows: list[SkippedRow], path: Path) -> None:
    """One `file:line<TAB>reason<TAB>message` line per skipped row, written atomically."""
    from panoconv.io.atomic import atomic_file

    try:
        with atomic_file(path, "w") as f:
            f.write("# rows skipped by panoconv: file:line<TAB>reason<TAB>message\n")
            for row in rows:
                f.write(f"{row.where()}\t{row.reason}\t{row.message}\n")
    except OSError as err:
        raise ThreeD60Error(f"{path}: cannot write the skipped-rows file ({err.strerror})") from None
