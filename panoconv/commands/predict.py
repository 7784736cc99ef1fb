"""`panoconv predict`: depth maps for images or 360-degree panoramas (thin shell over `inference.predict`)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from panoconv.commands._options import (
    arch_option,
    device_option,
    max_pixels_option,
    precision_option,
    range_option,
    resample_option,
)
from panoconv.geometry.constants import KITTI_BASELINE_M, UPSTREAM_PANORAMA_BASELINE_M

log = logging.getLogger(__name__)


def _split(value: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in value.split(",") if s.strip())


def _check_arguments(inputs: tuple[Path, ...], pairs: tuple[tuple[Path, Path], ...], weights: Path,
                     out_dir: Path, save: tuple[str, ...]) -> Path:
    """What can be checked before torch is imported; returns the weights file (`-w FOLDER`: its only one)."""
    from panoconv.errors import PanoconvError
    from panoconv.inference.outputs import check_save_kinds
    from panoconv.io.paths import existing_file, existing_path, weights_file

    check_save_kinds(save)
    for item in inputs:
        existing_path(item, "file (INPUTS are images, folders or .txt lists)")
    for pair in pairs:
        for image in pair:
            existing_file(image, "image")
    if out_dir.exists() and not out_dir.is_dir():
        raise PanoconvError(f"{out_dir}: exists and is not a folder (-o takes an output folder)")
    return weights_file(weights, "-w")


@click.command("predict")
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--pair", "pairs", nargs=2, multiple=True, type=click.Path(path_type=Path),
              metavar="LEFT RIGHT", help="Stereo networks: one left/right pair (repeat for more).")
@click.option("--weights", "-w", required=True, type=click.Path(path_type=Path),
              help="Converted weights (.safetensors or .pt).")
@click.option("-o", "--out-dir", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option("--camera", type=click.Choice(["auto", "rectilinear", "equirectangular"]), default="auto",
              show_default=True,
              help="auto: a list's `# camera:` line, the image's XMP ProjectionType, a synth meta.json, else "
              "2:1 images >= 1024 px wide are panoramas (512x256 is taken for a photo); the choice is "
              "logged.")
@click.option("--save", default="disp,png", show_default=True,
              help="Comma list of disp (npy, width fractions), depth (npy, metres), png, ply, upstream-npy "
              "(panoramas: the array upstream's monodepth_simple.py saves). <stem>_meta.json is always "
              "written.")
@click.option("--postprocess", is_flag=True, help="Rectilinear: monodepth flip pass with edge blending.")
@click.option("--raw", is_flag=True, help="Keep the network-resolution output (no resize back).")
@click.option("--batch-size", "-b", default=4, show_default=True, type=click.IntRange(min=1))
@click.option("--baseline", type=click.FloatRange(min=0, min_open=True), default=None,
              help=f"Stereo baseline in metres [default: {KITTI_BASELINE_M:g} rectilinear, "
              f"{UPSTREAM_PANORAMA_BASELINE_M:g} panorama].")
@click.option("--focal", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Rectilinear focal length in px at the input width "
              "[default: KITTI's for the width].")
@click.option("--net-width", default=1024, show_default=True, type=click.IntRange(min=1),
              help="Panorama: network input width (a multiple of the card's size multiple: 128 VGG, 64 "
                   "ResNet50).")
@resample_option()
@click.option("--band", is_flag=True, help="INPUTS are already the cropped horizon band of a panorama (as "
              "upstream's monodepth_simple.py takes them, e.g. 2048x300), not whole 2:1 panoramas.")
@click.option("--depth-convention", type=click.Choice(["geometric", "upstream"]), default="geometric",
              show_default=True, help="Panorama metric depth: geometric r = B/(2 pi d), or the author's "
              "(W/pi)/s with s = d (W/pi)/B * W/w (resolution-dependent).")
@arch_option("Architecture [default: recorded in the weights, else detected from them].")
@click.option("--cmap", default="magma", show_default=True, help="Matplotlib colormap of the PNGs.")
@range_option("PNG colour range in output units (disparity: fraction of width, e.g. 0,0.3), the same for "
              "every image so maps compare; auto: each image's 2-98 percentiles. Recorded in the PNG.")
@click.option("--colorbar", is_flag=True,
              help="PNG: add a colour bar with the range and units below the map.")
@click.option("--input-order", type=click.Choice(["rgb", "bgr"]), default=None,
              help="Channel order the network is fed [default: as the weights record it, else rgb].")
@max_pixels_option()
@precision_option()
@device_option()
@click.option("--skip-bad", is_flag=True, help="Report unreadable or unusable inputs and continue.")
@click.option("--force", is_flag=True, help="Overwrite existing outputs.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
def command(inputs: tuple[Path, ...], pairs: tuple[tuple[Path, Path], ...], weights: Path, out_dir: Path,
            camera: str, save: str, postprocess: bool, raw: bool, batch_size: int, baseline: float | None,
            focal: float | None, net_width: int, resample: str, band: bool, depth_convention: str,
            arch: str | None, cmap: str, value_range: tuple[float, float] | None, colorbar: bool,
            input_order: str | None, max_pixels: int, precision: str, device: str, skip_bad: bool,
            force: bool, as_json: bool) -> None:
    """Predict disparity / depth for INPUTS (images, folders or .txt file lists).

    Stereo networks take left/right pairs: --pair LEFT RIGHT, or .txt lists of `left right` lines.
    """
    if not inputs and not pairs:
        raise click.UsageError("give INPUTS (images, folders, .txt lists) or --pair LEFT RIGHT")
    weights = _check_arguments(inputs, pairs, weights, out_dir, _split(save))
    from panoconv.inference import PanoramaLayout, PredictRequest, predict

    req = PredictRequest(weights=weights, inputs=inputs, pairs=pairs, out_dir=out_dir, camera=camera,
                         save=_split(save), postprocess=postprocess, raw=raw, batch_size=batch_size,
                         baseline=baseline, focal=focal,
                         layout=PanoramaLayout(net_width=net_width, resample=resample, band=band), arch=arch,
                         cmap=cmap, value_range=value_range, colorbar=colorbar, skip_bad=skip_bad,
                         force=force, input_order=input_order, depth_convention=depth_convention,
                         max_pixels=max_pixels, precision=precision, device=device)
    results = predict(req)
    failed = [r for r in results if not r.ok]
    if as_json:
        click.echo(json.dumps([{"input": str(r.path), "camera": r.camera,
                                "camera_reason": r.camera_reason, "note": r.note, "error": r.error,
                                "resample": resample,
                                "depth_convention": (r.meta or {}).get("depth_convention"),
                                "depth_formula": (r.meta or {}).get("depth_formula"),
                                "outputs": {k: str(v) for k,
                                            v in r.outputs.items()}} for r in results], indent=2))
    else:
        log.info("%d image(s) written to %s, %d skipped", len(results) - len(failed), out_dir, len(failed))
    if failed:
        raise click.exceptions.Exit(1)
