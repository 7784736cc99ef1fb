"""`panoconv compare PREDICTION REFERENCE`: a prediction against an output of upstream's inference script."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("compare")
@click.argument("prediction", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.argument("reference", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--cmap", default="viridis", show_default=True,
              help="Colour map of a PNG reference (upstream's monodepth_simple.py uses viridis).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
def command(prediction: Path, reference: Path, cmap: str, as_json: bool) -> None:
    """Compare PREDICTION (a `predict` .npy: _disp or _upstream) with REFERENCE, upstream's saved .npy
    (pointwise, after a fitted scale) or its colour-mapped PNG (colour levels of the min..max-normalised
    map). Exit 0 when they agree (PNG: >= 99% of pixels within one colour level; npy: max relative
    difference <= 1e-3), else 1."""
    from panoconv.parity.upstream_output import compare_with_upstream

    result = compare_with_upstream(prediction, reference, cmap)
    click.echo(result.to_json() if as_json else result.to_text())
    sys.exit(0 if result.passed else 1)
