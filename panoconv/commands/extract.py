"""`panoconv extract`: checkpoint -> raw-numpy weight store (folder of .npy, .npz or .h5) + manifest."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click


@click.command("extract")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path), help="Output folder or file.")
@click.option("--format", "fmt", type=click.Choice(["folder", "npz", "h5"]), default="folder",
              show_default=True, help="One .npy per variable (folder) or a single .npz / .h5 file.")
@click.option("--include-optimizer", is_flag=True,
              help="Also write Adam slots, beta powers and step counters.")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def command(checkpoint: Path, out: Path, fmt: str, include_optimizer: bool, force: bool,
            as_json: bool) -> None:
    """Copy CHECKPOINT's variables (TF1/TF2 prefix, file or folder; Keras .h5) into OUT, verified."""
    from panoconv.readers.locate import locate

    locate(checkpoint)  # a missing or wrong path fails here, before torch is imported
    from panoconv.weights.extract import ExtractRequest, extract

    show_progress = not as_json and logging.getLogger().isEnabledFor(logging.INFO)  # off under -q
    manifest = extract(ExtractRequest(checkpoint, out, format=fmt, include_optimizer=include_optimizer,
                                      force=force), progress=show_progress)
    summary = {"out": str(out), "format": fmt, "tensors": len(manifest.tensors),
               "bytes": manifest.total_bytes, "left_out": len(manifest.left_out),
               "global_step": manifest.global_step, "source": manifest.source}
    if as_json:
        click.echo(json.dumps(summary))
        return
    click.echo(f"wrote {summary['tensors']} tensors ({summary['bytes'] / 2**20:.1f} MiB) to {out} "
               f"[{fmt}]; left out {summary['left_out']}; global step {summary['global_step']}")
