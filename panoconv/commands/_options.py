"""Options shared by several commands."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

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


class RangeType(click.ParamType):
    """`LO,HI` -> (lo, hi) floats with LO < HI, or `auto` -> None; bad text is a usage error (exit 2)."""

    name = "LO,HI|auto"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value is None or isinstance(value, tuple):
            return value
        text = str(value).strip()
        if text.lower() == "auto":
            return None
        try:
            low, high = (float(v) for v in text.split(","))
        except ValueError:
            self.fail(f"takes LO,HI (two numbers, e.g. 0,0.3) or auto, got {text!r}", param, ctx)
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            self.fail(f"needs finite LO < HI, got {text!r}", param, ctx)
        return low, high


def range_option(help: str) -> Callable:
    """`--range LO,HI|auto` for colour-mapped pictures."""
    return click.option("--range", "value_range", type=RangeType(), default="auto", show_default=True,
                        help=help)


def max_pixels_option() -> Callable:
    """`--max-pixels N`: images whose header declares more pixels are refused before any decoding."""
    from panoconv.io.images import DEFAULT_MAX_PIXELS

    return click.option("--max-pixels", type=click.IntRange(min=1), default=DEFAULT_MAX_PIXELS,
                        show_default=True,
                        help="Refuse images larger than this many pixels (read from the header, before "
                        "decoding).")


def resample_option(**kwargs: Any) -> Callable:
    """`--resample float|upstream`: the resizes of the predict layout (see README, "Reproducing upstream")."""
    return click.option(
        "--resample",
        type=click.Choice(["float", "upstream"]),
        default="float",
        show_default=True,
        help="Image/disparity resizes: float Lanczos-3 in and anti-aliased bilinear back, or upstream's "
        "8-bit Pillow Lanczos in (uint8 after each pass) and cv2 bilinear back.",
        **kwargs,
    )


def precision_option(help: str = "Compute precision: fp32, bf16 (bfloat16 autocast, CPU or CUDA) or fp16 "
                     "(CUDA only).") -> Callable:
    """`--precision fp32|bf16|fp16` (what each runs on: `panoconv.runtime`)."""
    from panoconv.precision import PRECISIONS

    return click.option("--precision", type=click.Choice(PRECISIONS), default="fp32", show_default=True,
                        help=help)


def device_option(help: str = "cpu, cuda, cuda:N or auto (CUDA when present).") -> Callable:
    """`--device`; a CUDA device without CUDA is refused in one line by `panoconv.runtime.resolve_device`."""
    return click.option("--device", default="cpu", show_default=True, help=help)
