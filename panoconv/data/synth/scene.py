"""Random procedural scenes: an enclosing box (ground, walls, ceiling or sky), boxes and spheres.

Two styles: "street" (long canyon between facades, far wall at 50-75 m, sky plane high up; for the
rectilinear and equirect-crop kinds) and "room" (indoor box room up to ~8 m away, for panoramas).
Every object has its own material (see `textures.py`), drawn from the request's texture family. The camera
(and its stereo partners within `clearance` metres) is kept outside every object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np

from panoconv.data.synth.textures import Material, random_material, sky_material


@dataclass
class Plane:
    normal: np.ndarray  # (3,) unit, pointing into the scene interior
    offset: float  # points p with normal . p == offset
    material: Material


@dataclass
class Box:
    lo: np.ndarray  # (3,) min corner
    hi: np.ndarray  # (3,) max corner
    material: Material


@dataclass
class Sphere:
    centre: np.ndarray
    radius: float
    material: Material


@dataclass
class Scene:
    planes: list[Plane] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    spheres: list[Sphere] = field(default_factory=list)
    light: np.ndarray = field(
        default_factory=lambda: np.array([0.3, -1.0, 0.4]) / np.linalg.norm([0.3, -1, 0.4]))
    camera: np.ndarray = field(default_factory=lambda: np.zeros(3))  # left / centre camera position


def _axis_plane(axis: int, value: float, inward: float, material: Material) -> Plane:
    n = np.zeros(3)
    n[axis] = inward
    return Plane(n, inward * value, material)


def _far_enough(centre: np.ndarray, half: np.ndarray, camera: np.ndarray, clearance: float) -> bool:
    """Whether an axis-aligned box (grown by `clearance`) leaves the camera outside, in x and z."""
    d = np.abs(centre - camera)
    return bool(d[0] > half[0] + clearance or d[2] > half[2] + clearance)


def street_scene(rng: np.random.Generator, clearance: float, textures: str = "mixed") -> Scene:
    """Street canyon: ground at camera height 1.4-1.8 m below, facades 4-12 m to the sides."""
    pick = partial(random_material, family=textures)
    cam_h = rng.uniform(1.4, 1.8)
    left, right = -rng.uniform(4.0, 12.0), rng.uniform(4.0, 12.0)
    far, back, sky = rng.uniform(50.0, 75.0), -rng.uniform(8.0, 15.0), -rng.uniform(20.0, 30.0)
    scene = Scene(light=_random_light(rng))
    scene.planes += [_axis_plane(1, cam_h, -1.0, pick(rng, scale=(0.3, 2.0))),  # ground (y down)
                     _axis_plane(1, sky, 1.0, sky_material(rng)),
                     _axis_plane(0, left, 1.0, pick(rng, scale=(0.5, 3.0))),
                     _axis_plane(0, right, -1.0, pick(rng, scale=(0.5, 3.0))),
                     _axis_plane(2, far, -1.0, pick(rng, scale=(1.0, 5.0))),
                     _axis_plane(2, back, 1.0, pick(rng, scale=(0.5, 3.0)))]
    for _ in range(int(rng.integers(4, 10))):
        half = np.array([rng.uniform(0.5, 2.5), rng.uniform(0.4, 2.5), rng.uniform(0.8, 3.0)])
        centre = np.array([rng.uniform(left + half[0], right - half[0]), cam_h - half[1],
                           rng.uniform(3.0, far - 5.0)])
        if _far_enough(centre, half, scene.camera, clearance):
            scene.boxes.append(Box(centre - half, centre + half, pick(rng, scale=(0.2, 1.5))))
    for _ in range(int(rng.integers(2, 6))):
        r = rng.uniform(0.4, 2.0)
        centre = np.array([rng.uniform(left + r, right - r), cam_h - r - rng.uniform(0.0, 1.5),
                           rng.uniform(4.0, far - 5.0)])
        if np.linalg.norm(centre - scene.camera) > r + clearance + 1.0:
            scene.spheres.append(Sphere(centre, r, pick(rng, scale=(0.1, 0.8))))
    return scene


def room_scene(rng: np.random.Generator, clearance: float, textures: str = "mixed") -> Scene:
    """Indoor room 4-8 m x 4-8 m x 2.5-3.2 m; the camera 1.2-1.6 m above the floor, off-centre."""
    pick = partial(random_material, family=textures)
    sx, sz, height = rng.uniform(4.0, 8.0), rng.uniform(4.0, 8.0), rng.uniform(2.5, 3.2)
    cam_h = rng.uniform(1.2, 1.6)
    # room coordinates relative to the camera at the origin
    x0 = -rng.uniform(0.3, 0.7) * sx
    z0 = -rng.uniform(0.3, 0.7) * sz
    x1, z1 = x0 + sx, z0 + sz
    floor, ceiling = cam_h, cam_h - height
    scene = Scene(light=_random_light(rng))
    scene.planes += [_axis_plane(1, floor, -1.0, pick(rng, scale=(0.15, 0.8))),
                     _axis_plane(1, ceiling, 1.0, pick(rng, scale=(0.3, 1.2))),
                     _axis_plane(0, x0, 1.0, pick(rng, scale=(0.15, 1.0))),
                     _axis_plane(0, x1, -1.0, pick(rng, scale=(0.15, 1.0))),
                     _axis_plane(2, z0, 1.0, pick(rng, scale=(0.15, 1.0))),
                     _axis_plane(2, z1, -1.0, pick(rng, scale=(0.15, 1.0)))]
    for _ in range(int(rng.integers(3, 8))):
        half = np.array([rng.uniform(0.2, 0.9), rng.uniform(0.2, 1.0), rng.uniform(0.2, 0.9)])
        centre = np.array([rng.uniform(x0 + half[0], x1 - half[0]), floor - half[1],
                           rng.uniform(z0 + half[2], z1 - half[2])])
        if _far_enough(centre, half, scene.camera, clearance):
            scene.boxes.append(Box(centre - half, centre + half, pick(rng, scale=(0.05, 0.4))))
    for _ in range(int(rng.integers(1, 4))):
        r = rng.uniform(0.15, 0.6)
        centre = np.array([rng.uniform(x0 + r, x1 - r), floor - r - rng.uniform(0.0, 1.2),
                           rng.uniform(z0 + r, z1 - r)])
        if np.linalg.norm(centre - scene.camera) > r + clearance + 0.3:
            scene.spheres.append(Sphere(centre, r, pick(rng, scale=(0.05, 0.3))))
    return scene


def _random_light(rng: np.random.Generator) -> np.ndarray:
    v = np.array([rng.uniform(-1, 1), -rng.uniform(0.5, 1.5), rng.uniform(-1, 1)])
    return v / np.linalg.norm(v)
