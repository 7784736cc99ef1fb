from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class LossOutput:
    """`total` is what gets backpropagated; `terms` are its named parts (for logging and parity)."""

    total: torch.Tensor
    terms: dict[str, torch.Tensor] = field(default_factory=dict)

    def scalars(self) -> dict[str, float]:
        """Detached Python floats of the total and every term, for logs."""
        out = {"total": float(self.total.detach())}
        out.update({k: float(v.detach()) for k, v in self.terms.items()})
        return out
