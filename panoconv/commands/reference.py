"""`panoconv reference ...`: the TensorFlow reference network."""

from __future__ import annotations

from pathlib import Path

import click

from panoconv.arch import DEFAULT_ARCH, all_cards


@click.group("reference")
def command() -> None:
    """The TensorFlow reference of the network (upstream names and checkpoint format)."""


@command.command("make-checkpoint")
@click.argument("out_prefix", type=click.Path(path_type=Path))
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Seed for the weights (and Adam state).")
@click.option("--with-optimizer", is_flag=True, help="Also write Adam slots, beta powers and the step.")
@click.option("--step", default=180000, show_default=True, type=click.IntRange(min=0),
              help="Global step; the files are OUT_PREFIX-STEP.*")
@click.option("--force", is_flag=True, help="Overwrite existing checkpoint files.")
@click.option("--arch", type=click.Choice([c.name for c in all_cards() if c.tf_born]), default=DEFAULT_ARCH,
              show_default=True, help="Which TensorFlow-born network.")
def make_checkpoint_cmd(out_prefix: Path, seed: int, with_optimizer: bool, step: int, force: bool,
                        arch: str) -> None:
    """Write a seeded checkpoint of the network exactly as upstream training leaves one."""
    from panoconv.errors import PanoconvError

    parent = out_prefix.parent
    if parent.exists() and not parent.is_dir():
        raise PanoconvError(f"{parent}: is not a folder (OUT_PREFIX is a folder plus a file-name prefix, "
                            "e.g. ckpt/model)")
    from panoconv.tf_reference.checkpoint import CheckpointSpec, make_checkpoint

    prefix = make_checkpoint(CheckpointSpec(out_prefix, seed, step, with_optimizer, force, arch))
    click.echo(str(prefix))
