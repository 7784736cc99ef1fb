"""`evaluate(EvaluateRequest) -> EvaluateReport`: one row of averaged metrics per model, side by side.

Each model runs through the same predict pipeline as `panoconv predict` (`inference.predict_array`);
its architecture card says whether it predicts disparity (monodepth: converted to metres with the data's
camera) or depth (RectNet / UResNet: used as is), so a new architecture needs nothing here.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from panoconv.evaluation.metrics import METRIC_NAMES, mean_metrics
from panoconv.evaluation.protocols import (
    KITTI_MAX_DEPTH,
    PANORAMA_MAX_DEPTH,
    Crop,
    ImageScore,
    eigen_score,
    kitti_stereo_score,
    panorama_score,
)
from panoconv.evaluation.sources import EvalData, open_data
from panoconv.arch import card_of
from panoconv.inference.depth import kitti_focal
from panoconv.inference.pipeline import predict_array
from panoconv.inference.recipe import PanoramaRecipe
from panoconv.io.images import load_rgb

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvaluateRequest:
    weights: tuple[Path, ...]
    data: Path
    kind: str  # kitti-stereo | eigen | 3d60 | synth
    root: Path | None = None
    gt_dir: Path | None = None
    split: str = "test"
    crop: Crop | None = None  # default: garg for the Eigen split, none for other data
    max_depth: float | None = None  # default: 80 m (KITTI), 8 m (panoramas)
    median_scaling: bool | None = None  # default: the data's protocol (on for panoramas)
    postprocess: bool = True  # rectilinear: monodepth flip + edge blend
    recipe: PanoramaRecipe = PanoramaRecipe()
    arch: str | None = None
    limit: int | None = None
    progress: bool = True
    models: tuple[nn.Module, ...] = field(default=(), compare=False)  # preloaded, instead of weights


@dataclass(frozen=True)
class ModelRow:
    model: str
    arch: str
    images: int
    metrics: dict[str, float]

    def as_dict(self) -> dict:
        return {"model": self.model, "arch": self.arch, "images": self.images, **self.metrics}


@dataclass(frozen=True)
class EvaluateReport:
    data: str
    protocol: str
    settings: dict[str, object]
    rows: list[ModelRow]

    def to_table(self) -> str:
        keys = list(METRIC_NAMES) + (["d1_all"] if any("d1_all" in r.metrics for r in self.rows) else [])
        width = max([len("model")] + [len(r.model) for r in self.rows])
        lines = [f"{self.data} ({self.protocol}; " + ", ".join(f"{k}={v}" for k, v in self.settings.items()) + ")",
                 f"{'model':{width}} {'images':>6} " + " ".join(f"{k:>8}" for k in keys)]
        for r in self.rows:
            lines.append(f"{r.model:{width}} {r.images:6d} " + " ".join(f"{r.metrics.get(k, math.nan):8.4f}"
                                                                      for k in keys))
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps({"data": self.data, "protocol": self.protocol, "settings": self.settings,
                           "rows": [r.as_dict() for r in self.rows]}, indent=2)


def _to_depth(values: np.ndarray, data: EvalData, kind: str, width: int) -> np.ndarray:
    """Model output -> metres. Disparity is a fraction of the image width."""
    if kind == "depth":
        return values
    d = np.maximum(values, 1e-12)
    if data.depth_model == "fov":
        return data.baseline / (d * data.fov_rad)
    focal = data.focal if data.focal is not None else kitti_focal(width)[0]
    return focal * data.baseline / (d * width)


def score_image(values: np.ndarray, out_kind: str, gt: np.ndarray, data: EvalData, req: EvaluateRequest,
                where: str) -> ImageScore:
    """Apply the data's protocol to one prediction (disparity or depth at the image size)."""
    width = values.shape[1]
    median = data.median_scaling if req.median_scaling is None else req.median_scaling
    if data.protocol == "panorama":
        return panorama_score(gt, _to_depth(values, data, out_kind, width),
                              req.max_depth or PANORAMA_MAX_DEPTH, median, where)
    if data.protocol == "kitti-stereo":
        focal = kitti_focal(width)[0]
        disp_px = values * width if out_kind == "disparity" else focal * data.baseline / np.maximum(values, 1e-12)
        return kitti_stereo_score(gt, disp_px, focal, data.baseline, req.max_depth or KITTI_MAX_DEPTH, where)
    return eigen_score(gt, _to_depth(values, data, out_kind, width), req.crop or data.default_crop,
                       max_depth=req.max_depth or KITTI_MAX_DEPTH, median_scaling=median, where=where)


def evaluate_model(model: nn.Module, label: str, data: EvalData, req: EvaluateRequest) -> ModelRow:
    from tqdm import tqdm

    card = card_of(model, req.arch)
    samples = data.samples[:req.limit] if req.limit else data.samples
    scores: list[ImageScore] = []
    for sample in tqdm(samples, desc=f"evaluate {label}", unit="img", disable=None if req.progress else True):
        image = load_rgb(sample.image)
        gt = data.read_gt(sample.gt)
        values = predict_array(model, image.pixels, data.camera, postprocess=req.postprocess, recipe=req.recipe,
                               arch=req.arch)
        scores.append(score_image(values, card.output_kind, gt, data, req, str(sample.gt)))
    metrics = mean_metrics([s.metrics for s in scores]).as_dict()
    d1 = [s.d1_all for s in scores if s.d1_all is not None]
    if d1:
        metrics["d1_all"] = float(np.mean(d1))
    return ModelRow(label, card.name, len(scores), metrics)


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

    data = open_data(req.kind, req.data, req.root, req.gt_dir, req.split)
    pairs = [(m, getattr(m, "arch_name", f"model{i}")) for i, m in enumerate(req.models)]
    labels = _weight_labels([Path(p) for p in req.weights])
    for path, label in zip(req.weights, labels):
        model = load_model(path, architecture=req.arch).to(memory_format=torch.channels_last)  # faster CPU convs
        pairs.append((model, label))
    if not pairs:
        raise ValueError("no model to evaluate (give weights)")
    rows = [evaluate_model(model, label, data, req) for model, label in pairs]
    median = data.median_scaling if req.median_scaling is None else req.median_scaling
    settings: dict[str, object] = {"camera": data.camera, "median_scaling": median,
                                   "max_depth": req.max_depth or (PANORAMA_MAX_DEPTH if data.protocol == "panorama"
                                                                  else KITTI_MAX_DEPTH)}
    if data.protocol == "eigen":
        settings["crop"] = req.crop or data.default_crop
    if data.camera == "rectilinear":
        settings["postprocess"] = req.postprocess
    return EvaluateReport(data.name, data.protocol, settings, rows)
