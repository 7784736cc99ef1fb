"""The same weights for both frameworks: TF restores them itself; PyTorch gets them through the name table."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np
import torch

from panoconv.arch import monodepth_vgg as arch
from panoconv.errors import PanoconvError


def tf_reference_weights(checkpoint: Path) -> dict[str, np.ndarray]:
    """The 64 model tensors as TensorFlow itself restores them (independent of panoconv's reader)."""
    from panoconv.converter.readers import open_checkpoint
    from panoconv.tf_reference._tf import import_tf

    tf = import_tf()
    prefix = str(open_checkpoint(checkpoint).path)
    try:
        reader = tf.train.load_checkpoint(prefix)
        available = reader.get_variable_to_shape_map()
        missing = [r.tf_name for r in arch.NAME_TABLE if r.tf_name not in available]
        if missing:
            raise PanoconvError(f"{checkpoint}: not a monodepth-vgg checkpoint; {len(missing)} tensors missing, "
                                f"e.g. {', '.join(missing[:3])}")
        return {r.tf_name: reader.get_tensor(r.tf_name) for r in arch.NAME_TABLE}
    except tf.errors.OpError as err:
        raise PanoconvError(f"{checkpoint}: TensorFlow cannot restore it ({err.message.splitlines()[0]})") from None


def torch_model_from_tf(values: Mapping[str, np.ndarray], dtype: str | torch.dtype = "float32",
                        ring_pad: bool = False) -> torch.nn.Module:
    """A PyTorch monodepth-vgg holding `values` (TF names and layouts), in `dtype`, eval mode."""
    from panoconv.pt_model import create_model

    model = create_model("monodepth-vgg", ring_pad=ring_pad)
    state = {row.torch_name: torch.from_numpy(row.layout.to_torch(np.asarray(values[row.tf_name])))
             for row in arch.NAME_TABLE}
    model.load_state_dict(state, strict=True)
    return model.to(getattr(torch, dtype) if isinstance(dtype, str) else dtype).eval()
