"""`panoconv export WEIGHTS --format onnx|torchscript -o FILE` (thin shell over `panoconv.export`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from panoconv.commands._options import arch_option


@click.command("export")
@click.argument("weights", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["onnx", "torchscript"]), default="onnx",
              show_default=True)
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The exported file.")
@click.option("--height", type=int, default=None,
              help="Example input height traced [default: the network's predict size]; the exported graph "
              "takes any multiple of the size multiple unless the network is fixed-size.")
@click.option("--width", type=int, default=None, help="Example input width [default: the predict size].")
@click.option("--ring-pad/--no-ring-pad", default=None,
              help="Ring padding baked into the graph (panoramas) [default: as recorded in the weights].")
@arch_option("Architecture [default: recorded in the weights, else detected from them].")
@click.option("--force", is_flag=True, help="Overwrite FILE.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
def command(weights: Path, fmt: str, out: Path, height: int | None, width: int | None, ring_pad: bool | None,
            arch: str | None, force: bool, as_json: bool) -> None:
    """Export converted WEIGHTS to ONNX (run with onnxruntime) or TorchScript; the file is checked against
    the PyTorch model before it is written. Compare it with TensorFlow: `panoconv verify CKPT --exported
    FILE`."""
    from panoconv.export import ExportRequest, export

    result = export(ExportRequest(weights, out, format=fmt, height=height, width=width, ring_pad=ring_pad,
                                  arch=arch, force=force))
    if as_json:
        click.echo(json.dumps({"path": str(result.path), "meta": json.loads(result.meta.to_json()),
                               "max_abs_diff_vs_pytorch": result.max_abs_diff}, indent=2))
    else:
        click.echo(str(result.path))
