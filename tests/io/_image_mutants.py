"""Seeded mutants of small valid images (PNG, JPEG, BMP, TIFF, WebP) for the image fuzz tests.

Half of the PNG mutants keep every chunk CRC valid (so they get past the CRC check to the header size
check and the decoder): declared sizes up to 2^31, cut or grown IDAT data, duplicated or dropped chunks.
The rest are format-blind: bit flips, byte runs, truncation, insertion.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

FORMATS = ("PNG", "JPEG", "BMP", "TIFF", "WEBP")


def base_images(rng: np.random.Generator) -> dict[str, bytes]:
    pixels = (rng.random((24, 40, 3)) * 255).astype(np.uint8)
    out = {}
    for fmt in FORMATS:
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, fmt)
        out[fmt] = buf.getvalue()
    return out


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, i = [], 8
    while i + 8 <= len(data):
        n = struct.unpack(">I", data[i:i + 4])[0]
        chunks.append((data[i + 4:i + 8], data[i + 8:i + 8 + n]))
        i += 12 + n
    return chunks


def build_png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    out = b"\x89PNG\r\n\x1a\n"
    for kind, body in chunks:
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return out


def png_header(width: int, height: int, idat: bytes = b"") -> bytes:
    """A PNG that declares `width` x `height` RGB but carries `idat` (default: almost nothing)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return build_png([(b"IHDR", ihdr), (b"IDAT", idat or zlib.compress(b"\0" * 64)), (b"IEND", b"")])


def _png_structured(data: bytes, rng: np.random.Generator) -> bytes:
    chunks = png_chunks(data)
    kind = int(rng.integers(5))
    if kind == 0:  # declared size: small, huge or zero
        w, h = (int(rng.choice([0, 1, 7, 40, 1000, 50000, 2**31 - 1])) for _ in range(2))
        body = bytearray(chunks[0][1])
        body[0:8] = struct.pack(">II", w, h)
        chunks[0] = (b"IHDR", bytes(body))
    elif kind == 1:  # short or long IDAT
        k, body = next((i, b) for i, (t, b) in enumerate(chunks) if t == b"IDAT")
        cut = int(rng.integers(0, len(body)))
        chunks[k] = (b"IDAT", body[:cut] if rng.random() < 0.6 else body + rng.bytes(cut))
    elif kind == 2:  # bit depth / colour type / interlace fields
        body = bytearray(chunks[0][1])
        body[8 + int(rng.integers(5))] = int(rng.integers(256))
        chunks[0] = (b"IHDR", bytes(body))
    elif kind == 3:  # drop or repeat a chunk
        i = int(rng.integers(len(chunks)))
        chunks = chunks[:i] + chunks[i + 1:] if rng.random() < 0.5 else chunks[:i + 1] + chunks[i:]
    else:  # corrupt the compressed data itself, CRC kept valid
        k, body = next((i, b) for i, (t, b) in enumerate(chunks) if t == b"IDAT")
        arr = bytearray(body)
        for _ in range(int(rng.integers(1, 8))):
            arr[int(rng.integers(len(arr)))] = int(rng.integers(256))
        chunks[k] = (b"IDAT", bytes(arr))
    return build_png(chunks)


def _blind(data: bytes, rng: np.random.Generator) -> bytes:
    arr = bytearray(data)
    kind = int(rng.integers(4))
    if kind == 0:
        for _ in range(int(rng.integers(1, 16))):
            arr[int(rng.integers(len(arr)))] ^= 1 << int(rng.integers(8))
    elif kind == 1:
        start = int(rng.integers(len(arr)))
        arr[start:start + int(rng.integers(1, 64))] = bytes([int(rng.choice([0, 0xFF, 0x7F]))]) * 64
    elif kind == 2:
        arr = arr[:int(rng.integers(0, len(arr)))]
    else:
        at = int(rng.integers(len(arr)))
        arr[at:at] = rng.bytes(int(rng.integers(1, 256)))
    return bytes(arr)


def mutants(count: int, seed: int = 0):
    """`count` (name, bytes) pairs, reproducible from `seed`."""
    rng = np.random.default_rng(seed)
    bases = base_images(rng)
    for i in range(count):
        fmt = FORMATS[i % len(FORMATS)]
        data = bases[fmt]
        mutated = _png_structured(data, rng) if fmt == "PNG" and rng.random() < 0.5 else _blind(data, rng)
        yield f"m{i:05d}.{fmt.lower()}", mutated
