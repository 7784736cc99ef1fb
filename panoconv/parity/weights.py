"""The same weights for both frameworks: TF restores them itself; PyTorch gets them through the name table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from panoconv.arch import DEFAULT_ARCH, ArchCard, get_card
from panoconv.errors import PanoconvError


def _card(architecture: str | ArchCard) -> ArchCard:
    return get_card(architecture) if isinstance(architecture, str) else architecture


def tf_reference_weights(checkpoint: Path,
                         architecture: str | ArchCard = DEFAULT_ARCH) -> dict[str, np.ndarray]:
    """The card's model tensors as TensorFlow itself restores them (independent of panoconv's reader)."""
    from panoconv.readers import open_checkpoint
    from panoconv.tf_reference._tf import import_tf

    card = _card(architecture)
    card.require_tf()
    tf = import_tf()
    prefix = str(open_checkpoint(checkpoint).path)
    try:
        reader = tf.train.load_checkpoint(prefix)
        available = reader.get_variable_to_shape_map()
        missing = [r.tf_name for r in card.tf_name_table if r.tf_name not in available]
        if missing:
            raise PanoconvError(f"{checkpoint}: not a {card.name} checkpoint; {len(missing)} tensors "
                                f"missing, e.g. {', '.join(missing[:3])}")
        return {r.tf_name: reader.get_tensor(r.tf_name) for r in card.tf_name_table}
    except tf.errors.OpError as err:
        first = err.message.splitlines()[0]
        raise PanoconvError(f"{checkpoint}: TensorFlow cannot restore it ({first})") from None


def torch_model_from_tf(values: Mapping[str, np.ndarray], dtype: str | torch.dtype = "float32",
                        ring_pad: bool = False,
                        architecture: str | ArchCard = DEFAULT_ARCH) -> torch.nn.Module:
    """The card's PyTorch model holding `values` (TF names and layouts), in `dtype`, eval mode."""
    card = _card(architecture)
    model = card.build(**({"ring_pad": ring_pad} if card.ring_pad else {}))
    state = {row.torch_name: torch.from_numpy(row.layout.to_torch(np.asarray(values[row.tf_name])))
             for row in card.tf_name_table}
    model.load_state_dict(state, strict=True)
    return model.to(getattr(torch, dtype) if isinstance(dtype, str) else dtype).eval()
