"""Import TensorFlow lazily and quietly, and report the settings that change its numbers."""

from __future__ import annotations

import os
import sys
import tempfile
from types import ModuleType


def import_tf() -> ModuleType:
    """Import tensorflow without its C++ start-up banner. TF_ENABLE_ONEDNN_OPTS is left as the user set it.

    TF 2.21 prints its oneDNN notice through absl before any log level applies, so stderr (fd 2) is
    captured while importing; if the import fails the captured text is written back.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    return tf


def onednn_setting() -> str:
    """oneDNN state as TensorFlow reads it at import: on unless TF_ENABLE_ONEDNN_OPTS=0 (x86 default)."""
    value = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    if value is None:
        return "on (default)"
    return "off" if value.strip() in {"0", "false", "False"} else f"on (TF_ENABLE_ONEDNN_OPTS={value})"


def tf_thread_counts() -> dict[str, int]:
    tf = import_tf()
    return {
        "tf_intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "tf_inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
    }
