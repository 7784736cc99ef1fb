"""`panoconv synth OUT`: render a procedural stereo data set with ground-truth depth."""

from __future__ import annotations

from pathlib import Path

import click

from panoconv.geometry.constants import KITTI_BASELINE_M, KITTI_FOV_DEG, PANORAMA_FOV_DEG, THREED60_BASELINE_M


@click.command("synth")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(["rectilinear", "equirect", "panorama"]), default="rectilinear",
              show_default=True,
              help="Pinhole stereo, equirectangular crops, or full 360x180 3D60-style panoramas.")
@click.option("--count", default=20, show_default=True, help="Number of scenes (stereo pairs).")
@click.option("--height", default=256, show_default=True)
@click.option("--width", default=512, show_default=True)
@click.option("--seed", default=0, show_default=True, help="Same seed -> same data set.")
@click.option("--baseline", type=float, default=None,
              help=f"Stereo baseline in metres [default: {KITTI_BASELINE_M:g}; {THREED60_BASELINE_M:g} for "
              "panorama].")
@click.option("--fov", "fov_deg", type=float, default=None,
              help=f"Horizontal field of view in degrees [default: {KITTI_FOV_DEG:g}; panorama is always "
              f"{PANORAMA_FOV_DEG:g}].")
@click.option("--textures", type=click.Choice(["mixed", "smooth", "geometric"]), default="mixed",
              show_default=True, help="Texture family of the surfaces: every kind, smooth (noise, marble) or "
              "geometric (checker, stripes, bricks, grid). The same seed gives the same scenes in each.")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
def command(out: Path, kind: str, count: int, height: int, width: int, seed: int, baseline: float | None,
            fov_deg: float | None, textures: str, force: bool) -> None:
    """Ray-cast random textured scenes into stereo pairs + depth, in the file-list (and 3D60) layout."""
    from panoconv.data.synth import SynthRequest, generate

    root = generate(SynthRequest(out=out, kind=kind, count=count, height=height, width=width, seed=seed,
                                 baseline=baseline, fov_deg=fov_deg, force=force, textures=textures))
    click.echo(str(root))
