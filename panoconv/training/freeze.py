"""`--freeze`: parameters that fine-tuning leaves exactly as they were loaded.

A pattern is a part name (`encoder`, `decoder`: every parameter under that module) or an fnmatch glob
over parameter names (`decoder.disp*`, `encoder.conv[1-3]*`). A frozen parameter gets
`requires_grad=False`, so it has no gradient and the optimiser never touches it: it stays bitwise equal
to the `--init` weights (a test proves it). A pattern that matches nothing is refused, since a typo would
otherwise silently train everything.
"""

from __future__ import annotations

import fnmatch
import logging

from torch import nn

from panoconv.training.config import ConfigError

log = logging.getLogger(__name__)


def _parts(names: list[str]) -> list[str]:
    """Top-level module names (`encoder`, `decoder`, ...) in model order, for the error message."""
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(name.split(".", 1)[0], None)
    return list(seen)


def matching(names: list[str], pattern: str) -> list[str]:
    """Parameter names a pattern selects: a module prefix (`encoder` -> `encoder.*`) or a glob."""
    prefix = pattern.rstrip(".") + "."
    return [n for n in names if n.startswith(prefix) or n == pattern or fnmatch.fnmatchcase(n, pattern)]


def freeze(model: nn.Module, patterns: tuple[str, ...] | list[str]) -> list[str]:
    """Set `requires_grad=False` on every parameter a pattern selects; returns the frozen names.

    Raises `ConfigError` (one line, naming the model's parts) for a pattern that selects nothing, and
    when the patterns together freeze every parameter (nothing would be trained).
    """
    if not patterns:
        return []
    params = dict(model.named_parameters())
    names = list(params)
    chosen: dict[str, None] = {}
    for pattern in patterns:
        hits = matching(names, pattern)
        if not hits:
            what = getattr(model, "arch_name", "the model")
            raise ConfigError(f"--freeze {pattern!r} matches no parameter of {what}; its parts are "
                              f"{', '.join(_parts(names))}, or give a glob over parameter names such as "
                              f"'{names[0].rsplit('.', 1)[0]}.*'")
        chosen.update(dict.fromkeys(hits))
    if len(chosen) == len(names):
        raise ConfigError(f"--freeze {' '.join(patterns)} freezes every parameter; nothing would be trained")
    for name in chosen:
        params[name].requires_grad_(False)
    count = sum(params[n].numel() for n in chosen)
    log.info("frozen: %d tensors (%d parameters) by --freeze %s", len(chosen), count, " ".join(patterns))
    return list(chosen)
