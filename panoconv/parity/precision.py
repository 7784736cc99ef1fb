"""What a reduced precision does to evaluation numbers: the same model evaluated in float32 and under
autocast on a small seeded synthetic set (rendered on the fly), so `verify --precision bf16` can say
how much abs_rel, rmse and a1 move, not only how far single tensors drift."""

from __future__ import annotations

import tempfile
from pathlib import Path

from torch import nn

SYNTH_SCENES = 4  # all in the test split (fractions must stay below 1: 0.99 rounds to 4 of 4)
SYNTH_SIZE = (128, 256)


def synthetic_metric_change(model: nn.Module, precision: str, seed: int = 0) -> dict[str, dict[str, float]]:
    """{"fp32": metrics, precision: metrics, "relative_change": (low - fp32) / |fp32|} on `SYNTH_SCENES`
    rectilinear synthetic scenes (the test split of `panoconv synth`), flip post-processing on."""
    from panoconv.data.synth import SynthRequest, generate
    from panoconv.evaluation.evaluate import EvaluateRequest, evaluate

    with tempfile.TemporaryDirectory(prefix="panoconv-precision-") as tmp:
        root = generate(SynthRequest(out=Path(tmp) / "synth", kind="rectilinear", count=SYNTH_SCENES,
                                     height=SYNTH_SIZE[0], width=SYNTH_SIZE[1], seed=seed, val_fraction=0.0,
                                     test_fraction=0.99, progress=False))
        rows = {p: evaluate(EvaluateRequest(weights=(), data=root, kind="synth", models=(model,),
                                            progress=False,
                                            precision=p)).rows[0].metrics for p in ("fp32", precision)}
    change = {k: (rows[precision][k] - v) / abs(v) if v else 0.0 for k, v in rows["fp32"].items()}
    return {"fp32": rows["fp32"], precision: rows[precision], "relative_change": change}
