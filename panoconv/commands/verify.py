"""`panoconv verify CHECKPOINT`: prove the PyTorch model computes what the TensorFlow reference does."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

_DTYPES = {"float32": ("float32",), "float64": ("float64",), "both": ("float32", "float64")}


@click.command("verify")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.option("--weights", type=click.Path(path_type=Path), help="Converted weights (default: convert in memory).")
@click.option("--tol", default=1e-6, show_default=True, help="Pass when every output's MSE <= tol.")
@click.option("--dtype", "dtype", type=click.Choice(list(_DTYPES)), default="both", show_default=True)
@click.option("--image", "images", multiple=True, type=click.Path(path_type=Path), help="Also feed this image.")
@click.option("--height", default=256, show_default=True)
@click.option("--width", default=512, show_default=True)
@click.option("--ring-pad", is_flag=True, help="Ring padding on both sides (panorama mode).")
@click.option("--seed", default=0, show_default=True, help="Seed for the random input images.")
@click.option("--random-images", default=1, show_default=True, help="How many seeded random inputs.")
@click.option("--layers/--no-layers", default=True, show_default=True, help="Print the per-layer table.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report on stdout.")
@click.option("--report", "report_dir", type=click.Path(path_type=Path), help="Write report.md + plot here.")
def command(checkpoint: Path, weights: Path | None, tol: float, dtype: str, images: tuple[Path, ...], height: int,
            width: int, ring_pad: bool, seed: int, random_images: int, layers: bool, as_json: bool,
            report_dir: Path | None) -> None:
    """Run the TF reference (restored by TensorFlow itself) and the PyTorch model on identical inputs;
    report MSE, max abs and max relative error per output and per layer. Exit 0 only if every output's
    MSE <= --tol."""
    from panoconv.parity.network import VerifyRequest, run_network_parity
    from panoconv.parity.report import to_json, to_table, write_markdown

    request = VerifyRequest(checkpoint, weights, tol, _DTYPES[dtype], height, width, ring_pad, tuple(images),
                            random_images, seed)
    report = run_network_parity(request)
    if report_dir is not None:
        written = write_markdown(report, report_dir)
        click.echo(f"report written to {written}", err=True)
    if as_json:
        click.echo(json.dumps(to_json(report), indent=2))
    else:
        click.echo(to_table(report, with_layers=layers))
    sys.exit(0 if report.passed else 1)
