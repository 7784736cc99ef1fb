"""`load_model(path)`: a ready PyTorch model from converted or trained weights, loaded strictly."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from panoconv.errors import WeightMappingError
from panoconv.pt_model import create_model
from panoconv.weights.files import load_weights

DEFAULT_ARCHITECTURE = "monodepth-vgg"


def load_model(path: Path | str, *, architecture: str | None = None, ring_pad: bool | None = None,
               dtype: torch.dtype = torch.float32) -> nn.Module:
    """Build the architecture named in the file's metadata (or `architecture`) and load it strictly.

    `ring_pad=None` keeps the setting recorded at conversion (default off). Missing, unexpected and
    shape-mismatched keys are all listed in the error.
    """
    state, metadata = load_weights(Path(path))
    arch = architecture or metadata.get("architecture", DEFAULT_ARCHITECTURE)
    kwargs = {}
    if arch == DEFAULT_ARCHITECTURE:
        recorded = metadata.get("ring_pad", "false").lower() == "true"
        kwargs["ring_pad"] = recorded if ring_pad is None else ring_pad
    model = create_model(arch, **kwargs)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    mismatched = [(k, tuple(expected[k].shape), tuple(state[k].shape)) for k in sorted(set(state) & set(expected))
                  if expected[k].shape != state[k].shape]
    if missing or unexpected or mismatched:
        detail = "; ".join(f"{len(v)} {label}: {', '.join(str(x) for x in v[:5])}" for label, v in
                           (("missing", missing), ("unexpected", unexpected), ("mismatched", mismatched)) if v)
        raise WeightMappingError(f"{path}: weights do not fit {arch}: {detail}", missing, unexpected, mismatched)
    model.load_state_dict(state, strict=True)
    return model.to(dtype).eval()
