"""Partitioned (sliced) TF variables: where each slice is stored and whether the slices tile the tensor.

TF1 `Saver` writes a partitioned variable `v` as one entry `v` holding the full dtype and shape plus
the list of its slices (no data), and one ordinary entry per slice under a binary key: `OrderedCode`
of the number 0, the string `v`, the rank, then each dimension's (start, length) as order-preserving
signed numbers (length -1 = the whole dimension). Those keys start with a 0 byte, so they sort
before every readable name.
"""

from __future__ import annotations

import itertools
import math

from panoconv.readers._bundle_proto import Extent

#: Header bits XORed into the first two bytes of an L-byte signed number: L ones, then the sign bit.
_HEADERS = {1: (0x80, 0), 2: (0xC0, 0), 3: (0xE0, 0), 4: (0xF0, 0), 5: (0xF8, 0), 6: (0xFC, 0),
            7: (0xFE, 0), 8: (0xFF, 0), 9: (0xFF, 0x80), 10: (0xFF, 0xC0)}


def _unsigned(value: int) -> bytes:
    """`OrderedCode::WriteNumIncreasing`: a length byte, then the big-endian value without leading 0s."""
    body = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return bytes([len(body)]) + body


def _string(value: bytes) -> bytes:
    """`OrderedCode::WriteString`: 0x00 -> 00 ff, 0xff -> ff 00, terminated by 00 01."""
    escapes = {0x00: b"\x00\xff", 0xFF: b"\xff\x00"}
    return b"".join(escapes.get(byte, bytes([byte])) for byte in value) + b"\x00\x01"


def _signed(value: int) -> bytes:
    """`OrderedCode::WriteSignedNumIncreasing`: L bytes hold 7L-1 magnitude bits plus the sign."""
    magnitude = ~value if value < 0 else value
    length = next(n for n in range(1, 11) if n == 10 or magnitude < 1 << (7 * n - 1))
    out = bytearray((value & ((1 << (8 * length)) - 1)).to_bytes(length, "big"))
    first, second = _HEADERS[length]
    out[0] ^= first
    if length > 1:
        out[1] ^= second
    return bytes(out)


def slice_key(name: bytes, extents: tuple[Extent, ...]) -> bytes:
    """The index key under which TF stores one slice of variable `name`."""
    return (_unsigned(0) + _string(name) + _unsigned(len(extents))
            + b"".join(_signed(start) + _signed(length) for start, length in extents))


def slice_bounds(shape: tuple[int, ...], extents: tuple[Extent, ...]) -> tuple[tuple[int, int], ...]:
    """(start, stop) per dimension, or `ValueError` if the slice does not fit the full shape."""
    if len(extents) != len(shape):
        raise ValueError(f"a slice of rank {len(extents)} in a tensor of rank {len(shape)}")
    bounds = []
    for (start, length), dim in zip(extents, shape):
        stop = dim if length == -1 else start + length
        if start < 0 or length < -1 or stop > dim or (length == -1 and start != 0):
            raise ValueError(f"slice {list(extents)} does not fit shape {list(shape)}")
        bounds.append((start, stop))
    return tuple(bounds)


def check_tiling(shape: tuple[int, ...], boxes: list[tuple[tuple[int, int], ...]]) -> None:
    """The boxes cover the tensor exactly once: volumes add up and no two overlap."""
    volume = sum(math.prod(stop - start for start, stop in box) for box in boxes)
    if volume != math.prod(shape):
        raise ValueError(f"slices hold {volume} of the {math.prod(shape)} elements")
    for a, b in itertools.combinations(boxes, 2):
        if all(sa < eb and sb < ea for (sa, ea), (sb, eb) in zip(a, b)):
            raise ValueError(f"slices {list(a)} and {list(b)} overlap")
