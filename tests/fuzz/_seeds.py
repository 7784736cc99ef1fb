"""Valid tiny inputs for each reader, and the seeded mutations the fuzz suite applies to them.

Mutations are structural where the format has checksums (a flipped byte in a CRC-protected `.index`
block only ever reaches the CRC check): the bytes are damaged first, then the CRCs are recomputed,
so the parser behind the checksum is exercised too.
"""

from __future__ import annotations

import io
import json
import random
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tests.readers._craft import block_body, bundle_entries, table, write_files

INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 31, (1 << 63) - 1, 1 << 40]


def tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    return {
        "model/encoder/Conv/weights": rng.standard_normal((3, 3, 3, 4)).astype(np.float32),
        "model/encoder/Conv/biases": rng.standard_normal(4).astype(np.float32),
        "model/decoder/Conv/weights/Adam": rng.standard_normal((2, 2)).astype(np.float32),
        "model/decoder/x": rng.standard_normal((2, 5)).astype(np.float64),
        "global_step": np.array(9, dtype=np.int64),
    }


class Unmutated(random.Random):
    """A generator under which every case writes its valid seed (for warming up the worker)."""

    def random(self) -> float:
        return 1.0

    def getrandbits(self, k: int) -> int:  # keeps randrange on getrandbits (not on the fixed random())
        return super().getrandbits(k)


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """One to three generic mutations: bit flip, interesting value, truncation, insertion, duplication."""
    if isinstance(rng, Unmutated):
        return data
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(6)
        pos = rng.randrange(len(out)) if out else 0
        if kind == 0 and out:
            out[pos] ^= 1 << rng.randrange(8)
        elif kind == 1 and out:
            value = rng.choice(INTERESTING)
            width = rng.choice([1, 4, 8])
            order = rng.choice(["little", "big"])
            out[pos:pos + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, order)
        elif kind == 2:
            del out[pos:]
        elif kind == 3:
            out[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif kind == 4 and out:
            end = min(len(out), pos + rng.randint(1, 64))
            out[pos:pos] = out[pos:end]
        elif out:
            out[pos] = rng.choice([0, 0xFF, 0x80, 0x7F])
    return bytes(out)


def _varint_field_hack(value: bytes, rng: random.Random) -> bytes:
    """Replace one varint-looking run with an interesting number (LEB128), keeping the rest."""
    from tests.readers._craft import varint

    if isinstance(rng, Unmutated):
        return value
    pos = rng.randrange(len(value)) if value else 0
    return value[:pos] + varint(rng.choice(INTERESTING + [-1 & (1 << 64) - 1])) + value[pos + 1:]


# ---- TF bundle: index table, one entry, data shard -----------------------------------------------

def bundle_case(kind: str, folder: Path, rng: random.Random) -> list[str]:
    entries, data = bundle_entries(tensors())
    if kind == "index":
        bodies = [block_body(entries[i:i + 2]) for i in range(0, len(entries), 2)]
        if rng.random() < 0.3:
            index = mutate_bytes(table(bodies), rng)  # footer, trailers, CRCs themselves
        else:
            i = rng.randrange(len(bodies))
            bodies[i] = mutate_bytes(bodies[i], rng)
            handles = None
            if rng.random() < 0.3:  # point handles anywhere
                handles = [(rng.randrange(400), rng.randrange(400)) for _ in range(rng.randint(1, 4))]
            index = table(bodies, handles)
    elif kind == "entry":
        i = rng.randrange(len(entries))
        key, value = entries[i]
        value = _varint_field_hack(value, rng) if rng.random() < 0.5 else mutate_bytes(value, rng)
        entries[i] = (key, value)
        index = table([block_body(entries)])
    else:  # shard
        index = table([block_body(entries)])
        data = mutate_bytes(data, rng)
    write_files(folder / "model", index, data)
    return ["extract", "model", "-o", "out"]


# ---- Keras h5 ------------------------------------------------------------------------------------

def _h5_seed(path: Path) -> None:
    import h5py

    with h5py.File(path, "w") as f:
        for i, (_name, value) in enumerate(tensors().items()):
            f[f"layers/l{i}/vars/0"] = value
        f.attrs["note"] = "seed"


def h5_case(folder: Path, rng: random.Random) -> list[str]:
    path = folder / "w.h5"
    _h5_seed(path)
    raw = path.read_bytes()
    path.write_bytes(raw[:8] + mutate_bytes(raw[8:], rng))  # keep the signature: reach the parser
    return ["extract", "w.h5", "-o", "out"]


# ---- raw-numpy store (npz without manifest: convert reads every member) ---------------------------

def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def store_case(folder: Path, rng: random.Random) -> list[str]:
    members = {f"{name.replace('/', '.')}.npy": _npy(v) for name, v in tensors().items()}
    if rng.random() < 0.5:  # damage a member's header or data, then zip it correctly
        name = rng.choice(sorted(members))
        members[name] = mutate_bytes(members[name], rng)
    buf = io.BytesIO()
    compression = zipfile.ZIP_DEFLATED if rng.random() < 0.5 else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    raw = buf.getvalue()
    if rng.random() < 0.5:
        raw = mutate_bytes(raw, rng)  # central directory, local headers, CRCs
    (folder / "s.npz").write_bytes(raw)
    return ["convert", "s.npz", "-o", "out.safetensors"]


# ---- safetensors (predict reads it first) -------------------------------------------------------

def safetensors_case(folder: Path, rng: random.Random) -> list[str]:
    import torch
    from safetensors.torch import save

    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in tensors().items()}
    raw = save(state, metadata={"architecture": "monodepth-vgg"})
    (length,) = struct.unpack("<Q", raw[:8])
    header, body = raw[8:8 + length], raw[8 + length:]
    if rng.random() < 0.5:  # edit the JSON header and keep it well-formed where possible
        meta = json.loads(header)
        key = rng.choice([k for k in meta if k != "__metadata__"])
        field = rng.choice(["dtype", "shape", "data_offsets"])
        meta[key][field] = rng.choice([[1 << 40], [-1, 2], [0, 1 << 62], "F64", "BOOL", [3, 3, 3, 4], 7,
                                       None])
        if rng.random() < 0.3:
            meta["__metadata__"] = {"architecture": rng.choice(["../../x", "resnet9000", "monodepth-vgg"]),
                                    "tensors_sha256": "0" * 64}
        header = json.dumps(meta).encode()
        raw = struct.pack("<Q", len(header)) + header + body
    else:
        raw = mutate_bytes(raw, rng)
    (folder / "w.safetensors").write_bytes(raw)
    from PIL import Image

    Image.fromarray(np.zeros((32, 64, 3), np.uint8)).save(folder / "img.png")
    return ["predict", "-w", "w.safetensors", "img.png", "-o", "out"]


CASES: dict[str, Callable[[Path, random.Random], list[str]]] = {
    "index": lambda folder, rng: bundle_case("index", folder, rng),
    "entry": lambda folder, rng: bundle_case("entry", folder, rng),
    "shard": lambda folder, rng: bundle_case("shard", folder, rng),
    "h5": h5_case,
    "store": store_case,
    "safetensors": safetensors_case,
}
