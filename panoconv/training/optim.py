"""`TF1Adam`: `tf.compat.v1.train.AdamOptimizer` reproduced in PyTorch, operation by operation.

TensorFlow's CPU kernel (`ApplyAdamNonCuda`, training_ops.cc), per step t = 1, 2, ...:

    alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)          (a scalar in the variable's dtype)
    m    += (g - m) * (1 - beta1)
    v    += (g * g - v) * (1 - beta2)
    var  -= (m * alpha) / (sqrt(v) + epsilon)

`torch.optim.Adam` instead divides by (sqrt(v) / sqrt(1 - beta2^t) + eps), i.e. its epsilon is
not scaled by the bias correction, so the two drift apart (most where v is small).

Two more TF1 details reproduced (`tf1_float32_hyperparams=True`, the default):
- `beta1_power` / `beta2_power` are float32 variables (created from Python floats), updated as
  `beta1_power *= beta1` in float32 after every step, and cast to the variable dtype when used;
- lr, beta1, beta2 and epsilon are float32 tensors cast to the variable dtype, so a float64
  variable sees e.g. lr = float64(float32(1e-4)).
With float32 parameters both details are no-ops. Step counting is global (one `beta*_power` pair
per optimizer in TF; here per parameter group, which is the same when all groups step together).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from torch.optim import Optimizer


class TF1Adam(Optimizer):
    """Adam exactly as TensorFlow 1's `AdamOptimizer` (defaults lr 1e-3, betas (0.9, 0.999), eps 1e-8).

    Group state: `beta1_power`, `beta2_power` (float32 Python floats; beta^(t+1) after t steps, as
    TF stores them). Parameter state: `m`, `v` (TF slot names `Adam`, `Adam_1`). Round-trips
    through `state_dict()` / `load_state_dict()`.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, tf1_float32_hyperparams: bool = True) -> None:
        if not lr >= 0.0:
            raise ValueError(f"invalid learning rate {lr}")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"invalid betas {betas}; both must be in [0, 1)")
        if not eps >= 0.0:
            raise ValueError(f"invalid epsilon {eps}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, tf1_float32_hyperparams=tf1_float32_hyperparams)
        super().__init__(params, defaults)
        for group in self.param_groups:
            self._init_powers(group)

    def _init_powers(self, group: dict) -> None:
        b1, b2 = group["betas"]
        cast = np.float32 if group["tf1_float32_hyperparams"] else float
        group.setdefault("beta1_power", float(cast(b1)))
        group.setdefault("beta2_power", float(cast(b2)))

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        self._init_powers(self.param_groups[-1])

    @staticmethod
    def _scalars(group: dict, dtype: torch.dtype) -> dict[str, Any]:
        """Hyper-parameters as the kernel sees them, as numpy scalars of the parameter dtype."""
        np_dtype = {torch.float32: np.float32, torch.float64: np.float64}.get(dtype)
        if np_dtype is None:
            raise TypeError(f"TF1Adam supports float32 and float64 parameters, got {dtype}")
        b1, b2 = group["betas"]
        lr, eps = group["lr"], group["eps"]
        if group["tf1_float32_hyperparams"]:
            lr, b1, b2, eps = (np.float32(x) for x in (lr, b1, b2, eps))
        lr, b1, b2, eps = (np_dtype(x) for x in (lr, b1, b2, eps))
        b1p, b2p = np_dtype(group["beta1_power"]), np_dtype(group["beta2_power"])
        one = np_dtype(1)
        alpha = lr * np.sqrt(one - b2p) / (one - b1p)
        return {"alpha": alpha, "one_minus_b1": one - b1, "one_minus_b2": one - b2, "eps": eps}

    @torch.no_grad()
    def step(self, closure=None):  # type: ignore[override]
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError("TF1Adam does not support sparse gradients")
                s = self._scalars(group, p.dtype)
                state = self.state[p]
                if not state:
                    state["m"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["v"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                m, v, g = state["m"], state["v"], p.grad

                def t(x: Any) -> torch.Tensor:
                    return torch.tensor(x, dtype=p.dtype, device=p.device)  # noqa: B023

                # m += (g - m) * (1 - beta1); v += (g * g - v) * (1 - beta2);
                # var -= (m * alpha) / (sqrt(v) + eps): the same operations in the same order (so the same
                # bits), computed in place in one scratch buffer. Fresh temporaries per operation made
                # the update 4x slower (31.6M parameters, 1 thread, idle: 474 -> 117 ms). TF's fused
                # kernel is still faster (benchmarks/bench_adam.py): this is 12 memory passes, it is one.
                buf = torch.sub(g, m)
                buf.mul_(t(s["one_minus_b1"]))
                m.add_(buf)
                torch.mul(g, g, out=buf)
                buf.sub_(v)
                buf.mul_(t(s["one_minus_b2"]))
                v.add_(buf)
                denom = torch.sqrt(v)
                denom.add_(t(s["eps"]))
                torch.mul(m, t(s["alpha"]), out=buf)
                buf.div_(denom)
                p.sub_(buf)
            # TF's _finish: beta powers advance once per apply, in float32.
            b1, b2 = group["betas"]
            if group["tf1_float32_hyperparams"]:
                group["beta1_power"] = float(np.float32(group["beta1_power"]) * np.float32(b1))
                group["beta2_power"] = float(np.float32(group["beta2_power"]) * np.float32(b2))
            else:
                group["beta1_power"] = group["beta1_power"] * b1
                group["beta2_power"] = group["beta2_power"] * b2
        return loss
