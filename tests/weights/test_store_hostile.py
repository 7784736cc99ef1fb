"""Hostile weight stores and weights files: bounded before allocation, verified where recorded, one line."""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pytest
import torch

from panoconv.errors import CheckpointError
from panoconv.weights import load_weights, save_weights
from panoconv.weights.store import open_store


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def _npy_header_only(shape, dtype="<f4") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _npz(path, members: dict[str, bytes], compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _read_all(path):
    store = open_store(path)
    return {n: store.read(n) for n in store.names()}


def test_smoke_plain_npz_and_folder(tmp_path):
    value = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(_read_all(_npz(tmp_path / "s.npz", {"a.npy": _npy(value)}))["a"], value)
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "a.npy").write_bytes(_npy(np.asfortranarray(value)))
    assert np.array_equal(_read_all(tmp_path / "f")["a"], value)


def test_exception_deflate_bomb_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z, z.open("a.npy", "w") as f:
        f.write(_npy_header_only((20 << 22,), "|u1"))
        zeros = bytes(1 << 22)
        for _ in range(20):  # 80 MiB of zeros deflate to ~80 KB
            f.write(zeros)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(CheckpointError, match="compression bomb"):
        _read_all(path)


@pytest.mark.parametrize("shape, match", [
    ((1 << 40,), "declares|too large"),  # 2^40 elements: over the tensor limit
    ((1 << 20,), "only .* bytes follow"),  # fits the limit, not the member
    ((-1, 2), "negative|not a readable"),
])
def test_exception_declared_shape_beyond_the_data(tmp_path, shape, match):
    header = _npy_header_only(shape)
    path = _npz(tmp_path / "s.npz", {"a.npy": header + b"\0" * 64})
    with pytest.raises(CheckpointError, match=match):
        _read_all(path)
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "a.npy").write_bytes(header + b"\0" * 64)
    with pytest.raises(CheckpointError, match=match):
        _read_all(tmp_path / "f")


def test_exception_nested_npz_member(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("x.npy", _npy(np.ones(3)))
    path = _npz(tmp_path / "s.npz", {"a.npy": inner.getvalue()})
    with pytest.raises(CheckpointError, match=r"s.npz:a.npy: not a readable numpy array"):
        _read_all(path)


def test_exception_pickled_object_array(tmp_path):
    buf = io.BytesIO()
    np.save(buf, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(CheckpointError, match="not a numeric array"):
        _read_all(_npz(tmp_path / "s.npz", {"a.npy": buf.getvalue()}))


def test_exception_empty_store(tmp_path):
    with pytest.raises(CheckpointError, match="holds no tensors"):
        open_store(_npz(tmp_path / "s.npz", {"readme.txt": b"hi"}))


def test_exception_fifo_member_in_folder(tmp_path):
    (tmp_path / "f").mkdir()
    os.mkfifo(tmp_path / "f" / "a.npy")
    with pytest.raises(CheckpointError, match="not a regular file"):
        _read_all(tmp_path / "f")


def test_exception_trailing_data_in_member(tmp_path):
    path = _npz(tmp_path / "s.npz", {"a.npy": _npy(np.ones(3)) + b"junk"})
    with pytest.raises(CheckpointError, match="data after the array"):
        _read_all(path)


@pytest.fixture
def weights(tmp_path):
    state = {"a.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.ones(2)}
    return save_weights(state, tmp_path / "w.safetensors", {"architecture": "monodepth-vgg"}), state


def test_safetensors_sha256_recorded_and_verified(weights):
    path, state = weights
    loaded, meta = load_weights(path)
    assert len(meta["tensors_sha256"]) == 64 and torch.equal(loaded["a.weight"], state["a.weight"])
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0x01  # last byte of the last tensor
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="differ from the SHA-256 recorded"):
        load_weights(path)


@pytest.mark.parametrize("arch", ["../../etc/passwd", "/tmp/x", "a b", ""])
def test_exception_path_like_architecture_in_metadata(tmp_path, arch):
    from safetensors.torch import save_file

    path = tmp_path / "w.safetensors"
    save_file({"x": torch.ones(1)}, str(path), metadata={"architecture": arch})
    with pytest.raises(CheckpointError, match="is not an architecture name"):
        load_weights(path)


def test_exception_unknown_architecture_in_metadata_names_the_file(weights):
    from safetensors.torch import save_file

    from panoconv.weights import load_model

    path = weights[0]
    save_file({"x": torch.ones(1)}, str(path), metadata={"architecture": "resnet9000"})
    with pytest.raises(CheckpointError, match=r"w.safetensors: metadata names an unknown architecture"):
        load_model(path)


class _Evil:
    def __reduce__(self):
        return (os.system, ("true",))


def test_exception_pickled_pt_is_one_line_without_unsafe_advice(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"state_dict": {"x": torch.ones(1)}, "hook": _Evil()}, path)
    with pytest.raises(CheckpointError) as err:
        load_weights(path)
    message = str(err.value)
    assert "\n" not in message and "weights_only=False" not in message and "refused" in message
