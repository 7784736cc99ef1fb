"""`panoconv verify CHECKPOINT`: prove the PyTorch model computes what the TensorFlow reference does."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from panoconv.commands._options import arch_option, resample_option
from panoconv.geometry.constants import KITTI_FOV_DEG

if TYPE_CHECKING:
    from panoconv.arch import ArchCard

_DTYPES = {"float32": ("float32",), "float64": ("float64",), "both": ("float32", "float64")}


@click.command("verify")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.option("--weights", type=click.Path(path_type=Path),
              help="Converted weights (default: convert in memory).")
@click.option("--tol", default=1e-6, show_default=True, type=click.FloatRange(min=0),
              help="Pass when every output's MSE <= tol.")
@click.option("--dtype", "dtype", type=click.Choice(list(_DTYPES)), default="both", show_default=True)
@click.option("--image", "images", multiple=True, type=click.Path(path_type=Path),
              help="Also feed this image.")
@click.option("--pair", "pairs", nargs=2, multiple=True, type=click.Path(path_type=Path),
              metavar="LEFT RIGHT", help="Stereo networks: also feed this left/right pair.")
@arch_option("Architecture [default: detected from the checkpoint's tensor names and shapes].")
@click.option("--height", default=256, show_default=True)
@click.option("--width", default=512, show_default=True)
@click.option("--ring-pad", is_flag=True, help="Ring padding on both sides (panorama mode).")
@click.option("--seed", default=0, show_default=True, help="Seed for the random input images.")
@click.option("--random-images", default=1, show_default=True, type=click.IntRange(min=0),
              help="How many seeded random inputs.")
@click.option("--layers/--no-layers", default=True, show_default=True, help="Print the per-layer table.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report on stdout.")
@click.option("--report", "report_dir", type=click.Path(path_type=Path), help="Write report.md + plot here.")
@click.option("--plot-metric", type=click.Choice(["mse", "max_abs", "max_rel"]), default="mse",
              show_default=True,
              help="What the --report plot shows per layer: mse (with the --tol line), max_abs, or max_rel "
              "(relative to the reference's range).")
@click.option("--loss", "loss_mode", is_flag=True,
              help="Instead: compare the training loss terms, every gradient and N Adam steps.")
@click.option("--warp", type=click.Choice(["rectilinear", "equirectangular"]), default="rectilinear",
              show_default=True, help="With --loss: the warp of the stereo reconstruction.")
@click.option("--fov", default=KITTI_FOV_DEG, show_default=True,
              help="With --loss --warp equirectangular: fov in degrees.")
@click.option("--batch", default=2, show_default=True, type=click.IntRange(min=1),
              help="With --loss: stereo pairs per batch.")
@click.option("--adam-steps", default=5, show_default=True, type=click.IntRange(min=0),
              help="With --loss: optimiser steps to compare.")
@click.option("--precision", type=click.Choice(["fp32", "bf16"]), default="fp32", show_default=True,
              help="Run PyTorch under this autocast precision and report its error vs float32 TF per output "
              "and per layer, plus the change in evaluation metrics on a small synthetic set.")
@click.option("--exported", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="Compare this `panoconv export` file (ONNX or TorchScript) with TF instead (float32, "
                   "outputs).")
@click.option("--pipeline", "pipeline_mode", is_flag=True,
              help="Instead: compare the whole predict pipeline on a panorama (--image, else a seeded one).")
@resample_option()
@click.option("--net-width", default=1024, show_default=True, type=int,
              help="With --pipeline: network width.")
def command(checkpoint: Path, weights: Path | None, tol: float, dtype: str, images: tuple[Path, ...],
            pairs: tuple[tuple[Path, Path], ...], arch: str | None, height: int,
            width: int, ring_pad: bool, seed: int, random_images: int, layers: bool, as_json: bool,
            report_dir: Path | None, plot_metric: str, loss_mode: bool, warp: str, fov: float, batch: int,
            adam_steps: int, precision: str, exported: Path | None, pipeline_mode: bool, resample: str,
            net_width: int) -> None:
    """Run the TF reference (restored by TensorFlow itself) and the PyTorch model on identical inputs;
    report MSE, max abs and max relative error per output and per layer. Exit 0 only if every output's
    MSE <= --tol.

    With --loss: the monodepth training loss, each term, the gradient of every parameter and the
    weights after --adam-steps Adam steps, TF vs PyTorch. With --pipeline: pre-processing, network,
    flip averaging and resizing back of `predict --camera equirectangular`, stage by stage (with
    --resample upstream: TF side resized by Pillow itself, upstream's library).
    """
    if loss_mode and pipeline_mode:
        raise click.UsageError("--loss and --pipeline are separate checks; give one")
    # Everything the user can get wrong is checked before TensorFlow and torch are imported (seconds).
    from panoconv.converter.cards import resolve_card
    from panoconv.converter.sources import open_source
    from panoconv.io.paths import existing_file, weights_file

    card = resolve_card(open_source(checkpoint), arch)
    weights = weights_file(weights, "--weights") if weights is not None else None
    card.check_inputs(bool(images), bool(pairs))
    for image in [*images, *(p for pair in pairs for p in pair)]:
        existing_file(image, "image")
    if loss_mode:
        _verify_loss(checkpoint, card, _DTYPES[dtype], height, width, warp, fov, batch, seed, adam_steps,
                     as_json)
    if pipeline_mode:
        _verify_pipeline(checkpoint, card, _DTYPES[dtype], images, seed, as_json, resample, net_width)
    card.check_size(height, width)
    from panoconv.parity.network import VerifyRequest, run_network_parity
    from panoconv.parity.report import to_json, to_table, write_markdown

    request = VerifyRequest(checkpoint, weights, tol, _DTYPES[dtype], height, width, ring_pad, tuple(images),
                            random_images, seed, arch, tuple(pairs), precision, exported)
    report = run_network_parity(request, card=card)
    if report_dir is not None:
        written = write_markdown(report, report_dir, plot_metric)
        click.echo(f"report written to {written}", err=True)
    if as_json:
        click.echo(json.dumps(to_json(report), indent=2))
    else:
        click.echo(to_table(report, with_layers=layers))
    sys.exit(0 if report.passed else 1)


def _verify_loss(checkpoint: Path, card: ArchCard, dtypes: tuple[str, ...], height: int, width: int,
                 warp: str, fov: float, batch: int, seed: int, adam_steps: int, as_json: bool) -> None:
    from panoconv.errors import PanoconvError

    if not card.tf_born or card.task != "stereo":
        raise PanoconvError(f"{checkpoint}: --loss compares monodepth networks; this is a {card.name}")
    card.check_size(height, width)
    from panoconv.parity.loss import LossParityRequest, run_loss_parity
    from panoconv.parity.weights import tf_reference_weights

    report = run_loss_parity(LossParityRequest(tf_reference_weights(checkpoint, card), warp, fov, dtypes,
                                               height, width, batch, seed, adam_steps, arch=card.name))
    click.echo(report.to_json() if as_json else report.to_table())
    sys.exit(0 if report.passed else 1)


def _require_default_card(checkpoint: Path, card: ArchCard, mode: str) -> None:
    """--pipeline compares the monodepth-vgg network only (so far): refuse other cards in one line."""
    from panoconv.arch import DEFAULT_ARCH
    from panoconv.errors import PanoconvError

    if card.name != DEFAULT_ARCH:
        raise PanoconvError(f"{checkpoint}: {mode} compares {DEFAULT_ARCH} only; this is a {card.name}")


def _verify_pipeline(checkpoint: Path, card: ArchCard, dtypes: tuple[str, ...], images: tuple[Path, ...],
                     seed: int, as_json: bool, resample: str, net_width: int) -> None:
    if len(images) > 1:
        raise click.UsageError("--pipeline takes one --image (a 2:1 panorama)")
    _require_default_card(checkpoint, card, "--pipeline")
    from panoconv.inference.recipe import PanoramaRecipe
    from panoconv.parity.pipeline import PipelineParityRequest, run_pipeline_parity
    from panoconv.parity.weights import tf_reference_weights

    recipe = PanoramaRecipe(net_width=net_width, resample=resample)  # type: ignore[arg-type]
    report = run_pipeline_parity(PipelineParityRequest(weights=tf_reference_weights(checkpoint),
                                                       image=images[0] if images else None, dtypes=dtypes,
                                                       seed=seed, recipe=recipe))
    click.echo(report.to_json() if as_json else report.to_table())
    sys.exit(0 if report.passed else 1)
