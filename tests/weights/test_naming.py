"""Tensor names from a checkpoint can never become files outside the store, nor overwrite each other."""

from __future__ import annotations

import pytest

from panoconv.weights.naming import UnsafeNameError, file_name, file_names, tf_name_from_file


def test_earlier_port_convention():
    assert file_name("model/encoder/Conv/weights") == "model.encoder.Conv.weights:0.npy"
    assert tf_name_from_file("model.decoder.Conv_17.biases:0.npy") == "model/decoder/Conv_17/biases"


@pytest.mark.parametrize("name", [
    "", "../evil", "a/../../etc/passwd", "/abs/path", "a//b", "a/./b", "..", ".hidden", "a\\b",
    "a\x00b", "a\nb", "a:b", "x" * 300,
])
def test_exception_unsafe_names(name):
    with pytest.raises(UnsafeNameError):
        file_name(name)


def test_tf2_names_are_allowed():
    assert file_name("net/kernel/.ATTRIBUTES/VARIABLE_VALUE") == "net.kernel..ATTRIBUTES.VARIABLE_VALUE:0.npy"


@pytest.mark.parametrize("pair", [("a/b", "a.b"), ("Model/w", "model/W")])
def test_exception_collisions(pair):
    with pytest.raises(UnsafeNameError, match="both map to file"):
        file_names(list(pair))
