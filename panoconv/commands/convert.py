"""`panoconv convert SOURCE -o OUT`: TF store or checkpoint -> PyTorch weights."""

from __future__ import annotations

import json
from pathlib import Path

import click

from panoconv.commands._options import arch_option


@click.command("convert")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), required=True,
              help="Output weights: .safetensors (default choice, with provenance metadata) or .pt.")
@arch_option("Target architecture [default: detected from the source's tensor names and shapes].")
@click.option("--ring-pad", is_flag=True, help="Record ring padding as the model's default (panoramas).")
@click.option("--allow-missing", is_flag=True,
              help="Write even if tensors are missing, unexpected or mismatched (they are listed).")
@click.option("--input-order", type=click.Choice(["rgb", "bgr"]), default=None,
              help="PyTorch checkpoints: the channel order the weights expect, recorded for predict "
              "[default: the source project's, e.g. rgb for OmniDepth-PyTorch].")
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the coverage report as JSON.")
def command(source: Path, out: Path, arch: str | None, ring_pad: bool, allow_missing: bool,
            input_order: str | None, force: bool, as_json: bool) -> None:
    """Map SOURCE (an `extract` store, the earlier port's numpy folder, a TF checkpoint, or another
    project's PyTorch .pth such as OmniDepth-PyTorch's) onto the PyTorch model. Strict: every parameter
    filled exactly once and every model tensor used."""
    from panoconv.errors import PanoconvError
    from panoconv.io.paths import WEIGHT_SUFFIXES
    from panoconv.readers.locate import locate

    if not source.exists():
        locate(source)  # a TF prefix (model-180000) names no file itself; else one line, before torch loads
    if out.suffix.lower() not in WEIGHT_SUFFIXES:
        raise PanoconvError(f"{out}: unknown weights format; name it .safetensors (recommended) or .pt")
    from panoconv.converter.convert import ConvertRequest, convert

    result = convert(ConvertRequest(source, out, architecture=arch, ring_pad=ring_pad,
                                    allow_missing=allow_missing, force=force, input_order=input_order))
    report = result.report
    if as_json:
        click.echo(json.dumps({"out": str(out), "source_kind": result.source.kind,
                               "architecture": result.card.name, **report.as_dict()}, indent=2))
        return
    click.echo(f"source      {result.source.path} ({result.source.kind})")
    click.echo(f"arch        {result.card.name}" + ("" if arch else " (detected)"))
    click.echo(f"filled      {len(report.filled)} parameters"
               + (f" ({len(report.reshaped_legacy)} reshaped from the flattened layout)"
                  if report.reshaped_legacy else ""))
    click.echo(f"skipped     {len(report.skipped_optimizer)} optimizer tensors")
    if not report.ok:
        click.echo(f"INCOMPLETE  {report.problems()}", err=True)
    click.echo(f"wrote       {out}")
