"""`panoconv verify network | loss | pipeline CHECKPOINT`: prove the PyTorch side computes what the
TensorFlow reference does. `panoconv verify CHECKPOINT ...` (no subcommand) is the network check."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from panoconv.commands._options import arch_option, resample_option
from panoconv.geometry.constants import KITTI_FOV_DEG

if TYPE_CHECKING:
    from panoconv.arch import ArchCard

_DTYPES = {"float32": ("float32",), "float64": ("float64",), "both": ("float32", "float64")}
#: The pre-group mode flags: `verify CKPT --loss` still runs `verify loss CKPT`, with a notice.
_OLD_MODE_FLAGS = {"--loss": "loss", "--pipeline": "pipeline"}
_OLD_FLAG_KEY = "panoconv.verify.old_flag"


class VerifyGroup(click.Group):
    """A group whose first word may be the checkpoint: `verify CKPT --tol 1e-6` runs `verify network`
    (README, demo and users call it so), and `verify CKPT --loss` / `--pipeline` run those subcommands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            modes = [flag for flag in _OLD_MODE_FLAGS if flag in args]
            if len(modes) > 1:
                raise click.UsageError("--loss and --pipeline are separate checks; give one "
                                       "(`verify loss` or `verify pipeline`)", ctx)
            if modes:
                # the notice waits until the options parsed, so a usage error stays one line
                ctx.meta[_OLD_FLAG_KEY] = modes[0]
                args = [_OLD_MODE_FLAGS[modes[0]], *(a for a in args if a != modes[0])]
            else:
                args = ["network", *args]
        return super().parse_args(ctx, args)


def _old_flag_notice(ctx: click.Context, sub: str) -> None:
    flag = ctx.meta.get(_OLD_FLAG_KEY)
    if flag:
        click.echo(f"note: `verify CHECKPOINT {flag}` is deprecated; use `panoconv verify {sub} CHECKPOINT`",
                   err=True)


def _common(func: Callable) -> Callable:
    """CHECKPOINT, --arch, --dtype, --seed and --json: what every check takes."""
    for decorator in reversed([
        click.argument("checkpoint", type=click.Path(path_type=Path)),
        arch_option("Architecture [default: detected from the checkpoint's tensor names and shapes]."),
        click.option("--dtype", "dtype", type=click.Choice(list(_DTYPES)), default="both", show_default=True),
        click.option("--seed", default=0, show_default=True, help="Seed for the random inputs."),
        click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report on stdout."),
    ]):
        func = decorator(func)
    return func


def _size(func: Callable) -> Callable:
    func = click.option("--width", default=512, show_default=True)(func)
    return click.option("--height", default=256, show_default=True)(func)


def _checked_card(checkpoint: Path, arch: str | None, images: tuple[Path, ...] = (),
                  pairs: tuple[tuple[Path, Path], ...] = ()) -> ArchCard:
    """Everything the user can get wrong, checked before TensorFlow and torch are imported (seconds)."""
    from panoconv.converter.cards import resolve_card
    from panoconv.converter.sources import open_source
    from panoconv.io.paths import existing_file

    card = resolve_card(open_source(checkpoint), arch)
    card.check_inputs(bool(images), bool(pairs))
    for image in [*images, *(p for pair in pairs for p in pair)]:
        existing_file(image, "image")
    return card


def _finish(ctx: click.Context, text: str, passed: bool) -> None:
    click.echo(text)
    ctx.exit(0 if passed else 1)


@click.group("verify", cls=VerifyGroup)
def command() -> None:
    """Run the TF reference (restored by TensorFlow itself) and the PyTorch side on identical inputs.

    `verify CHECKPOINT [options]` without a subcommand is `verify network CHECKPOINT [options]`.
    """


@command.command("network")
@_common
@click.option("--weights", type=click.Path(path_type=Path),
              help="Converted weights (default: convert in memory).")
@click.option("--tol", default=1e-6, show_default=True, type=click.FloatRange(min=0),
              help="Pass when every output's MSE <= tol.")
@click.option("--image", "images", multiple=True, type=click.Path(path_type=Path),
              help="Also feed this image.")
@click.option("--pair", "pairs", nargs=2, multiple=True, type=click.Path(path_type=Path),
              metavar="LEFT RIGHT", help="Stereo networks: also feed this left/right pair.")
@_size
@click.option("--ring-pad", is_flag=True, help="Ring padding on both sides (panorama mode).")
@click.option("--random-images", default=1, show_default=True, type=click.IntRange(min=0),
              help="How many seeded random inputs.")
@click.option("--layers/--no-layers", default=True, show_default=True, help="Print the per-layer table.")
@click.option("--report", "report_dir", type=click.Path(path_type=Path), help="Write report.md + plot here.")
@click.option("--plot-metric", type=click.Choice(["mse", "max_abs", "max_rel"]), default="mse",
              show_default=True,
              help="What the --report plot shows per layer: mse (with the --tol line), max_abs, or max_rel "
              "(relative to the reference's largest magnitude).")
@click.option("--precision", type=click.Choice(["fp32", "bf16"]), default="fp32", show_default=True,
              help="Run PyTorch under this autocast precision and report its error vs float32 TF per output "
              "and per layer, plus the change in evaluation metrics on a small synthetic set.")
@click.option("--exported", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="Compare this `panoconv export` file (ONNX or TorchScript) with TF instead (float32, "
              "outputs).")
@click.pass_context
def network(ctx: click.Context, checkpoint: Path, arch: str | None, dtype: str, seed: int, as_json: bool,
            weights: Path | None, tol: float, images: tuple[Path, ...], pairs: tuple[tuple[Path, Path], ...],
            height: int, width: int, ring_pad: bool, random_images: int, layers: bool,
            report_dir: Path | None, plot_metric: str, precision: str, exported: Path | None) -> None:
    """The network: MSE, max abs and max relative error per output and per layer, TF vs PyTorch.
    Exit 0 only if every output's MSE <= --tol."""
    from panoconv.io.paths import weights_file

    card = _checked_card(checkpoint, arch, images, pairs)
    weights = weights_file(weights, "--weights") if weights is not None else None
    card.check_size(height, width)
    from panoconv.parity.network import VerifyRequest, run_network_parity
    from panoconv.parity.report import to_json, to_table, write_markdown

    request = VerifyRequest(checkpoint, weights=weights, tol=tol, dtypes=_DTYPES[dtype], height=height,
                            width=width, ring_pad=ring_pad, images=tuple(images),
                            random_images=random_images, seed=seed, arch=arch, pairs=tuple(pairs),
                            precision=precision, exported=exported)
    report = run_network_parity(request, card=card)
    if report_dir is not None:
        written = write_markdown(report, report_dir, plot_metric)
        click.echo(f"report written to {written}", err=True)
    text = json.dumps(to_json(report), indent=2) if as_json else to_table(report, with_layers=layers)
    _finish(ctx, text, report.passed)


@command.command("loss")
@_common
@_size
@click.option("--warp", type=click.Choice(["rectilinear", "equirectangular"]), default="rectilinear",
              show_default=True, help="The warp of the stereo reconstruction.")
@click.option("--fov", default=KITTI_FOV_DEG, show_default=True,
              help="With --warp equirectangular: fov in degrees.")
@click.option("--batch", default=2, show_default=True, type=click.IntRange(min=1),
              help="Stereo pairs per batch.")
@click.option("--adam-steps", default=5, show_default=True, type=click.IntRange(min=0),
              help="Optimiser steps to compare.")
@click.pass_context
def loss(ctx: click.Context, checkpoint: Path, arch: str | None, dtype: str, seed: int, as_json: bool,
         height: int, width: int, warp: str, fov: float, batch: int, adam_steps: int) -> None:
    """The monodepth training loss: each term, the gradient of every parameter and the weights after
    --adam-steps Adam steps, TF vs PyTorch."""
    _old_flag_notice(ctx, "loss")
    from panoconv.errors import PanoconvError

    card = _checked_card(checkpoint, arch)
    if not card.tf_born or card.task != "stereo":
        raise PanoconvError(f"{checkpoint}: verify loss compares monodepth networks; this is a {card.name}")
    card.check_size(height, width)
    from panoconv.parity.loss import LossParityRequest, run_loss_parity
    from panoconv.parity.weights import tf_reference_weights

    report = run_loss_parity(LossParityRequest(weights=tf_reference_weights(checkpoint, card), warp=warp,
                                               fov=fov, dtypes=_DTYPES[dtype], height=height, width=width,
                                               batch=batch, seed=seed, adam_steps=adam_steps, arch=card.name))
    _finish(ctx, report.to_json() if as_json else report.to_table(), report.passed)


@command.command("pipeline")
@_common
@click.option("--image", "images", multiple=True, type=click.Path(path_type=Path),
              help="A 2:1 panorama (default: a seeded synthetic one).")
@resample_option()
@click.option("--net-width", default=1024, show_default=True, type=int, help="Network width.")
@click.pass_context
def pipeline(ctx: click.Context, checkpoint: Path, arch: str | None, dtype: str, seed: int, as_json: bool,
             images: tuple[Path, ...], resample: str, net_width: int) -> None:
    """The whole `predict --camera equirectangular` pipeline on a panorama, stage by stage: pre-processing,
    network, flip averaging and resizing back (with --resample upstream: TF side resized by Pillow itself,
    upstream's library)."""
    _old_flag_notice(ctx, "pipeline")
    from panoconv.arch import DEFAULT_ARCH
    from panoconv.errors import PanoconvError

    card = _checked_card(checkpoint, arch, images)
    if len(images) > 1:
        raise click.UsageError("verify pipeline takes one --image (a 2:1 panorama)")
    if card.name != DEFAULT_ARCH:
        raise PanoconvError(f"{checkpoint}: verify pipeline compares {DEFAULT_ARCH} only; "
                            f"this is a {card.name}")
    from panoconv.inference.layout import PanoramaLayout
    from panoconv.parity.pipeline import PipelineParityRequest, run_pipeline_parity
    from panoconv.parity.weights import tf_reference_weights

    layout = PanoramaLayout(net_width=net_width, resample=resample)  # type: ignore[arg-type]
    report = run_pipeline_parity(PipelineParityRequest(weights=tf_reference_weights(checkpoint),
                                                       image=images[0] if images else None,
                                                       dtypes=_DTYPES[dtype], seed=seed, layout=layout))
    _finish(ctx, report.to_json() if as_json else report.to_table(), report.passed)
