"""What loss parity reports: per-tensor differences, per-dtype results and the whole report."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from panoconv.parity.compare import INFO, error_stats, metric_definitions, verdict


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
    float32_floor: float | None = None  # staged checks: max_rel of TF float32 vs TF float64, same inputs
    float64_error: float | None = None  # staged checks: max_rel of PyTorch float32 vs TF float64, same inputs


@dataclass
class DtypeParity:
    dtype: str
    tolerance: float
    terms: list[TensorDiff] = field(default_factory=list)
    gradients: list[TensorDiff] = field(default_factory=list)
    adam: list[TensorDiff] = field(default_factory=list)
    adam_isolated: list[TensorDiff] = field(default_factory=list)
    loss_backward: list[TensorDiff] = field(default_factory=list)      # float32 staged
    network_backward: list[TensorDiff] = field(default_factory=list)   # float32 staged
    network_backward_onednn: list[TensorDiff] = field(default_factory=list)  # reported only
    floor_flips: list[int] = field(default_factory=list)               # per scale, float32
    warp: str = "rectilinear"
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def end_to_end_gates(self) -> bool:
        """End-to-end gradients / Adam weights decide the verdict in float64 only (module docstring)."""
        return self.dtype != "float32"

    @property
    def loss_backward_gates(self) -> bool:
        """The staged loss backward decides the verdict for the rectilinear warp only: the
        equirectangular warp's float32 trigonometry differs between the frameworks by ~1e-4 px even
        on identical disparities (module docstring)."""
        return self.warp == "rectilinear"

    @property
    def passed(self) -> bool:
        gated = self.terms + self.adam_isolated + self.network_backward  # not network_backward_onednn
        if self.loss_backward_gates:
            gated += self.loss_backward
        if self.end_to_end_gates:
            gated += self.gradients + self.adam
        return all(d.passed for d in gated)

    def worst(self, kind: str) -> TensorDiff | None:
        diffs = getattr(self, kind)
        return max(diffs, key=lambda d: d.max_rel) if diffs else None


#: printed with every equirectangular loss comparison (README "Training loss: where panoconv departs")
EQUIRECT_ROWS_NOTE = (
    "note: in the equirectangular warp, sample rows that leave the image read the zero border here, on both "
    "sides; upstream's TF sampler does not clip them and gathers over the whole batch, which on a GPU reads "
    "the neighbouring image of the batch (batch >= 2) and 0 beyond it, and on a CPU raises. "
    "`train --upstream-loss` (MonodepthLossConfig(equirect_rows='upstream-gpu')) reproduces the GPU reads.")


@dataclass
class LossParityReport:
    request: dict
    environment: dict
    results: list[DtypeParity]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def notes(self) -> list[str]:
        return [EQUIRECT_ROWS_NOTE] if self.request.get("warp") == "equirectangular" else []

    def to_dict(self) -> dict:
        out = {"passed": self.passed, "request": self.request, "environment": self.environment,
               "error_measure": metric_definitions("max_abs", "max_rel"),
               "notes": self.notes(), "results": []}
        for r in self.results:
            d = asdict(r)
            d["passed"] = r.passed
            out["results"].append(d)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_table(self) -> str:
        req = self.request
        lines = [f"loss parity: warp={req['warp']} fov={req['fov']} "
                 f"{req['batch']}x{req['height']}x{req['width']} seed={req['seed']} "
                 f"adam_steps={req['adam_steps']} lr={req['lr']}  "
                 f"tf={self.environment.get('tensorflow')} torch={self.environment.get('torch')} "
                 f"onednn={self.environment.get('tf_onednn')}",
                 metric_definitions("max_abs", "max_rel") + "; INFO = reported, not judged",
                 f"{'dtype':<8} {'what':<13} {'worst tensor':<28} {'max_abs':>10} {'max_rel':>10} "
                 f"{'tol':>8}  status"]
        for r in self.results:
            for kind in ("terms", "gradients", "adam", "adam_isolated", "loss_backward", "network_backward",
                         "network_backward_onednn"):
                w = r.worst(kind)
                if w is None:
                    continue
                ok = all(d.passed for d in getattr(r, kind))
                status = verdict(ok)
                if (kind == "network_backward_onednn"
                        or (kind in ("gradients", "adam") and not r.end_to_end_gates)
                        or (kind == "loss_backward" and not r.loss_backward_gates)):
                    status = f"{INFO} ({'within' if ok else 'over'} tol)"
                floor = ("" if w.float32_floor is None else
                         f", vs float64: torch {w.float64_error:.1e} tf {w.float32_floor:.1e}")
                lines.append(f"{r.dtype:<8} {kind:<13} {w.name:<28} {w.max_abs:10.2e} {w.max_rel:10.2e} "
                             f"{r.tolerance:8.0e}  {status}"
                             f"  ({sum(d.n_over for d in getattr(r, kind))} elements over tol{floor})")
            if r.floor_flips:
                lines.append(f"{'':<8} floor flips per scale (warp pixel pair differs between forwards): "
                             f"{r.floor_flips}")
            for d in r.terms:
                lines.append(f"{'':<8} {'term':<13} {d.name:<28} {d.max_abs:10.2e} {d.max_rel:10.2e}"
                             f"   (tf value {d.reference_max:.10g})")
        lines.extend(self.notes())
        lines.append(f"overall: {verdict(self.passed)}")
        return "\n".join(lines)


def tensor_diff(name: str, tf_name: str, candidate: np.ndarray, reference: np.ndarray,
                tol: float) -> TensorDiff:
    """max_abs and max_rel (`compare.METRICS`) of one tensor, judged max_rel <= tol; n_over counts the
    elements with |a - b| > tol * max|b|."""
    s = error_stats(candidate, reference, name)
    over = np.abs(np.asarray(candidate, np.float64) - np.asarray(reference, np.float64)) > tol * s.ref_max
    return TensorDiff(name, tf_name, s.max_abs, s.max_rel, s.ref_max, s.finite and s.max_rel <= tol,
                      int(np.sum(over)))
