"""`panoconv evaluate`: depth metrics of one or more models on KITTI, Eigen, 3D60 or synthetic data."""

from __future__ import annotations

from pathlib import Path

import click

from panoconv.commands._options import (
    arch_option,
    device_option,
    max_pixels_option,
    precision_option,
    resample_option,
)


@click.command("evaluate")
@click.argument("data", type=click.Path(path_type=Path, exists=True))
@click.option("--weights", "-w", multiple=True, required=True, type=click.Path(path_type=Path),
              help="Weights to evaluate; repeat for a side-by-side table.")
@click.option("--kind", type=click.Choice(["synth", "3d60", "kitti-stereo", "eigen"]), default="synth",
              show_default=True, help="DATA is a synth folder, a 3D60 split file, a KITTI 2015 root or an "
              "Eigen list (`image gt` rows).")
@click.option("--root", type=click.Path(path_type=Path), default=None, help="Data root for list/split paths.")
@click.option("--gt-dir", type=click.Path(path_type=Path), default=None,
              help="Eigen: folder of <image stem>.npy|.png ground truth.")
@click.option("--split", default="test", show_default=True, help="synth: which split list.")
@click.option("--crop", type=click.Choice(["garg", "eigen", "none"]), default=None,
              help="Depth-map crop [default: garg for --kind eigen, none otherwise].")
@click.option("--max-depth", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Depth cap [default: 80 m KITTI, 8 m panoramas].")
@click.option("--median-scaling/--no-median-scaling", default=None,
              help="Per-image median scaling [default: on for panoramas, off otherwise].")
@click.option("--postprocess/--no-postprocess", default=True, show_default=True,
              help="Rectilinear: monodepth flip pass with edge blending.")
@click.option("--net-width", default=1024, show_default=True, type=click.IntRange(min=1),
              help="Panorama network input width.")
@resample_option()
@arch_option("Architecture [default: recorded in the weights, else detected from them].")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Evaluate only the first N images.")
@max_pixels_option()
@click.option("--skip-bad", is_flag=True,
              help="Skip bad split rows and unreadable or empty samples (each reported) instead of stopping.")
@click.option("--datasets", default=None, metavar="NAMES",
              help="3D60: only rows of these member data sets, comma-separated "
              "(Matterport3D,Stanford2D3D,SunCG).")
@click.option("--skipped-rows", type=click.Path(path_type=Path), default=None,
              help="3D60 with --skip-bad: write every skipped row here [default: ./<split>.skipped.txt].")
@click.option("--upstream-protocol", is_flag=True,
              help="Infinite predicted depth clipped to 1e-3 m and kept, as upstream's evaluate_kitti.py "
              "(default: such pixels are left out).")
@precision_option()
@device_option()
@click.option("--save-panels", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help="Write one PNG per image to DIR: input | prediction | ground truth, one colour range, "
              "a colour bar; grey = no value. Several models: one sub-folder each.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout instead of a table.")
def command(data: Path, weights: tuple[Path, ...], kind: str, root: Path | None, gt_dir: Path | None,
            split: str, crop: str, max_depth: float | None, median_scaling: bool | None, postprocess: bool,
            net_width: int, resample: str, arch: str | None, limit: int | None, max_pixels: int,
            skip_bad: bool, datasets: str | None, skipped_rows: Path | None, upstream_protocol: bool,
            precision: str, device: str, save_panels: Path | None, as_json: bool) -> None:
    """Evaluate depth predictions on DATA: abs_rel, sq_rel, rmse, rmse_log, a1-a3 (and d1_all on KITTI,
    printed in percent). 3D60 data also gets one row per member data set beside each model's overall row."""
    from panoconv.data.threed60_paths import parse_datasets
    from panoconv.inference.layout import PanoramaLayout
    from panoconv.io.paths import weights_file

    weights = tuple(weights_file(w, "-w") for w in weights)  # before torch is imported: fails fast
    only = parse_datasets(datasets)
    from panoconv.evaluation.evaluate import EvaluateRequest, evaluate

    if skip_bad and skipped_rows is None and kind == "3d60":
        stem = (data / f"3d60_{split}.txt").stem if data.is_dir() else data.stem
        skipped_rows = Path(f"{stem}.skipped.txt")
    report = evaluate(EvaluateRequest(weights=weights, data=data, kind=kind, root=root, gt_dir=gt_dir,
                                      split=split, crop=crop, max_depth=max_depth,
                                      median_scaling=median_scaling, postprocess=postprocess,
                                      layout=PanoramaLayout(net_width=net_width, resample=resample),
                                      arch=arch, limit=limit, skip_bad=skip_bad,
                                      datasets=only, skipped_file=skipped_rows,
                                      upstream_protocol=upstream_protocol, max_pixels=max_pixels,
                                      precision=precision, device=device, save_panels=save_panels))
    click.echo(report.to_json() if as_json else report.to_table())
