"""`panoconv reproject LIST`: rectilinear stereo pairs -> equirectangular crops (same list layout)."""

from __future__ import annotations

from pathlib import Path

import click

from panoconv.commands._options import max_pixels_option
from panoconv.geometry.constants import KITTI_FOV_DEG


@click.command("reproject")
@click.argument("list_file", type=click.Path(path_type=Path))
@click.option("--data-root", required=True, type=click.Path(path_type=Path),
              help="Root the list's paths are relative to.")
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path), help="Output folder (new).")
@click.option("--fov", "fov_deg", default=KITTI_FOV_DEG, show_default=True,
              help="Horizontal fov of the output crops (degrees).")
@click.option("--focal", type=float, default=None,
              help="Source focal length in pixels [default: KITTI's, chosen by image width].")
@click.option("--height", type=int, default=None, help="Output height [default: source height].")
@click.option("--width", type=int, default=None, help="Output width [default: source width].")
@max_pixels_option()
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
def command(list_file: Path, data_root: Path, out: Path, fov_deg: float, focal: float | None,
            height: int | None, width: int | None, max_pixels: int, force: bool) -> None:
    """Reproject both views of every pair of LIST onto equirectangular crops of --fov degrees."""
    from panoconv.data.reproject import ReprojectRequest, reproject

    req = ReprojectRequest(list_file, data_root, out, fov_deg=fov_deg, focal=focal, height=height,
                           width=width, force=force, max_pixels=max_pixels)
    click.echo(str(reproject(req)))
