"""What changes numbers between runs, recorded in every parity report."""

from __future__ import annotations

import platform

import numpy as np
import torch

from panoconv import __version__


def environment(seed: int, with_tf: bool = True) -> dict[str, object]:
    env: dict[str, object] = {
        "panoconv": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "torch_onednn": bool(torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled),
        "seed": seed,
    }
    if with_tf:
        from panoconv.tf_reference._tf import import_tf, onednn_setting, tf_thread_counts

        env["tensorflow"] = import_tf().__version__
        env["tf_onednn"] = onednn_setting()
        env.update(tf_thread_counts())
    return env
