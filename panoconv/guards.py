"""Shape and size guards shared by the models, losses, warps, export and pipeline.

One message form everywhere, so a user learns it once: `<where>: expected <what>, got shape (...)` and
`<where>: height and width must be positive multiples of M, got HxW (e.g. H'xW')`. A leaf module: it imports
only `panoconv.errors`, so any layer may use it.
"""

from __future__ import annotations

from collections.abc import Sequence

from panoconv.errors import InputShapeError, PanoconvError


def _prefix(where: str | None) -> str:
    return f"{where}: " if where else ""


def _shape(shape: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(s) for s in shape)


def check_shape(shape: Sequence[int], pattern: Sequence[int | None], what: str, where: str | None = None,
                hint: str = "") -> None:
    """Raise `InputShapeError` unless `shape` has len(pattern) dimensions, each equal to the pattern's
    int (None: any size). `what` names the expected form, e.g. "an image batch, N x 3 x H x W"."""
    got = _shape(shape)
    if len(got) != len(pattern) or any(p is not None and g != p for g, p in zip(got, pattern)):
        tail = f"; {hint}" if hint else ""
        raise InputShapeError(f"{_prefix(where)}expected {what}, got shape {got}{tail}")


def check_same_shape(a: Sequence[int], b: Sequence[int], what: str, rank: int = 4,
                     where: str | None = None) -> None:
    """Raise `InputShapeError` unless `a` and `b` are one shape of `rank` dimensions."""
    ta, tb = _shape(a), _shape(b)
    if len(ta) != rank or ta != tb:
        raise InputShapeError(f"{_prefix(where)}expected {what} of one shape, got {ta} and {tb}")


def suggest_size(height: int, width: int, multiple: int) -> str:
    """The nearest size of positive multiples of `multiple`, as "HxW" (for "e.g." hints)."""
    m = multiple
    return f"{max(m, round(height / m) * m)}x{max(m, round(width / m) * m)}"


def fits_multiple(height: int, width: int, multiple: int) -> bool:
    """True when both sides are positive multiples of `multiple`."""
    return height > 0 and width > 0 and not height % multiple and not width % multiple


def check_size_multiple(height: int, width: int, multiple: int, where: str | None = None, advice: str = "",
                        error: type[PanoconvError] = InputShapeError) -> None:
    """Raise `error` (one line) unless height and width are positive multiples of `multiple`; the message
    suggests the nearest size that works, then `advice` (e.g. "; resize or pad to it")."""
    h, w = int(height), int(width)
    if not fits_multiple(h, w, multiple):
        raise error(f"{_prefix(where)}height and width must be positive multiples of {multiple}, got {h}x{w} "
                    f"(e.g. {suggest_size(h, w, multiple)}){advice}")
