"""panoconv.converter: read TensorFlow/Keras checkpoints and map them onto the PyTorch model."""

from panoconv.converter.readers import CheckpointReader, TensorInfo, is_optimizer_state, open_checkpoint

__all__ = ["CheckpointReader", "TensorInfo", "is_optimizer_state", "open_checkpoint"]
