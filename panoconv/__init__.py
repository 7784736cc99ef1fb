"""panoconv: TensorFlow monodepth-family checkpoints to PyTorch, proven faithful, and trainable there."""

__version__ = "0.1.0"
