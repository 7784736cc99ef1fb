"""Procedural solid textures: colour as a function of the 3D surface point.

Why solid (3D) textures: the colour of a surface point is the same from every viewpoint, so the rendered
stereo views agree exactly where the ground-truth depth says they should, and photometric losses see
real signal at several scales (pattern + multi-octave value noise detail).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("noise", "checker", "stripes", "bricks", "marble", "grid")
#: texture families a data set can draw its materials from (`SynthRequest.textures`): "mixed" is every
#: kind (the default, unchanged output); "smooth" has no sharp edges (value noise, sine stripes, marble
#: veins); "geometric" is sharp-edged man-made patterns. Two data sets of different families differ in image
#: statistics (gradient energy, edge density) while the seed still fixes the same geometry, colours and
#: scales: a new domain for fine-tuning that differs by texture alone.
FAMILIES = {"mixed": KINDS, "smooth": ("noise", "stripes", "marble"),
            "geometric": ("checker", "bricks", "grid")}


@dataclass(frozen=True)
class Material:
    kind: str
    colour_a: tuple[float, float, float]
    colour_b: tuple[float, float, float]
    scale: float  # pattern period in metres
    detail: float  # amplitude of the fine noise overlay
    direction: tuple[float, float, float]  # for stripes / marble
    seed: int


def random_material(rng: np.random.Generator, scale: tuple[float, float], family: str = "mixed") -> Material:
    a = rng.uniform(0.05, 0.95, size=3)
    b = np.clip(a + rng.uniform(-0.6, 0.6, size=3), 0.02, 0.98)
    d = rng.normal(size=3)
    kinds = FAMILIES[family]
    pick = int(rng.integers(0, len(KINDS)))  # one draw whatever the family: the same scenes in every family
    return Material(kind=kinds[pick % len(kinds)], colour_a=tuple(a), colour_b=tuple(b),
                    scale=float(rng.uniform(*scale)), detail=float(rng.uniform(0.15, 0.4)),
                    direction=tuple(d / np.linalg.norm(d)), seed=int(rng.integers(0, 2**31 - 1)))


def sky_material(rng: np.random.Generator) -> Material:
    base = np.array([0.45, 0.6, 0.85]) + rng.uniform(-0.1, 0.1, size=3)
    return Material("noise", tuple(np.clip(base, 0, 1)), (0.92, 0.93, 0.95), float(rng.uniform(4.0, 10.0)),
                    0.1, (1.0, 0.0, 0.0), int(rng.integers(0, 2**31 - 1)))


def _hash01(ix: np.ndarray, iy: np.ndarray, iz: np.ndarray, seed: int) -> np.ndarray:
    """Integer lattice -> pseudo-random value in [0, 1] (wrapping uint32 arithmetic)."""
    with np.errstate(over="ignore"):
        u32 = np.uint32
        h = (ix.astype(u32, copy=False) * u32(73856093) ^ iy.astype(u32, copy=False) * u32(19349663)
             ^ iz.astype(u32, copy=False) * u32(83492791) ^ u32(seed & 0xFFFFFFFF))
        h = (h ^ (h >> np.uint32(13))) * np.uint32(1274126177)
        h = h ^ (h >> np.uint32(16))
    return (h & np.uint32(0xFFFF)).astype(np.float32) * np.float32(1.0 / 65535.0)


def value_noise(p: np.ndarray, seed: int) -> np.ndarray:
    """Smooth 3D value noise in [0, 1] at points (N, 3)."""
    cell = np.floor(p)
    f = (p - cell).astype(np.float32).T  # (3, N): contiguous rows per axis
    i = np.ascontiguousarray(cell.astype(np.int64).astype(np.uint32).T)
    u = f * f * (np.float32(3.0) - np.float32(2.0) * f)
    ix = (i[0], i[0] + 1)
    iy = (i[1], i[1] + 1)
    iz = (i[2], i[2] + 1)
    wx = (1.0 - u[0], u[0])
    wy = (1.0 - u[1], u[1])
    wz = (1.0 - u[2], u[2])
    out = np.zeros(p.shape[0], dtype=np.float32)
    for dx in (0, 1):
        for dy in (0, 1):
            wxy = wx[dx] * wy[dy]
            for dz in (0, 1):
                out += wxy * wz[dz] * _hash01(ix[dx], iy[dy], iz[dz], seed)
    return out


def fbm(p: np.ndarray, seed: int, octaves: int = 3) -> np.ndarray:
    """Fractal sum of value noise, normalised to [0, 1]."""
    total, amp, norm = np.zeros(p.shape[0]), 1.0, 0.0
    for k in range(octaves):
        total += amp * value_noise(p * (2.0 ** k), seed + 7919 * k)
        norm += amp
        amp *= 0.5
    return total / norm


def _pattern(m: Material, q: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Mix factor in [0, 1] between the two colours; q = p / scale."""
    if m.kind == "noise":
        return fbm(q, m.seed)
    if m.kind == "checker":
        c = np.floor(q).astype(np.int64).sum(axis=1) & 1
        return 0.75 * c + 0.25 * fbm(q * 2.0, m.seed)
    if m.kind == "stripes":
        s = q @ np.asarray(m.direction)
        return 0.5 + 0.5 * np.sin(2 * np.pi * s + 2.0 * fbm(q * 0.5, m.seed))
    if m.kind == "marble":
        s = q @ np.asarray(m.direction)
        return 0.5 + 0.5 * np.sin(2 * np.pi * s + 6.0 * fbm(q, m.seed, octaves=4))
    if m.kind == "bricks":
        row = np.floor(q[:, 1] * 2.0)
        shift = 0.5 * (row.astype(np.int64) & 1)
        bx = (q[:, 0] + q[:, 2] + shift) % 1.0
        by = (q[:, 1] * 2.0) % 1.0
        mortar = (bx < 0.06) | (by < 0.1)
        tone = _hash01(np.floor(q[:, 0] + q[:, 2] + shift).astype(np.int64), row.astype(np.int64),
                       np.zeros(len(q), np.int64), m.seed)
        return np.where(mortar, 1.0, 0.6 * tone)
    if m.kind == "grid":
        g = np.abs((q * 4.0) % 1.0 - 0.5).min(axis=1)
        return np.where(g < 0.08, 1.0, 0.3 * fbm(q, m.seed))
    raise ValueError(f"unknown texture kind {m.kind!r}")


def albedo(m: Material, p: np.ndarray) -> np.ndarray:
    """(N, 3) surface colour in [0, 1] at world points (N, 3)."""
    if p.shape[0] == 0:
        return np.zeros((0, 3))
    q = p / m.scale
    t = np.clip(_pattern(m, q, p), 0.0, 1.0)[:, None]
    colour = (1.0 - t) * np.asarray(m.colour_a) + t * np.asarray(m.colour_b)
    detail = fbm(p / (m.scale * 0.15), m.seed + 101, octaves=2)
    colour = colour * (1.0 + m.detail * (detail[:, None] - 0.5) * 2.0)
    return np.clip(colour, 0.0, 1.0)
