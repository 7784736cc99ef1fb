"""Options shared by several commands."""

from __future__ import annotations

from typing import Any, Callable

import click

from panoconv.arch import list_cards


def arch_option(help: str, default: str | None = None, **kwargs: Any) -> Callable:
    """`--arch NAME`, a choice among the registered cards: a typo is a usage error listing them (exit 2)."""
    return click.option(
        "--arch",
        "arch",
        type=click.Choice(list_cards()),
        default=default,
        show_default=default is not None,
        help=help,
        **kwargs,
    )
