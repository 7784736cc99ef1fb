"""The predict pipeline in PyTorch: pre-process, run the network (with its mirror), post-process, resize back.

Per image, `prepare` builds the network input and a `Plan` saying how to map the output back;
`run_network` runs a batch of prepared inputs (mirrored copies in the same batch); `finish` maps
each output to the input size. `predict_array` chains the three for one image.

Resizes: images are resized with Lanczos-3 (anti-aliased, as the reference layout), disparity/depth
maps back with the triangle (bilinear) kernel, which cannot overshoot into negative disparities.
Both are explicit matrices (`inference.resize`) that the TensorFlow pipeline applies identically.
With `PanoramaLayout(resample="upstream")` the image goes through upstream's 8-bit Pillow Lanczos
(uint8 rounding and clipping after each pass) and the map back through cv2's bilinear
(`inference.resize_upstream`), so outputs reproduce upstream's script to float32 drift.
Panorama output outside the cropped band is NaN: the network never sees those rows.

What a network's output means, which input size it takes and whether flip averaging applies all come
from its architecture card (`panoconv.arch`): `output_kind`, `output_channel`, `fixed_size` /
`predict_size`, `flip_average`, `size_multiple`, `input_channels` (a stereo card gets the left and right
images, each prepared alike, concatenated on channels).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from panoconv.arch import ArchCard, card_of
from panoconv.errors import InputShapeError
from panoconv.guards import check_shape
from panoconv.inference.layout import (
    Camera,
    PanoramaLayout,
    PanoramaPlan,
    Resample,
    check_equirectangular,
    check_rectilinear,
    plan_panorama,
    resolve_camera,
)
from panoconv.inference.postprocess import combine_flipped
from panoconv.inference.resize import resize_torch
from panoconv.inference.resize_upstream import resize_image_upstream
from panoconv.runtime import autocast

IMAGE_KERNEL = "lanczos3"
OUTPUT_KERNEL = "triangle"
#: The kernel of the resize back under each resampling (upstream: cv2.resize INTER_LINEAR).
OUTPUT_KERNELS = {"float": OUTPUT_KERNEL, "upstream": "bilinear"}


@dataclass(frozen=True)
class Plan:
    """How one image becomes a network input and how the output goes back."""

    camera: Camera
    height: int
    width: int
    net_size: tuple[int, int]
    panorama: PanoramaPlan | None = None  # None: resize the whole image to net_size
    resample: Resample = "float"

    @property
    def flip_edge_blend(self) -> bool:
        return self.camera == "rectilinear"


def make_plan(height: int, width: int, camera: str, card: ArchCard,
              layout: PanoramaLayout = PanoramaLayout()) -> Plan:
    """Choose the layout for an image of `height` x `width`; raises `InputShapeError` on bad sizes.

    Rectilinear images go to the card's `predict_size`; panoramas to the panorama layout, except for
    cards trained at one fixed size (whole panorama at `predict_size`).
    """
    cam = resolve_camera(camera, height, width, layout.band)
    if layout.band and cam != "equirectangular":
        raise InputShapeError("a panorama band (--band) is equirectangular; drop --camera rectilinear")
    if cam == "equirectangular" and not card.fixed_size:
        pano = plan_panorama(height, width, layout, card.size_multiple)
        return Plan(cam, height, width, (pano.net_height, pano.net_width), pano, layout.resample)
    if cam == "equirectangular" and layout.band:
        raise InputShapeError(f"{card.name} takes whole panoramas at one size, not bands")
    if cam == "equirectangular":
        check_equirectangular(height, width)
    else:
        check_rectilinear(height, width)
    return Plan(cam, height, width, card.predict_size, resample=layout.resample)


def resize_image(image_chw: torch.Tensor, size: tuple[int, int], resample: Resample) -> torch.Tensor:
    """(C, H, W) RGB in [0, 1] -> (C, h, w): float Lanczos-3, or upstream's 8-bit Pillow Lanczos."""
    if resample == "upstream":
        return resize_image_upstream(image_chw, size)
    return resize_torch(image_chw, size, IMAGE_KERNEL)


def prepare(image_chw: torch.Tensor, plan: Plan) -> torch.Tensor:
    """(C, H, W) RGB in [0, 1] (C = 6: a stereo pair on channels) -> (C, h, w) network input."""
    if plan.panorama is None:
        return resize_image(image_chw, plan.net_size, plan.resample)
    p = plan.panorama
    band = image_chw[:, p.crop_start:p.crop_stop, :]
    band = resize_image(band, (p.resized_height, p.net_width), plan.resample)
    return F.pad(band, (0, 0, p.pad_top, 0))


def output_map(card: ArchCard, outputs: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
    """Model output(s) -> (B, H, W): channel `card.output_channel` of the full-resolution output."""
    first = outputs if isinstance(outputs, torch.Tensor) else outputs[0]
    return first[:, card.output_channel] if first.dim() == 4 else first


def network_convention(model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    """(B, 3k, h, w) RGB in [0, 1] -> what the weights expect: `model.input_order` ("bgr": each image's
    channels reversed) and `model.input_scale` (x 255 for weights trained on 0..255), set by `load_model`."""
    if getattr(model, "input_order", "rgb") == "bgr":
        b, c, h, w = batch.shape
        batch = batch.reshape(b, c // 3, 3, h, w).flip(2).reshape(b, c, h, w)
    scale = getattr(model, "input_scale", 1.0)
    return batch if scale == 1.0 else batch * scale


def run_network(model: nn.Module, batch: torch.Tensor, card: ArchCard,
                flip: bool, edge_blend: Sequence[bool], precision: str = "fp32") -> torch.Tensor:
    """(B, C, h, w) -> (B, h, w) output map on the CPU in `batch`'s dtype, averaged with the mirrored pass
    when `flip`.

    The network runs on the model's device under `precision` (`panoconv.runtime.autocast`: bf16 / fp16
    compute, outputs cast back). A stereo batch is mirrored as a whole (left and right each mirrored,
    order kept), as upstream's test-time flip does for `do_stereo`.
    """
    device = next(model.parameters()).device
    batch = network_convention(model, batch.to(device, non_blocking=True))
    x = torch.cat([batch, torch.flip(batch, [-1])], 0) if flip else batch
    with torch.inference_mode(), autocast(precision, device):
        out = output_map(card, model(x))
    out = out.to(batch.dtype).cpu()
    if flip:
        n = batch.shape[0]
        d, f = out[:n], torch.flip(out[n:], [-1])
        out = torch.cat([combine_flipped(d[i:i + 1], f[i:i + 1], edge_blend[i]) for i in range(n)], 0)
    return out


def finish(net_out: torch.Tensor, plan: Plan, raw: bool = False) -> torch.Tensor:
    """(h, w) network-resolution map -> (H, W) at the input size (panoramas: NaN outside the band).

    With `raw`, return the network-resolution map (panoramas: without the padding rows).
    """
    kernel = OUTPUT_KERNELS[plan.resample]
    if plan.panorama is None:
        return net_out if raw else resize_torch(net_out, (plan.height, plan.width), kernel)
    p = plan.panorama
    band = net_out[p.pad_top:, :]
    if raw:
        return band
    band = resize_torch(band, (p.crop_height, p.width), kernel)
    full = torch.full((p.height, p.width), float("nan"), dtype=net_out.dtype)
    full[p.crop_start:p.crop_stop] = band
    return full


def configure_model(model: nn.Module, card: ArchCard, plan: Plan) -> None:
    """Ring padding on for panoramas (cards that support it), off otherwise."""
    if card.ring_pad:
        model.set_ring_pad(plan.camera == "equirectangular")


def to_chw(image_hwc: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    arr = np.asarray(image_hwc)
    check_shape(arr.shape, (None, None, 3), "an H x W x 3 RGB image")
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1))).to(dtype)


def network_input(card: ArchCard, image_hwc: np.ndarray, right_hwc: np.ndarray | None, plan: Plan,
                  dtype: torch.dtype) -> torch.Tensor:
    """(C, h, w): the prepared image, or for a stereo card the prepared left and right on channels."""
    check_pair(card, image_hwc, right_hwc)
    x = prepare(to_chw(image_hwc, dtype), plan)
    if right_hwc is None:
        return x
    return torch.cat([x, prepare(to_chw(right_hwc, dtype), plan)], 0)


def check_pair(card: ArchCard, image_hwc: np.ndarray, right_hwc: np.ndarray | None, where: str = "") -> None:
    """A stereo card needs a right image of the left's size; a monocular card must not get one."""
    prefix = f"{where}: " if where else ""
    if card.stereo and right_hwc is None:
        raise InputShapeError(f"{prefix}{card.name} is a stereo network: it needs a left/right image pair, "
                              "got a single image")
    if not card.stereo and right_hwc is not None:
        raise InputShapeError(f"{prefix}{card.name} takes one image, got a left/right pair")
    if right_hwc is not None and np.shape(right_hwc)[:2] != np.shape(image_hwc)[:2]:
        raise InputShapeError(f"{prefix}left and right images differ in size: "
                              f"{np.shape(image_hwc)[1]}x{np.shape(image_hwc)[0]} vs "
                              f"{np.shape(right_hwc)[1]}x{np.shape(right_hwc)[0]}")


def predict_array(model: nn.Module, image_hwc: np.ndarray, camera: str = "auto", *,
                  postprocess: bool = False, layout: PanoramaLayout = PanoramaLayout(),
                  raw: bool = False, arch: str | None = None,
                  right_hwc: np.ndarray | None = None, precision: str = "fp32") -> np.ndarray:
    """Disparity (monodepth: fraction of image width) or depth (depth models) for one RGB image.

    `image_hwc`: (H, W, 3) float RGB in [0, 1] (the left image of a stereo card, `right_hwc` its right
    image). Rectilinear images are resized to the card's `predict_size` (256 x 512);
    `postprocess` adds monodepth's flip pass with edge blending. Equirectangular panoramas use the
    crop/resize/pad layout with ring padding and plain flip averaging. Returns (H, W) (or the
    network resolution with `raw`), float in the model's dtype. `precision`: see `panoconv.runtime`.
    """
    card = card_of(model, arch)
    dtype = next(model.parameters()).dtype
    arr = np.asarray(image_hwc)
    plan = make_plan(arr.shape[0], arr.shape[1], camera, card, layout)
    x = network_input(card, arr, right_hwc, plan, dtype)
    configure_model(model, card, plan)
    flip = card.flip_average and (plan.camera == "equirectangular" or postprocess)
    out = run_network(model, x[None], card, flip, [plan.flip_edge_blend], precision)
    return finish(out[0], plan, raw).numpy()
