"""Non-finite values found before they reach the warp, with a message that names where they came from.

A NaN disparity sent into the warp becomes a NaN sample column, `floor(NaN).long()` a huge gather
index, and the step dies with an index error deep inside the sampler, before the NaN-loss stop can say
anything useful. So the trainer checks, in this order: the `--init` weights when loading them (the
file and tensor are named), every batch before the forward (the data list line when the data set can
`describe(index)` it), and the network's disparity inside the loss (`NonFiniteError`), which the
trainer turns into `TrainingDiverged` naming the parameters that went non-finite.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from panoconv.losses._finite import all_finite


def nonfinite_samples(batch: Mapping[str, Any]) -> tuple[list[str], list[int]]:
    """(fields holding NaN/inf, positions in the batch of the samples affected)."""
    named = [(k, v) for k, v in batch.items()
             if isinstance(v, torch.Tensor) and v.is_floating_point() and v.dim() > 0]
    fields, rows = [], set()
    for (name, value), ok in zip(named, all_finite([v for _, v in named])):
        if not ok:
            fields.append(name)
            finite = torch.isfinite(value).reshape(value.shape[0], -1).all(dim=1)
            rows.update(torch.nonzero(~finite).flatten().tolist())
    return fields, sorted(rows)


def describe_rows(datasets: list, dataset: int, indices: list[int], rows: list[int]) -> str:
    """Where the batch rows `rows` came from: `describe(i)` of the data set if it has one, else the index."""
    ds = datasets[dataset]
    offset = sum(len(d) for d in datasets[:dataset])
    local = [indices[r] - offset for r in rows if r < len(indices)]
    if hasattr(ds, "describe"):
        return "; ".join(ds.describe(i) for i in local[:3]) + (" ..." if len(local) > 3 else "")
    return f"samples {local[:5]} of training data set {dataset + 1}"
