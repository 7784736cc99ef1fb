"""Vectorised ray casting of planes, axis-aligned boxes and spheres, and diffuse shading.

`render` returns the colour, the ray parameter t of the nearest hit (depth Z for z=1 pinhole rays,
radial distance for unit rays) and the unit surface normal facing the viewer. Intersections run in
float32 over all rays per object; normals and textures are computed only for each object's own hits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from panoconv.data.synth.scene import Box, Plane, Scene, Sphere
from panoconv.data.synth.textures import albedo

EPS = 1e-4
AMBIENT = 0.45


@dataclass
class Render:
    image: np.ndarray  # (H, W, 3) float32 in [0, 1]
    t: np.ndarray  # (H, W) float32 ray parameter of the hit
    normal: np.ndarray  # (H, W, 3) float32 unit normal facing the camera


def _t_plane(plane: Plane, o: np.ndarray, d: np.ndarray) -> np.ndarray:
    n = plane.normal.astype(np.float32)
    return (np.float32(plane.offset - o @ plane.normal)) / (d @ n)


def _t_box(box: Box, o: np.ndarray, inv_d: np.ndarray) -> np.ndarray:
    """Slab test; `inv_d` is (3, N) so every axis is one contiguous row."""
    tmin = tmax = None
    for ax in range(3):
        t1 = np.float32(box.lo[ax] - o[ax]) * inv_d[ax]
        t2 = np.float32(box.hi[ax] - o[ax]) * inv_d[ax]
        lo, hi = np.minimum(t1, t2), np.maximum(t1, t2)
        tmin = lo if tmin is None else np.maximum(tmin, lo)
        tmax = hi if tmax is None else np.minimum(tmax, hi)
    return np.where(tmax >= tmin, tmin, np.inf)


def _t_sphere(sph: Sphere, o: np.ndarray, d: np.ndarray, dd: np.ndarray) -> np.ndarray:
    oc = (o - sph.centre).astype(np.float32)
    b = d @ oc
    disc = b * b - dd * np.float32(oc @ oc - sph.radius ** 2)
    return np.where(disc >= 0, (-b - np.sqrt(np.maximum(disc, 0))) / dd, np.inf)


def _normals(obj: Plane | Box | Sphere, points: np.ndarray) -> np.ndarray:
    """Outward (or interior-facing for planes) unit normals at hit points (N, 3)."""
    if isinstance(obj, Plane):
        return np.broadcast_to(obj.normal, points.shape).copy()
    if isinstance(obj, Sphere):
        return (points - obj.centre) / obj.radius
    centre, half = (obj.lo + obj.hi) / 2, (obj.hi - obj.lo) / 2
    rel = (points - centre) / half  # +-1 on the face that was hit
    axis = np.abs(rel).argmax(axis=1)
    out = np.zeros_like(points)
    rows = np.arange(len(points))
    out[rows, axis] = np.sign(rel[rows, axis])
    return out


def render(scene: Scene, origin: np.ndarray, rays: np.ndarray) -> Render:
    """Cast `rays` (H, W, 3) from `origin` (3,) into `scene`."""
    h, w, _ = rays.shape
    d = np.ascontiguousarray(rays.reshape(-1, 3), dtype=np.float32)
    o = np.asarray(origin, dtype=np.float64)
    best_t = np.full(d.shape[0], np.inf, dtype=np.float32)
    best_obj = np.full(d.shape[0], -1, dtype=np.int32)
    objects: list[Plane | Box | Sphere] = [*scene.planes, *scene.boxes, *scene.spheres]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inv_d = np.ascontiguousarray((np.float32(1.0) / np.where(np.abs(d) < 1e-12, np.float32(1e-12), d)).T)
        dd = np.einsum("ij,ij->i", d, d)
        for k, obj in enumerate(objects):
            if isinstance(obj, Plane):
                t = _t_plane(obj, o, d)
            elif isinstance(obj, Box):
                t = _t_box(obj, o, inv_d)
            else:
                t = _t_sphere(obj, o, d, dd)
            closer = (t > EPS) & (t < best_t)
            best_t[closer] = t[closer]
            best_obj[closer] = k
    if (best_obj < 0).any():
        raise RuntimeError("synthetic scene is not closed: some rays hit nothing")
    points = o + best_t[:, None].astype(np.float64) * d
    normal = np.zeros((d.shape[0], 3))
    colour = np.zeros((d.shape[0], 3))
    for k, obj in enumerate(objects):
        sel = np.flatnonzero(best_obj == k)
        if sel.size:
            normal[sel] = _normals(obj, points[sel])
            colour[sel] = albedo(obj.material, points[sel])
    facing = np.einsum("ij,ij->i", normal, d)  # make normals face the viewer
    normal[facing > 0] *= -1.0
    shade = AMBIENT + (1.0 - AMBIENT) * np.clip(normal @ scene.light, 0.0, 1.0)
    colour = np.clip(colour * shade[:, None], 0.0, 1.0)
    return Render(colour.reshape(h, w, 3).astype(np.float32), best_t.reshape(h, w),
                  normal.reshape(h, w, 3).astype(np.float32))
