"""Progress on long work, on stderr: a tqdm bar on a terminal, plain lines otherwise, nothing under `-q`.

`progress(...)` stands in for `tqdm(...)` in loops (images, scenes, bytes); `Stages` logs the named steps
of work that has no loop to count (verify's TensorFlow and PyTorch runs, make-checkpoint). Both speak
through logging at INFO, so the CLI's `-q` (WARNING) silences them and library callers stay quiet unless
they configure logging.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

log = logging.getLogger("panoconv.progress")
#: Plain-line progress (not a terminal) reports at most this often, plus once at the end.
PLAIN_EVERY_S = 10.0


def _wanted() -> bool:
    return log.isEnabledFor(logging.INFO)


def _is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class PlainProgress:
    """The part of tqdm's interface panoconv uses, reporting `desc: n/total unit (p%), t s` lines."""

    def __init__(self, iterable: Iterable | None = None, total: float | None = None, desc: str = "",
                 unit: str = "it", enabled: bool = True, every_s: float = PLAIN_EVERY_S, initial: float = 0,
                 **_: Any) -> None:
        self.iterable, self.desc, self.unit = iterable, desc, unit
        self.enabled, self.every_s = enabled, every_s
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)  # type: ignore[arg-type]
        self.total, self.n, self.first, self.postfix = total, initial, initial, ""
        self.start = self.last = time.perf_counter()
        self.closed = False

    def _line(self) -> str:
        elapsed = time.perf_counter() - self.start
        scale, unit = (2.0 ** 20, "MiB") if self.unit == "B" else (1.0, self.unit)
        of = f"/{self.total / scale:.6g}" if self.total else ""
        pct = f" ({100.0 * self.n / self.total:.0f}%)" if self.total else ""
        moving = elapsed > 0 and self.n > self.first
        rate = f", {(self.n - self.first) / elapsed:.3g} {unit}/s" if moving else ""
        return f"{self.desc}: {self.n / scale:.6g}{of} {unit}{pct}, {elapsed:.1f} s{rate}{self.postfix}"

    def update(self, n: float = 1) -> None:
        self.n += n
        now = time.perf_counter()
        if self.enabled and now - self.last >= self.every_s:
            self.last = now
            log.info("%s", self._line())

    def set_postfix(self, refresh: bool = True, **values: Any) -> None:
        self.postfix = "".join(f", {k}={v}" for k, v in values.items())

    def close(self) -> None:
        if not self.closed and self.enabled and self.n > self.first:
            log.info("%s", self._line())
        self.closed = True

    def __iter__(self) -> Iterator:
        assert self.iterable is not None
        for item in self.iterable:
            yield item
            self.update(1)
        self.close()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress(iterable: Iterable | None = None, *, total: float | None = None, desc: str = "",
             unit: str = "it", enabled: bool = True, **tqdm_kwargs: Any) -> Any:
    """tqdm on a terminal, `PlainProgress` lines when stderr is not one, silent if not `enabled` or -q."""
    on = enabled and _wanted()
    if on and _is_tty():
        from tqdm import tqdm

        return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, **tqdm_kwargs)
    return PlainProgress(iterable, total=total, desc=desc, unit=unit, enabled=on)


class Stages:
    """Named steps of one long command: `stages.step("TensorFlow reference, float64")` logs
    `verify: TensorFlow reference, float64 (at 3.2 s)`; `done()` logs the total time."""

    def __init__(self, name: str) -> None:
        self.name, self.start = name, time.perf_counter()

    def step(self, what: str) -> None:
        log.info("%s: %s (at %.1f s)", self.name, what, time.perf_counter() - self.start)

    def done(self, what: str = "done") -> None:
        log.info("%s: %s in %.1f s", self.name, what, time.perf_counter() - self.start)
