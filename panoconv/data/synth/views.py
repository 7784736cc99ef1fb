"""Render one scene's views: left/right (+ up for panoramas) with depth and normals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from panoconv.data.synth.cameras import equirect_rays, pinhole_rays
from panoconv.data.synth.raycast import Render, render
from panoconv.data.synth.request import SynthRequest
from panoconv.data.synth.scene import Scene, room_scene, street_scene


@dataclass
class SceneViews:
    left: Render
    right: Render
    up: Render | None  # panorama only


def scene_rng(seed: int, index: int) -> np.random.Generator:
    """Scene `index` depends only on (seed, index), so a larger --count extends a smaller one."""
    key = [int(seed) % 2**64, int(index), 0x5EED]  # SeedSequence takes non-negative integers
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(key)))


def make_scene(req: SynthRequest, index: int) -> Scene:
    rng = scene_rng(req.seed, index)
    clearance = float(req.baseline) + 0.3
    style = room_scene if req.kind == "panorama" else street_scene
    return style(rng, clearance, req.textures)


def camera_rays(req: SynthRequest) -> np.ndarray:
    if req.kind == "rectilinear":
        return pinhole_rays(req.height, req.width, float(req.fov_deg))
    return equirect_rays(req.height, req.width, float(req.fov_deg))


def render_views(req: SynthRequest, scene: Scene, rays: np.ndarray) -> SceneViews:
    """Left at the scene camera, right at +baseline along x, up at -baseline along y (y points down)."""
    b = float(req.baseline)
    left = render(scene, scene.camera, rays)
    right = render(scene, scene.camera + np.array([b, 0.0, 0.0]), rays)
    up = render(scene, scene.camera + np.array([0.0, -b, 0.0]), rays) if req.kind == "panorama" else None
    return SceneViews(left, right, up)
