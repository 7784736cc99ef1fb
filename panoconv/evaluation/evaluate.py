"""`evaluate(EvaluateRequest) -> EvaluateReport`: one row of averaged metrics per model, side by side.

Each model runs through the same predict pipeline as `panoconv predict` (`inference.predict_array`);
its architecture card says whether it predicts disparity (monodepth: converted to metres with the data's
camera) or depth (RectNet / UResNet: used as is), so a new architecture needs nothing here.

Data whose samples carry a member data set (3D60: Matterport3D, Stanford2D3D, SunCG) also get one row
per data set beside each model's overall row, as the 3D60 papers report them (means over that data
set's images; the overall row is the mean over all images).

With `skip_bad`, a sample whose image or ground truth cannot be read, or that has no valid pixel, is
skipped, logged with its `file:line` and counted in the report (`skipped` per model); without it, the
first such sample stops the evaluation with that message.

d1_all (KITTI 2015) is a fraction of the valid pixels in the JSON (`d1_all`, and `d1_all_percent`) and a
percentage in the table (`d1_all%`), which is how upstream's `evaluate_kitti.py` prints it.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path

import numpy as np
from torch import nn

from panoconv.arch import ArchCard, card_of
from panoconv.errors import PanoconvError
from panoconv.evaluation.datasets import EvalData, Sample, ThreeD60Options, open_data
from panoconv.evaluation.metrics import METRIC_NAMES, mean_metrics
from panoconv.evaluation.panels import PanelContent, save_panel
from panoconv.evaluation.protocols import (
    KITTI_MAX_DEPTH,
    PANORAMA_MAX_DEPTH,
    Crop,
    GroundTruthError,
    ImageScore,
    eigen_score,
    kitti_stereo_score,
    panorama_score,
)
from panoconv.inference.depth import kitti_focal
from panoconv.inference.layout import PanoramaLayout
from panoconv.inference.pipeline import predict_array
from panoconv.io.exr import ExrReadError
from panoconv.io.images import ImageReadError, load_rgb
from panoconv.io.overlap import check_not_input
from panoconv.runtime import check_precision, prepare_model, resolve_device

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvaluateRequest:
    weights: tuple[Path, ...]
    data: Path
    kind: str  # kitti-stereo | eigen | 3d60 | synth
    _: KW_ONLY
    root: Path | None = None
    gt_dir: Path | None = None
    split: str = "test"
    crop: Crop | None = None  # default: garg for the Eigen split, none for other data
    max_depth: float | None = None  # default: 80 m (KITTI), 8 m (panoramas)
    median_scaling: bool | None = None  # default: the data's protocol (on for panoramas)
    postprocess: bool = True  # rectilinear: monodepth flip + edge blend
    layout: PanoramaLayout = PanoramaLayout()
    arch: str | None = None
    limit: int | None = None
    progress: bool = True
    skip_bad: bool = False  # skip unreadable / empty samples (and bad 3D60 rows), each reported
    datasets: tuple[str, ...] | None = None  # 3D60: keep rows of these member data sets
    skipped_file: Path | None = None  # 3D60: write every skipped split row here
    max_pixels: int | None = None  # refuse larger images from their header (None: DEFAULT_MAX_PIXELS)
    upstream_protocol: bool = False  # infinite predicted depth -> 1e-3 m and kept, as upstream (protocols.py)
    precision: str = "fp32"  # fp32 | bf16 | fp16 (CUDA only): see panoconv.runtime
    device: str = "cpu"  # where loaded weights run (preloaded `models` stay where they are)
    models: tuple[nn.Module, ...] = field(default=(), compare=False)  # preloaded, instead of weights
    save_panels: Path | None = None  # input | prediction | truth PNGs (evaluation/panels.py)


@dataclass(frozen=True)
class ModelRow:
    model: str
    arch: str
    images: int
    metrics: dict[str, float]
    subset: str = "all"  # "all", or the member data set of a per-data-set row
    skipped: int = 0  # samples skipped (skip_bad)

    def as_dict(self) -> dict:
        out = {"model": self.model, "arch": self.arch, "subset": self.subset, "images": self.images,
               "skipped": self.skipped, **self.metrics}
        if "d1_all" in self.metrics:
            out["d1_all_percent"] = 100.0 * self.metrics["d1_all"]
        return out


@dataclass(frozen=True)
class EvaluateReport:
    data: str
    protocol: str
    settings: dict[str, object]
    rows: list[ModelRow]

    def to_table(self) -> str:
        """Settings line, header, one line per row; d1_all printed as a percentage (`d1_all%`)."""
        d1 = any("d1_all" in r.metrics for r in self.rows)
        keys = list(METRIC_NAMES)
        width = max([len("model")] + [len(r.model) for r in self.rows])
        subsets = any(r.subset != "all" for r in self.rows)
        sub_w = max([len("subset")] + [len(r.subset) for r in self.rows]) if subsets else 0
        head = f"{'model':{width}} " + (f"{'subset':{sub_w}} " if subsets else "") + f"{'images':>6} "
        lines = [f"{self.data} ({self.protocol}; " + ", ".join(f"{k}={v}" for k,
                                                               v in self.settings.items()) + ")",
                 head + " ".join(f"{k:>8}" for k in keys) + (f" {'d1_all%':>8}" if d1 else "")]
        for r in self.rows:
            line = f"{r.model:{width}} " + (f"{r.subset:{sub_w}} " if subsets else "") + f"{r.images:6d} "
            line += " ".join(f"{r.metrics.get(k, math.nan):8.4f}" for k in keys)
            if d1:
                line += f" {100.0 * r.metrics.get('d1_all', math.nan):8.3f}"
            lines.append(line)
        skipped = [r for r in self.rows if r.subset == "all" and r.skipped]
        for r in skipped:
            lines.append(f"{r.model}: {r.skipped} sample(s) skipped (--skip-bad; each one logged)")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps({"data": self.data, "protocol": self.protocol, "settings": self.settings,
                           "rows": [r.as_dict() for r in self.rows]}, indent=2)


def _to_depth(values: np.ndarray, data: EvalData, kind: str, width: int,
              upstream: bool = False) -> np.ndarray:
    """Model output -> metres. Disparity is a fraction of the image width.

    A disparity of 0 gives infinite depth: guarded (1e-12) by default, left infinite with `upstream`
    (as upstream's scripts divide), for the protocol to treat (`protocols.upstream_infinite_depth`).
    """
    if kind == "depth":
        return values
    d = values if upstream else np.maximum(values, 1e-12)
    with np.errstate(divide="ignore"):
        if data.depth_model == "fov":
            return data.baseline / (d * data.fov_rad)
        focal = data.focal if data.focal is not None else kitti_focal(width)[0]
        return focal * data.baseline / (d * width)


def score_image(values: np.ndarray, out_kind: str, gt: np.ndarray, data: EvalData, req: EvaluateRequest,
                where: str) -> ImageScore:
    """Apply the data's protocol to one prediction (disparity or depth at the image size)."""
    width = values.shape[1]
    median = data.median_scaling if req.median_scaling is None else req.median_scaling
    upstream = req.upstream_protocol
    if data.protocol == "panorama":
        return panorama_score(gt, _to_depth(values, data, out_kind, width, upstream),
                              req.max_depth or PANORAMA_MAX_DEPTH, median, where, upstream_protocol=upstream)
    if data.protocol == "kitti-stereo":
        focal = kitti_focal(width)[0]
        disp_px = values * width if out_kind == "disparity" else focal * data.baseline / np.maximum(values,
                                                                                                    1e-12)
        return kitti_stereo_score(gt, disp_px, focal, data.baseline, req.max_depth or KITTI_MAX_DEPTH, where,
                                  upstream_protocol=upstream)
    return eigen_score(gt, _to_depth(values, data, out_kind, width, upstream), req.crop or data.default_crop,
                       max_depth=req.max_depth or KITTI_MAX_DEPTH, median_scaling=median, where=where,
                       upstream_protocol=upstream)


def _panel_content(image: np.ndarray, values: np.ndarray, out_kind: str, gt: np.ndarray, data: EvalData,
                   score: ImageScore) -> PanelContent:
    """The panel of one scored sample, in the quantity the protocol compares (KITTI stereo: pixels of
    disparity; otherwise metres of depth, median-scaled as scored)."""
    width = values.shape[1]
    if data.protocol == "kitti-stereo":
        focal = kitti_focal(width)[0]
        disp_px = values * width if out_kind == "disparity" else focal * data.baseline / np.maximum(values,
                                                                                                    1e-12)
        return PanelContent(image, disp_px, gt, "disparity", "px")
    depth = _to_depth(values, data, out_kind, width)
    note = f"median-scaled x{score.scale:.4g}" if score.scale is not None else ""
    return PanelContent(image, depth * (score.scale or 1.0), gt, "depth", "m", note)


def _score_sample(model: nn.Module, card: ArchCard, sample: Sample, data: EvalData,
                  req: EvaluateRequest, panel: Path | None = None) -> ImageScore:
    """One sample (a stereo card also gets its right image); with `panel`, its panel is written there."""
    where = sample.label()
    try:
        image = load_rgb(sample.image, req.max_pixels)
        right = load_rgb(sample.right, req.max_pixels).pixels if card.stereo else None
        gt = data.read_gt(sample.gt)
    except (ImageReadError, ExrReadError, GroundTruthError) as err:
        raise GroundTruthError(f"{sample.where}: {err}" if sample.where else str(err)) from None
    values = predict_array(model, image.pixels, data.camera, postprocess=req.postprocess, layout=req.layout,
                           arch=req.arch, right_hwc=right, precision=req.precision)
    score = score_image(values, card.output_kind, gt, data, req, where)
    if panel is not None:
        save_panel(panel, _panel_content(image.pixels, values, card.output_kind, gt, data, score))
    return score


def _mean_row(label: str, arch: str, scores: list[ImageScore], subset: str = "all",
              skipped: int = 0) -> ModelRow:
    metrics = mean_metrics([s.metrics for s in scores]).as_dict()
    d1 = [s.d1_all for s in scores if s.d1_all is not None]
    if d1:
        metrics["d1_all"] = float(np.mean(d1))
    return ModelRow(label, arch, len(scores), metrics, subset, skipped)


def _panel_path(folder: Path | None, index: int, sample: Sample) -> Path | None:
    """`NNNNN_<image stem>.png`: the index keeps images of equal names in different folders apart."""
    return None if folder is None else folder / f"{index:05d}_{Path(sample.image).stem}.png"


def _panel_folders(root: Path, labels: list[str]) -> list[Path]:
    """One folder per model when several are evaluated, named from its label (no separators, no `..`;
    equal names numbered), else `root` itself."""
    if len(labels) == 1:
        return [root]
    names: list[str] = []
    for label in labels:
        name = re.sub(r"[^A-Za-z0-9_-]+", "_", label).strip("_") or "model"
        names.append(name if name not in names else f"{name}-{len(names) + 1}")
    return [root / name for name in names]


def evaluate_model(model: nn.Module, label: str, data: EvalData, req: EvaluateRequest,
                   panels: Path | None = None) -> list[ModelRow]:
    """The model's overall row, then one row per member data set when the samples come from several.
    With `panels` (a folder), each scored image's panel is written there."""
    from panoconv.progress import progress

    card = card_of(model, req.arch)
    arch = card.name
    samples = data.samples[:req.limit] if req.limit else data.samples
    if card.stereo and any(s.right is None for s in samples):
        missing = next(s.image for s in samples if s.right is None)
        raise PanoconvError(f"{label}: {card.name} is a stereo network but {data.name} gives no right image "
                            f"for {missing} (use `left right gt` rows)")
    scored: list[tuple[Sample, ImageScore]] = []
    skipped = 0
    if panels is not None:
        panels.mkdir(parents=True, exist_ok=True)
    for index, sample in enumerate(progress(samples, desc=f"evaluate {label}", unit="img",
                                            enabled=req.progress)):
        try:
            scored.append((sample, _score_sample(model, card, sample, data, req,
                                                 _panel_path(panels, index, sample))))
        except GroundTruthError as err:
            if not req.skip_bad:
                raise GroundTruthError(f"{err} (pass --skip-bad to skip such samples, each "
                                       "reported)") from None
            skipped += 1
            log.warning("skipping %s", err)
    if not scored:
        raise GroundTruthError(f"{data.name}: no sample could be evaluated ({skipped} skipped)")
    if skipped:
        log.warning("%s: %d of %d samples skipped", label, skipped, len(samples))
    rows = [_mean_row(label, arch, [s for _, s in scored], skipped=skipped)]
    groups = sorted({sample.group for sample, _ in scored if sample.group is not None})
    if len(groups) > 1:
        rows += [_mean_row(label, arch, [s for sample, s in scored if sample.group == g], subset=g)
                 for g in groups]
    return rows


def _weight_labels(paths: list[Path]) -> list[str]:
    """Row labels: file names, with as many parent folders as it takes to tell them apart."""
    for depth in range(1, max((len(p.parts) for p in paths), default=1) + 1):
        labels = ["/".join(p.parts[-depth:]) for p in paths]
        if len(set(labels)) == len(labels):
            return labels
    return [str(p) for p in paths]


def evaluate(req: EvaluateRequest) -> EvaluateReport:
    """Evaluate every model of the request on the same data."""
    from panoconv.weights import load_model

    if req.skipped_file is not None:  # a file written beside the data: it must not replace one read
        check_not_input(req.skipped_file, [req.data, req.root, req.gt_dir, *req.weights], "skipped-rows file",
                        relations=("is", "contains"))
    if req.save_panels is not None:  # a folder of new files: it must not be, hold or sit in what is read
        check_not_input(req.save_panels, [req.data, req.root, req.gt_dir, *req.weights], "panels folder")
    device = resolve_device(req.device)
    check_precision(req.precision, device)
    for m in req.models:
        check_precision(req.precision, next(m.parameters()).device)
    data = open_data(req.kind, req.data, req.root, req.gt_dir, req.split,
                     ThreeD60Options(req.skip_bad, req.datasets, req.skipped_file))
    pairs = [(m, getattr(m, "arch_name", f"model{i}")) for i, m in enumerate(req.models)]
    labels = _weight_labels([Path(p) for p in req.weights])
    for path, label in zip(req.weights, labels):
        model = prepare_model(load_model(path, architecture=req.arch), device)  # channels_last: faster convs
        pairs.append((model, label))
    if not pairs:
        raise ValueError("no model to evaluate (give weights)")
    folders = (_panel_folders(req.save_panels, [label for _, label in pairs]) if req.save_panels is not None
               else [None] * len(pairs))
    rows = [row for (model, label), folder in zip(pairs, folders)
            for row in evaluate_model(model, label, data, req, folder)]
    median = data.median_scaling if req.median_scaling is None else req.median_scaling
    default_max = PANORAMA_MAX_DEPTH if data.protocol == "panorama" else KITTI_MAX_DEPTH
    settings: dict[str, object] = {"camera": data.camera, "median_scaling": median,
                                   "max_depth": req.max_depth or default_max}
    if data.protocol == "eigen":
        settings["crop"] = req.crop or data.default_crop
    if data.camera == "rectilinear":
        settings["postprocess"] = req.postprocess
    settings["protocol"] = "upstream" if req.upstream_protocol else "panoconv"
    if data.skipped_rows:
        settings["split_rows_skipped"] = data.skipped_rows
    return EvaluateReport(data.name, data.protocol, settings, rows)
