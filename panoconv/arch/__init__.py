"""Architectures as data: layer lists and TF <-> PyTorch name tables, shared by every part of panoconv."""

from panoconv.arch._mapping import Layout, TensorMapping

__all__ = ["Layout", "TensorMapping"]


def name_table(architecture: str) -> tuple[TensorMapping, ...]:
    """The TF <-> PyTorch name table of a TensorFlow-born architecture."""
    from panoconv.arch import monodepth_vgg

    tables = {"monodepth-vgg": monodepth_vgg.NAME_TABLE}
    if architecture not in tables:
        raise KeyError(f"no TensorFlow name table for {architecture!r}; known: {', '.join(sorted(tables))}")
    return tables[architecture]


__all__ += ["name_table"]
