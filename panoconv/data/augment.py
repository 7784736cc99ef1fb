"""The reference's train-time augmentation, drawn reproducibly per (seed, epoch, index).

Why per-sample seeding: a resumed run or a DDP rank that sees sample `index` in epoch `epoch` must draw
exactly the same flip and colour parameters as an uninterrupted single-process run. A generator seeded
from `SeedSequence([seed, epoch, index])` is independent of worker count, order and process.

Reference recipe (monodepth section 5): flip with p=0.5 (left' = flip(right), right' = flip(left));
with p=0.5 the same colour draw for both images: image ** gamma, gamma ~ U(0.8, 1.2); * brightness,
U(0.5, 2.0); * per-channel colour U(0.8, 1.2) (3 values); clip to [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GAMMA_RANGE = (0.8, 1.2)
BRIGHTNESS_RANGE = (0.5, 2.0)
COLOUR_RANGE = (0.8, 1.2)


@dataclass(frozen=True)
class AugmentParams:
    flip: bool
    colour: bool
    gamma: float
    brightness: float
    channel_gains: tuple[float, float, float]


def sample_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    """Generator for one sample; identical for identical (seed, epoch, index) in any process."""
    key = [int(v) % 2**64 for v in (seed, epoch, index)]  # SeedSequence takes non-negative integers
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(key)))


def draw_params(rng: np.random.Generator) -> AugmentParams:
    """Draw every parameter unconditionally (fixed number of draws keeps the stream stable)."""
    flip = bool(rng.uniform() > 0.5)
    colour = bool(rng.uniform() > 0.5)
    gamma = float(rng.uniform(*GAMMA_RANGE))
    brightness = float(rng.uniform(*BRIGHTNESS_RANGE))
    gains = tuple(float(g) for g in rng.uniform(*COLOUR_RANGE, size=3))
    return AugmentParams(flip, colour, gamma, brightness, gains)  # type: ignore[arg-type]


def apply_colour(image: np.ndarray, p: AugmentParams) -> np.ndarray:
    """(H, W, 3) in [0, 1] -> gamma, brightness, per-channel gains, clip."""
    out = np.power(image, p.gamma) * p.brightness * np.asarray(p.channel_gains, dtype=np.float32)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def augment_pair(left: np.ndarray, right: np.ndarray, p: AugmentParams) -> tuple[np.ndarray, np.ndarray]:
    """Apply flip-with-swap then colour to an (H, W, 3) stereo pair."""
    if p.flip:
        left, right = right[:, ::-1], left[:, ::-1]
    if p.colour:
        left, right = apply_colour(left, p), apply_colour(right, p)
    return np.ascontiguousarray(left, dtype=np.float32), np.ascontiguousarray(right, dtype=np.float32)
