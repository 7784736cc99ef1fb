"""Training parity: monodepth loss terms, parameter gradients and Adam steps, PyTorch vs TensorFlow.

`run_loss_parity(LossParityRequest(...))` feeds one seeded smooth stereo pair and identical weights
to both frameworks, per dtype:
- TF: eager, `tf_reference.monodepth.forward` over `tf.Variable`s + `tf_reference.loss`, gradients by
  `tf.GradientTape`, N steps of the real `tf.compat.v1.train.AdamOptimizer`;
- PyTorch: `create_model("monodepth-vgg")` + `losses.monodepth_loss`, autograd, N steps of `TF1Adam`.
Each framework computes its own gradients for its own Adam steps (nothing is copied across).

Error measures (reference = TensorFlow): for a scalar term rel = |a - b| / |b|; for a tensor
max_abs = max|a - b| and max_rel = max|a - b| / max|b| (per tensor, so elements near zero do not
dominate; 0/0 counts as 0). Pass if every max_rel <= the dtype's tolerance.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Mapping, Sequence

import numpy as np
import torch

from panoconv.arch import monodepth_vgg as arch
from panoconv.parity._synthetic import stereo_pair

#: max_rel tolerance per dtype (float64 proves the semantics, float32 measures deployment drift).
TOLERANCES: dict[str, float] = {"float64": 1e-10, "float32": 1e-5}


@dataclass(frozen=True)
class LossParityRequest:
    """What to compare. `weights`: TF name -> array (None = `seeded_weights(seed)`)."""

    weights: Mapping[str, np.ndarray] | None = None
    warp: str = "rectilinear"
    fov: float = 82.5
    dtypes: Sequence[str] = ("float32", "float64")
    height: int = 256
    width: int = 512
    batch: int = 2
    seed: int = 0
    adam_steps: int = 5
    lr: float = 1e-4

    def __post_init__(self) -> None:
        if self.warp not in ("rectilinear", "equirectangular"):
            raise ValueError(f"loss parity supports warp 'rectilinear' or 'equirectangular' (the TF reference "
                             f"has no panorama warp), got {self.warp!r}")
        bad = [d for d in self.dtypes if d not in TOLERANCES]
        if bad:
            raise ValueError(f"unsupported dtypes {bad}; use {list(TOLERANCES)}")
        if self.height % arch.SIZE_MULTIPLE or self.width % arch.SIZE_MULTIPLE:
            raise ValueError(f"height and width must be multiples of {arch.SIZE_MULTIPLE}")
        if self.adam_steps < 0 or self.batch < 1:
            raise ValueError("adam_steps must be >= 0 and batch >= 1")


@dataclass
class TensorDiff:
    """One compared quantity: a loss term, a parameter gradient or a parameter after Adam."""

    name: str              # PyTorch name (or loss term name)
    tf_name: str
    max_abs: float
    max_rel: float
    reference_max: float   # max|TF value|
    passed: bool
    n_over: int = 0        # elements with |a - b| > tol * max|b|


@dataclass
class DtypeParity:
    dtype: str
    tolerance: float
    terms: list[TensorDiff] = field(default_factory=list)
    gradients: list[TensorDiff] = field(default_factory=list)
    adam: list[TensorDiff] = field(default_factory=list)
    adam_isolated: list[TensorDiff] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(d.passed for d in self.terms + self.gradients + self.adam + self.adam_isolated)

    def worst(self, kind: str) -> TensorDiff | None:
        diffs = getattr(self, kind)
        return max(diffs, key=lambda d: d.max_rel) if diffs else None


@dataclass
class LossParityReport:
    request: dict
    environment: dict
    results: list[DtypeParity]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def to_dict(self) -> dict:
        out = {"passed": self.passed, "request": self.request, "environment": self.environment,
               "error_measure": "max|torch - tf| / max|tf| per tensor; |a - b| / |b| per scalar term",
               "results": []}
        for r in self.results:
            d = asdict(r)
            d["passed"] = r.passed
            out["results"].append(d)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_table(self) -> str:
        req = self.request
        lines = [f"loss parity: warp={req['warp']} fov={req['fov']} {req['batch']}x{req['height']}x{req['width']} "
                 f"seed={req['seed']} adam_steps={req['adam_steps']} lr={req['lr']}  "
                 f"tf={self.environment.get('tensorflow')} torch={self.environment.get('torch')} "
                 f"onednn={self.environment.get('tf_onednn')}",
                 f"{'dtype':<8} {'what':<13} {'worst tensor':<28} {'max_abs':>10} {'max_rel':>10} {'tol':>8}  status"]
        for r in self.results:
            for kind in ("terms", "gradients", "adam", "adam_isolated"):
                w = r.worst(kind)
                if w is None:
                    continue
                ok = all(d.passed for d in getattr(r, kind))
                lines.append(f"{r.dtype:<8} {kind:<13} {w.name:<28} {w.max_abs:10.2e} {w.max_rel:10.2e} "
                             f"{r.tolerance:8.0e}  {'PASS' if ok else 'FAIL'}"
                             f"  ({sum(d.n_over for d in getattr(r, kind))} elements over tol)")
            for d in r.terms:
                lines.append(f"{'':<8} {'term':<13} {d.name:<28} {d.max_abs:10.2e} {d.max_rel:10.2e}"
                             f"   (tf value {d.reference_max:.10g})")
        lines.append(f"overall: {'PASS' if self.passed else 'FAIL'}")
        return "\n".join(lines)


def tensor_diff(name: str, tf_name: str, candidate: np.ndarray, reference: np.ndarray, tol: float) -> TensorDiff:
    """max|a - b| and max|a - b| / max|b| (0 when both are 0) for arrays of one shape."""
    a = np.asarray(candidate, dtype=np.float64)
    b = np.asarray(reference, dtype=np.float64)
    if a.shape != b.shape:
        raise AssertionError(f"{name}: shape {a.shape} vs reference {b.shape}")
    max_abs = float(np.max(np.abs(a - b))) if a.size else 0.0
    ref_max = float(np.max(np.abs(b))) if b.size else 0.0
    max_rel = max_abs / ref_max if ref_max > 0 else (0.0 if max_abs == 0 else float("inf"))
    finite = bool(np.all(np.isfinite(a)) and np.all(np.isfinite(b)))
    n_over = int(np.sum(np.abs(a - b) > tol * ref_max))
    return TensorDiff(name, tf_name, max_abs, max_rel, ref_max, finite and max_rel <= tol, n_over)


def _environment(seed: int) -> dict:
    from panoconv.tf_reference._tf import import_tf, onednn_setting, tf_thread_counts

    return {"python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__,
            "tensorflow": import_tf().__version__, "tf_onednn": onednn_setting(), **tf_thread_counts(),
            "torch_threads": torch.get_num_threads(), "torch_interop_threads": torch.get_num_interop_threads(),
            "seed": seed}


def _torch_model(weights: Mapping[str, np.ndarray], dtype: torch.dtype) -> torch.nn.Module:
    from panoconv.pt_model import create_model

    model = create_model("monodepth-vgg", ring_pad=False)
    state = {row.torch_name: torch.from_numpy(row.layout.to_torch(np.asarray(weights[row.tf_name])).astype(np.float64))
             for row in arch.NAME_TABLE}
    model.load_state_dict(state, strict=True)
    return model.to(dtype).train()


def _check_dtype(name: str, arr: np.ndarray, dtype: str) -> None:
    if arr.dtype != np.dtype(dtype):
        raise AssertionError(f"{name} computed in {arr.dtype}, expected {dtype} (a framework changed the dtype)")


def _run_dtype(req: LossParityRequest, weights: Mapping[str, np.ndarray], dtype: str) -> DtypeParity:
    from panoconv.losses.monodepth import MonodepthLossConfig, monodepth_loss
    from panoconv.tf_reference import training as tft
    from panoconv.training.optim import TF1Adam

    tf = tft.tf
    tol = TOLERANCES[dtype]
    result = DtypeParity(dtype, tol)
    left, right = stereo_pair(req.seed, req.batch, req.height, req.width)
    kw = dict(mode=req.warp, fov=req.fov)
    config = MonodepthLossConfig(warp=req.warp, fov_deg=req.fov)  # type: ignore[arg-type]
    tf_left = tf.constant(left.transpose(0, 2, 3, 1).astype(dtype))
    tf_right = tf.constant(right.transpose(0, 2, 3, 1).astype(dtype))
    pt_dtype = getattr(torch, dtype)
    pt_left = torch.from_numpy(left).to(pt_dtype)
    pt_right = torch.from_numpy(right).to(pt_dtype)

    # --- TF: loss terms, gradients, Adam.
    t0 = time.perf_counter()
    params = tft.VariableParams(weights, dtype)
    tf_terms, tf_grads = tft.loss_and_gradients(params, tf_left, tf_right, **kw)
    tf_terms = {k: v.numpy() for k, v in tf_terms.items()}
    tf_grads = {k: g.numpy() for k, g in tf_grads.items()}
    result.seconds["tf_loss_grad"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    opt = tft.adam(req.lr)
    for _ in range(req.adam_steps):
        tft.train_step(params, opt, tf_left, tf_right, **kw)
    tf_after = params.numpy()
    result.seconds["tf_adam"] = time.perf_counter() - t0

    # --- PyTorch: the same.
    t0 = time.perf_counter()
    model = _torch_model(weights, pt_dtype)
    out = monodepth_loss(model(pt_left), pt_left, pt_right, config)
    out.total.backward()
    pt_terms = {"total": out.total.detach().numpy(), **{k: v.detach().numpy() for k, v in out.terms.items()}}
    named = dict(model.named_parameters())
    pt_grads = {name: p.grad.detach().numpy().copy() for name, p in named.items()}
    result.seconds["torch_loss_grad"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    optimizer = TF1Adam(model.parameters(), lr=req.lr)
    for _ in range(req.adam_steps):
        optimizer.zero_grad(set_to_none=True)
        monodepth_loss(model(pt_left), pt_left, pt_right, config).total.backward()
        optimizer.step()
    pt_after = {name: p.detach().numpy() for name, p in model.named_parameters()}
    result.seconds["torch_adam"] = time.perf_counter() - t0

    for name, ref in tf_terms.items():
        _check_dtype(f"TF term {name}", ref, dtype)
        _check_dtype(f"torch term {name}", pt_terms[name], dtype)
        result.terms.append(tensor_diff(name, name, pt_terms[name], ref, tol))
    for row in arch.NAME_TABLE:
        _check_dtype(f"TF gradient {row.tf_name}", tf_grads[row.tf_name], dtype)
        ref_grad = row.layout.to_torch(tf_grads[row.tf_name])
        result.gradients.append(tensor_diff(row.torch_name, row.tf_name, pt_grads[row.torch_name], ref_grad, tol))
        if req.adam_steps:
            ref_w = row.layout.to_torch(tf_after[row.tf_name])
            result.adam.append(tensor_diff(row.torch_name, row.tf_name, pt_after[row.torch_name], ref_w, tol))
    if req.adam_steps:
        result.adam_isolated = _adam_isolated(weights, tf_grads, dtype, req.lr, tol)
    return result


def _adam_isolated(weights: Mapping[str, np.ndarray], tf_grads: Mapping[str, np.ndarray], dtype: str, lr: float,
                   tol: float) -> list[TensorDiff]:
    """One Adam step from the same weights with the same (TF) gradients in both optimizers.

    Separates the optimizer from gradient drift: Adam's update lr * m / (sqrt(v) + eps) is about
    lr * sign(g) at the first step, so float32 gradient noise on tiny gradient elements moves
    weights by up to ~lr in the end-to-end check, which this check does not have.
    """
    from panoconv.tf_reference import training as tft
    from panoconv.training.optim import TF1Adam

    tf = tft.tf
    variables = {n: tf.Variable(np.asarray(weights[n], dtype=dtype)) for n in tf_grads}
    tft.adam(lr).apply_gradients([(tf.constant(tf_grads[n]), variables[n]) for n in tf_grads])
    params = {n: torch.nn.Parameter(torch.from_numpy(np.asarray(weights[n], dtype=dtype).copy())) for n in tf_grads}
    for n, p in params.items():
        p.grad = torch.from_numpy(np.asarray(tf_grads[n]).copy())
    TF1Adam(list(params.values()), lr=lr).step()
    return [tensor_diff(row.torch_name, row.tf_name, row.layout.to_torch(params[row.tf_name].detach().numpy()),
                        row.layout.to_torch(variables[row.tf_name].numpy()), tol) for row in arch.NAME_TABLE]


def run_loss_parity(req: LossParityRequest) -> LossParityReport:
    """Run the comparison for every requested dtype; see the module docstring for what is compared."""
    if req.weights is None:
        from panoconv.tf_reference.checkpoint import seeded_weights

        weights: Mapping[str, np.ndarray] = seeded_weights(req.seed)
    else:
        weights = req.weights
        missing = [row.tf_name for row in arch.NAME_TABLE if row.tf_name not in weights]
        if missing:
            raise KeyError(f"weights lack {len(missing)} variables, e.g. {missing[:3]}")
    request = {f.name: getattr(req, f.name) for f in fields(req) if f.name != "weights"}
    request["dtypes"] = list(req.dtypes)
    request["weights"] = "seeded_weights(seed)" if req.weights is None else "given"
    results = [_run_dtype(req, weights, dtype) for dtype in req.dtypes]
    return LossParityReport(request=request, environment=_environment(req.seed), results=results)
