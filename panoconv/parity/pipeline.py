"""Whole-pipeline parity: the panorama predict recipe in PyTorch vs the same recipe in TensorFlow.

Compares three stages per dtype (network input after crop/resize/pad, network output after flip
averaging, final disparity at the input size), so a difference is located, not just detected.
float64 shows the two pipelines compute the same mathematics; float32 measures deployment drift.
A separate row checks that the resize matrices both sides use equal TF's own `tf.image.resize`
(identity-basis trick), i.e. that the shared resize really is TF's Lanczos-3 / bilinear.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from panoconv.inference.recipe import PanoramaRecipe
from panoconv.parity.environment import environment
from panoconv.parity.weights import tf_reference_weights, torch_model_from_tf

DEFAULT_TOLERANCE = {"float32": 1e-5, "float64": 1e-10}
STAGES = ("net_input", "net_output", "final")


@dataclass(frozen=True)
class PipelineParityRequest:
    """Weights as TF-name -> array, or `checkpoint` (a TF checkpoint prefix). `image`: an RGB panorama;
    without it a seeded synthetic panorama of `size` (H, W) is used."""

    weights: Mapping[str, np.ndarray] | None = None
    checkpoint: Path | None = None
    image: Path | None = None
    size: tuple[int, int] = (1024, 2048)
    camera: str = "equirectangular"
    recipe: PanoramaRecipe = PanoramaRecipe()
    dtypes: tuple[str, ...] = ("float32", "float64")
    tolerance: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TOLERANCE))
    check_native_resize: bool = True
    seed: int = 0


@dataclass(frozen=True)
class StageDiff:
    dtype: str
    stage: str
    shape: tuple[int, ...]
    max_abs: float
    max_rel: float
    nan_mask_equal: bool
    tolerance: float | None  # only the final stage is judged

    @property
    def status(self) -> str:
        if not self.nan_mask_equal:
            return "FAIL"
        if self.tolerance is None:
            return "info"
        return "SUCCESS" if self.max_abs <= self.tolerance else "FAIL"


@dataclass(frozen=True)
class PipelineParityReport:
    image: str
    image_size: tuple[int, int]
    net_size: tuple[int, int]
    diffs: list[StageDiff]
    resize_matrix_vs_tf_native: float  # max |R_ours - R_tf| over the matrices used (nan if not checked)
    environment: dict[str, object]

    @property
    def passed(self) -> bool:
        return all(d.status != "FAIL" for d in self.diffs)

    def final_error(self, dtype: str) -> float:
        return next(d.max_abs for d in self.diffs if d.dtype == dtype and d.stage == "final")

    def to_table(self) -> str:
        lines = [f"pipeline parity on {self.image} ({self.image_size[1]}x{self.image_size[0]}, "
                 f"network input {self.net_size[1]}x{self.net_size[0]})",
                 f"{'dtype':8} {'stage':11} {'max_abs':>10} {'max_rel':>10} {'tolerance':>10}  status"]
        for d in self.diffs:
            tol = f"{d.tolerance:.0e}" if d.tolerance is not None else "-"
            lines.append(f"{d.dtype:8} {d.stage:11} {d.max_abs:10.3e} {d.max_rel:10.3e} {tol:>10}  {d.status}")
        lines.append(f"resize matrices vs tf.image.resize (identity basis): max abs "
                     f"{self.resize_matrix_vs_tf_native:.3e}")
        lines.append("environment: " + ", ".join(f"{k}={v}" for k, v in self.environment.items()))
        lines.append("PASS" if self.passed else "FAIL")
        return "\n".join(lines)

    def to_json(self) -> str:
        data = asdict(self)
        for d, diff in zip(data["diffs"], self.diffs):
            d["status"] = diff.status
        data["passed"] = self.passed
        return json.dumps(data, indent=2)


def _load_image(req: PipelineParityRequest) -> tuple[np.ndarray, str]:
    if req.image is not None:
        from panoconv.io.images import load_rgb

        return load_rgb(req.image).pixels.astype(np.float64), str(req.image)
    h, w = req.size
    rng = np.random.default_rng(req.seed)
    # smooth structure plus noise, so resizes and the network see realistic, non-constant input
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    base = 0.5 + 0.25 * np.sin(2 * np.pi * (3 * xx[..., None] + np.array([0.0, 0.3, 0.6]))) * np.cos(5 * yy[..., None])
    return np.clip(base + 0.1 * rng.standard_normal((h, w, 3)), 0, 1), f"synthetic panorama (seed {req.seed})"


def _diff(a: np.ndarray, b: np.ndarray) -> tuple[float, float, bool]:
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    nan_equal = bool(np.array_equal(np.isnan(a64), np.isnan(b64)))
    ok = ~(np.isnan(a64) | np.isnan(b64))
    if not ok.any():
        return 0.0, 0.0, nan_equal
    err = np.abs(a64[ok] - b64[ok])
    return float(err.max()), float((err / np.maximum(np.abs(b64[ok]), 1e-12)).max()), nan_equal


def _torch_stages(model, image: np.ndarray, req: PipelineParityRequest) -> tuple[dict[str, np.ndarray], object]:
    from panoconv.arch import card_of
    from panoconv.inference.pipeline import configure_model, finish, make_plan, prepare, run_network, to_chw

    dtype = next(model.parameters()).dtype
    x = to_chw(image, dtype)
    card = card_of(model)
    plan = make_plan(x.shape[1], x.shape[2], req.camera, card, req.recipe)
    configure_model(model, card, plan)
    net_in = prepare(x, plan)
    net_out = run_network(model, net_in[None], card, True, [plan.flip_edge_blend])[0]
    final = finish(net_out, plan)
    return {"net_input": net_in.permute(1, 2, 0).numpy(), "net_output": net_out.numpy(),
            "final": final.numpy()}, plan


def _native_resize_error(plan) -> float:
    """max |R_ours - R_tf| for each resize the plan uses, R_tf pushed through tf.image.resize."""
    from panoconv.inference.pipeline import IMAGE_KERNEL, OUTPUT_KERNEL
    from panoconv.inference.resize import resize_matrix
    from panoconv.tf_reference._tf import import_tf

    tf = import_tf()
    native = {"lanczos3": "lanczos3", "triangle": "bilinear"}
    p = plan.panorama
    pairs = ([(p.crop_height, p.resized_height, IMAGE_KERNEL), (p.width, p.net_width, IMAGE_KERNEL),
              (p.resized_height, p.crop_height, OUTPUT_KERNEL), (p.net_width, p.width, OUTPUT_KERNEL)]
             if p is not None else [])
    worst = 0.0
    for n_in, n_out, kernel in pairs:
        eye = np.eye(n_in, dtype=np.float32).reshape(1, n_in, n_in, 1)
        got = tf.image.resize(eye, (n_out, n_in), method=native[kernel], antialias=True).numpy()[0, :, :, 0]
        worst = max(worst, float(np.abs(got - resize_matrix(n_in, n_out, kernel)).max()))
    return worst


def run_pipeline_parity(req: PipelineParityRequest) -> PipelineParityReport:
    """Run the predict pipeline in both frameworks for each dtype and compare stage by stage."""
    from panoconv.tf_reference.predict import predict_stages

    if req.weights is None and req.checkpoint is None:
        raise ValueError("give weights (TF name -> array) or a checkpoint path")
    values = dict(req.weights) if req.weights is not None else tf_reference_weights(Path(req.checkpoint))
    image, label = _load_image(req)
    diffs: list[StageDiff] = []
    plan = None
    for dtype in req.dtypes:
        model = torch_model_from_tf(values, dtype)
        ours, plan = _torch_stages(model, image.astype(dtype), req)
        ref = predict_stages(values, image.astype(dtype), req.camera, recipe=req.recipe, dtype=dtype)
        for stage in STAGES:
            max_abs, max_rel, nan_equal = _diff(ours[stage], ref[stage])
            tol = req.tolerance.get(dtype) if stage == "final" else None
            diffs.append(StageDiff(dtype, stage, tuple(ours[stage].shape), max_abs, max_rel, nan_equal, tol))
    native = _native_resize_error(plan) if req.check_native_resize else float("nan")
    return PipelineParityReport(label, (image.shape[0], image.shape[1]), plan.net_size, diffs, native,
                                environment(req.seed))
