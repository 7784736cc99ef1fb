"""Whole-pipeline parity: the panorama predict layout in PyTorch vs the same layout in TensorFlow.

Stages per dtype: the network input after crop/resize/pad, the network alone (PyTorch fed TF's own
input, so its drift is measured apart from the pre-processing), the network output after flip
averaging, and the final disparity at the input size: a difference is located, not just detected.
float64 shows the two pipelines compute the same mathematics; float32 measures deployment drift.
With `layout.resample == "upstream"` the TF side resizes the image with Pillow itself (upstream's
library), so the 8-bit path is checked against the library upstream used, not against our emulation.

Metric. A disparity is a sigmoid output: on real weights large blobs saturate at 0.3 and others sit
near 0, and at their sharp borders float32 rounding of ~1e-7 moves an output by ~1e-5; divided by a
value near zero that reads as a "relative error" of 1e-4 or more although nothing is wrong. Each
stage is therefore judged by `range_rel` = max |a - b| / (max b - min b) (relative to the output's
range, which does not blow up near zero), and reports beside it the pointwise relative error
|a - b| / |b| as p99 and max (`p99_pointwise_rel`, `max_pointwise_rel`) and as the share of pixels
above 1e-4 (`share_over`). Every metric is defined once, in `parity.compare.METRICS`.

Tolerances. The network input must agree to the rounding of a resize (`INPUT_TOLERANCE`; the 8-bit
path exactly). The network alone is bounded loosely by `NETWORK_TOLERANCE` (its exactness is proven
per layer by `verify` itself and in float64 here). After the network nothing may add error: flip
averaging and the resizes back are convex (weights >= 0, sum 1) and cannot amplify it, so
`net_output` and `final` must stay within `DRIFT_SLACK` times the drift of the network alone
measured in the same run (floored at `DRIFT_FLOOR`). A stage that computes something else (a
different resize, a shifted crop, an 8-bit step missing) shows up as an error above that budget.
A separate row checks that the resize matrices equal TF's own `tf.image.resize` (identity basis).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from panoconv.inference.layout import PanoramaLayout
from panoconv.parity.compare import FAIL, INFO, error_stats, metric_definitions, pointwise_rel, verdict
from panoconv.parity.environment import environment
from panoconv.parity.weights import tf_reference_weights, torch_model_from_tf
from panoconv.progress import Stages

#: range_rel bounds per dtype. Input: float32 rounding of a 13-tap resize of [0, 1] values (measured
#: 1.5e-7; the 8-bit path 0). Network: float32 drift measured on real weights up to 1.2e-4 and on
#: saturating weights up to 3.3e-5 (README, "verify --pipeline"); a wrong layer gives > 1e-2.
INPUT_TOLERANCE = {"float32": 1e-6, "float64": 1e-12}
NETWORK_TOLERANCE = {"float32": 1e-3, "float64": 1e-10}
DRIFT_SLACK = 2.0
DRIFT_FLOOR = {"float32": 1e-6, "float64": 1e-12}
DEFAULT_TOLERANCE = NETWORK_TOLERANCE
#: Pointwise relative error above which a pixel counts in `share_over` (reported, not judged).
POINTWISE_THRESHOLD = 1e-4
STAGES = ("net_input", "network", "net_output", "final")


@dataclass(frozen=True, kw_only=True)
class PipelineParityRequest:
    """Weights as TF-name -> array, or `checkpoint` (a TF checkpoint prefix). `image`: an RGB panorama;
    without it a seeded synthetic panorama of `size` (H, W) is used. `layout.resample` picks the float
    or the upstream 8-bit resizes on both sides."""

    weights: Mapping[str, np.ndarray] | None = None
    checkpoint: Path | None = None
    image: Path | None = None
    size: tuple[int, int] = (1024, 2048)
    camera: str = "equirectangular"
    layout: PanoramaLayout = PanoramaLayout()
    dtypes: tuple[str, ...] = ("float32", "float64")
    tolerance: Mapping[str, float] = field(default_factory=lambda: dict(NETWORK_TOLERANCE))  # network stage
    check_native_resize: bool = True
    seed: int = 0


@dataclass(frozen=True)
class StageDiff:
    dtype: str
    stage: str
    shape: tuple[int, ...]
    max_abs: float
    span: float  # max b - min b of the reference
    range_rel: float  # max |a - b| / span: the judged metric
    p99_pointwise_rel: float  # 99th percentile of METRICS["pointwise_rel"]
    max_pointwise_rel: float  # max of METRICS["pointwise_rel"] (misleads near zero; reported only)
    share_over: float  # share of pixels with pointwise relative error > POINTWISE_THRESHOLD
    nan_mask_equal: bool
    tolerance: float | None  # on range_rel; None: reported only
    basis: str = ""  # where the tolerance comes from

    @property
    def status(self) -> str:
        if not self.nan_mask_equal:
            return FAIL
        if self.tolerance is None:
            return INFO
        return verdict(self.range_rel <= self.tolerance)


@dataclass(frozen=True)
class PipelineParityReport:
    image: str
    image_size: tuple[int, int]
    net_size: tuple[int, int]
    resample: str
    diffs: list[StageDiff]
    resize_matrix_vs_tf_native: float  # max |R_ours - R_tf| over the matrices used (nan if not checked)
    environment: dict[str, object]

    @property
    def passed(self) -> bool:
        return all(d.status != FAIL for d in self.diffs)

    def stage(self, dtype: str, stage: str) -> StageDiff:
        return next(d for d in self.diffs if d.dtype == dtype and d.stage == stage)

    def final_error(self, dtype: str) -> float:
        """range_rel of the final disparity."""
        return self.stage(dtype, "final").range_rel

    def to_table(self) -> str:
        lines = [f"pipeline parity on {self.image} ({self.image_size[1]}x{self.image_size[0]}, "
                 f"network input {self.net_size[1]}x{self.net_size[0]}, resample {self.resample})",
                 metric_definitions("max_abs", "range_rel", "pointwise_rel"),
                 f"{'dtype':8} {'stage':11} {'max_abs':>10} {'range_rel':>10} {'p99 ptw':>10} "
                 f"{'max ptw':>10} {'>1e-4':>8} {'tolerance':>10}  status"]
        for d in self.diffs:
            tol = f"{d.tolerance:.0e}" if d.tolerance is not None else "-"
            lines.append(f"{d.dtype:8} {d.stage:11} {d.max_abs:10.3e} {d.range_rel:10.3e} "
                         f"{d.p99_pointwise_rel:10.3e} {d.max_pointwise_rel:10.3e} "
                         f"{100 * d.share_over:7.3f}% {tol:>10}  {d.status}")
        lines.append(f"judged: range_rel; p99 ptw, max ptw and >1e-4 (share of pixels) are of pointwise_rel, "
                     f"reported only ({INFO})")
        first_dtype = self.diffs[0].dtype
        bases = sorted({f"{d.stage}: {d.basis}" for d in self.diffs if d.basis and d.dtype == first_dtype})
        lines.append("tolerances: " + "; ".join(bases))
        lines.append(f"resize matrices vs tf.image.resize (identity basis): max abs "
                     f"{self.resize_matrix_vs_tf_native:.3e}")
        lines.append("environment: " + ", ".join(f"{k}={v}" for k, v in self.environment.items()))
        lines.append(verdict(self.passed))
        return "\n".join(lines)

    def to_json(self) -> str:
        data = asdict(self)
        for d, diff in zip(data["diffs"], self.diffs):
            d["status"] = diff.status
        data["passed"] = self.passed
        data["pointwise_threshold"] = POINTWISE_THRESHOLD
        return json.dumps(data, indent=2)


def _load_image(req: PipelineParityRequest) -> tuple[np.ndarray, str]:
    if req.image is not None:
        from panoconv.io.images import load_rgb

        return load_rgb(req.image).pixels.astype(np.float64), str(req.image)
    h, w = req.size
    rng = np.random.default_rng(req.seed)
    # smooth structure plus noise, so resizes and the network see realistic, non-constant input
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    base = 0.5 + 0.25 * np.sin(2 * np.pi * (3 * xx[..., None] + np.array([0.0, 0.3,
                                                                          0.6]))) * np.cos(5 * yy[..., None])
    return np.clip(base + 0.1 * rng.standard_normal((h, w, 3)), 0, 1), f"synthetic panorama (seed {req.seed})"


def stage_errors(a: np.ndarray, b: np.ndarray) -> dict[str, float | bool]:
    """max_abs, span, range_rel, p99/max pointwise_rel, share_over and nan_mask_equal of candidate a vs
    reference b (`compare.METRICS`), over the elements where neither is NaN."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    nan_equal = bool(np.array_equal(np.isnan(a64), np.isnan(b64)))
    ok = ~(np.isnan(a64) | np.isnan(b64))
    if not ok.any():
        return dict(max_abs=0.0, span=0.0, range_rel=0.0, p99_pointwise_rel=0.0, max_pointwise_rel=0.0,
                    share_over=0.0, nan_mask_equal=nan_equal)
    s = error_stats(a64[ok], b64[ok])
    rel = pointwise_rel(a64[ok], b64[ok])
    return dict(max_abs=s.max_abs, span=s.span, range_rel=s.range_rel,
                p99_pointwise_rel=float(np.percentile(rel, 99)), max_pointwise_rel=float(rel.max()),
                share_over=float(np.mean(rel > POINTWISE_THRESHOLD)), nan_mask_equal=nan_equal)


def _torch_stages(model, image: np.ndarray, req: PipelineParityRequest) -> tuple[dict[str, np.ndarray],
                                                                                 object]:
    from panoconv.arch import card_of
    from panoconv.inference.pipeline import configure_model, finish, make_plan, prepare, run_network, to_chw

    dtype = next(model.parameters()).dtype
    x = to_chw(image, dtype)
    card = card_of(model)
    plan = make_plan(x.shape[1], x.shape[2], req.camera, card, req.layout)
    configure_model(model, card, plan)
    net_in = prepare(x, plan)
    net_out = run_network(model, net_in[None], card, True, [plan.flip_edge_blend])[0]
    final = finish(net_out, plan)
    return {"net_input": net_in.permute(1, 2, 0).numpy(), "net_output": net_out.numpy(),
            "final": final.numpy()}, plan


def _torch_network_alone(model, net_input_hwc: np.ndarray, plan) -> np.ndarray:
    """PyTorch's network + flip average fed TF's own network input (the network's drift alone)."""
    import torch

    from panoconv.arch import card_of
    from panoconv.inference.pipeline import run_network

    x = torch.from_numpy(np.ascontiguousarray(net_input_hwc.transpose(2, 0, 1)))[None]
    return run_network(model, x.to(next(model.parameters()).dtype), card_of(model), True,
                       [plan.flip_edge_blend])[0].numpy()


def _native_resize_error(plan) -> float:
    """max |R_ours - R_tf| for each matrix resize the plan uses, R_tf pushed through tf.image.resize
    (the 8-bit Pillow input resize of `resample="upstream"` is compared with Pillow itself instead)."""
    from panoconv.inference.pipeline import IMAGE_KERNEL, OUTPUT_KERNELS
    from panoconv.inference.resize import resize_matrix
    from panoconv.tf_reference._tf import import_tf

    tf = import_tf()
    native = {"lanczos3": "lanczos3", "triangle": "bilinear", "bilinear": "bilinear"}
    p = plan.panorama
    out_kernel = OUTPUT_KERNELS[plan.resample]
    pairs = [(p.resized_height, p.crop_height, out_kernel), (p.net_width, p.width, out_kernel)] if p else []
    if p is not None and plan.resample == "float":
        pairs += [(p.crop_height, p.resized_height, IMAGE_KERNEL), (p.width, p.net_width, IMAGE_KERNEL)]
    worst = 0.0
    for n_in, n_out, kernel in pairs:
        eye = np.eye(n_in, dtype=np.float32).reshape(1, n_in, n_in, 1)
        got = tf.image.resize(eye, (n_out, n_in), method=native[kernel],
                              antialias=kernel != "bilinear").numpy()[0, :, :, 0]
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
    stages = Stages("verify --pipeline")
    for dtype in req.dtypes:
        model = torch_model_from_tf(values, dtype)
        stages.step(f"{dtype}: PyTorch pipeline")
        ours, plan = _torch_stages(model, image.astype(dtype), req)
        stages.step(f"{dtype}: TensorFlow pipeline")
        ref = predict_stages(values, image.astype(dtype), req.camera, layout=req.layout, dtype=dtype)
        ours["network"] = _torch_network_alone(model, ref["net_input"], plan)
        ref["network"] = ref["net_output"]
        errors = {stage: stage_errors(ours[stage], ref[stage]) for stage in STAGES}
        net = errors["network"]
        # the network's absolute drift (floored), as a range_rel of each later stage's own range
        drift_abs = max(float(net["max_abs"]), DRIFT_FLOOR[dtype] * float(net["span"]))

        def after_network(stage: str) -> tuple[float, str]:
            span = float(errors[stage]["span"])  # noqa: B023  (called within this iteration)
            return (DRIFT_SLACK * drift_abs / span if span > 0 else 0.0,  # noqa: B023
                    f"{DRIFT_SLACK:g} x network-alone max_abs drift")

        budget = {"net_input": (INPUT_TOLERANCE[dtype], "resize rounding"),
                  "network": (req.tolerance[dtype], "float drift bound (README)"),
                  "net_output": after_network("net_output"), "final": after_network("final")}
        for stage in STAGES:
            tol, basis = budget[stage]
            diffs.append(StageDiff(dtype, stage, tuple(ours[stage].shape), **errors[stage], tolerance=tol,
                                   basis=basis))
    native = _native_resize_error(plan) if req.check_native_resize else float("nan")
    return PipelineParityReport(label, (image.shape[0], image.shape[1]), plan.net_size, req.layout.resample,
                                diffs, native, environment(req.seed))
