"""Architectures as data: layer lists and TF <-> PyTorch name tables, shared by every part of panoconv."""

from panoconv.arch._mapping import Layout, TensorMapping

__all__ = ["Layout", "TensorMapping"]
