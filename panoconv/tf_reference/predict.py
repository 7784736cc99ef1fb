"""The predict pipeline computed with TensorFlow ops, step for step like `panoconv.inference.pipeline`.

Crop, zero-pad, flip, the network (`tf_reference.monodepth.forward`, ring padding for panoramas),
flip averaging / edge blend and the resizes are TF ops. Resizes apply the same separable matrices as
the PyTorch side (`inference.resize.resize_matrix`, TF's own Lanczos-3 / bilinear anti-aliased kernels)
with `tf.einsum`, which keeps float64 in float64; `resize="native"` uses `tf.image.resize` instead
(float32 only, since that op returns float32 for float64 input).
With `plan.resample == "upstream"` the image is resized by upstream's own library, Pillow (LANCZOS on
the uint8 image, the horizontal and the vertical pass as two Pillow calls so the order is upstream's
whatever the installed Pillow prefers), and the map back by the two-tap bilinear
(`tf.image.resize(bilinear, antialias=False)` natively, which equals cv2's INTER_LINEAR).
Returns every stage as numpy so parity can say where a difference starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np

from panoconv.arch import DEFAULT_ARCH, get_card
from panoconv.inference.layout import PanoramaLayout
from panoconv.inference.pipeline import IMAGE_KERNEL, OUTPUT_KERNELS, Plan, make_plan
from panoconv.inference.postprocess import edge_masks
from panoconv.inference.resize import resize_matrix
from panoconv.tf_reference._params import ConstantParams, ParamSource, VariableParams
from panoconv.tf_reference._tf import import_tf

tf = import_tf()

ResizeMode = Literal["matrix", "native"]
_CARD = get_card(DEFAULT_ARCH)
_NATIVE = {"lanczos3": "lanczos3", "triangle": "bilinear", "bilinear": "bilinear"}


def resize_nhwc(x: Any, size: tuple[int, int], kernel: str, mode: ResizeMode = "matrix") -> Any:
    """Resize a (B, H, W, C) tensor to (B, h, w, C)."""
    if mode == "native":
        return tf.image.resize(x, size, method=_NATIVE[kernel], antialias=kernel != "bilinear")
    rh = tf.constant(np.array(resize_matrix(int(x.shape[1]), size[0], kernel)), dtype=x.dtype)
    rw = tf.constant(np.array(resize_matrix(int(x.shape[2]), size[1], kernel)), dtype=x.dtype)
    return tf.einsum("wx,bhxc->bhwc", rw, tf.einsum("hy,byxc->bhxc", rh, x))


def pillow_resize_upstream(image_nhwc: Any, size: tuple[int, int]) -> Any:
    """(1, H, W, 3) float in [0, 1] -> (1, h, w, 3): uint8, Pillow LANCZOS horizontally then vertically
    (each pass stored as uint8, as scipy.misc.imresize did through Pillow), / 255 in the input's dtype."""
    from PIL import Image

    pixels = np.clip(np.rint(image_nhwc[0].numpy().astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
    img = Image.fromarray(pixels)
    h, w = size
    if w != img.width:
        img = img.resize((w, img.height), Image.Resampling.LANCZOS)
    if h != img.height:
        img = img.resize((w, h), Image.Resampling.LANCZOS)
    return tf.constant(np.asarray(img)[None], dtype=image_nhwc.dtype) / 255.0


def _resize_image(x: Any, size: tuple[int, int], plan: Plan, mode: ResizeMode) -> Any:
    if plan.resample == "upstream":
        return pillow_resize_upstream(x, size)
    return resize_nhwc(x, size, IMAGE_KERNEL, mode)


def prepare(image_nhwc: Any, plan: Plan, mode: ResizeMode = "matrix") -> Any:
    """(1, H, W, 3) -> (1, h, w, 3) network input."""
    if plan.panorama is None:
        return _resize_image(image_nhwc, plan.net_size, plan, mode)
    p = plan.panorama
    band = _resize_image(image_nhwc[:, p.crop_start:p.crop_stop], (p.resized_height, p.net_width), plan, mode)
    return tf.pad(band, [[0, 0], [p.pad_top, 0], [0, 0], [0, 0]])


def run_network(values: Mapping[str, np.ndarray] | ParamSource, x: Any, plan: Plan, flip: bool,
                dtype: str) -> Any:
    """(1, h, w, 3) -> (1, h, w) left disparity, averaged with the mirrored pass when `flip`.

    `values`: TF-name -> array (fed as constants), or any `ParamSource` (e.g. `VariableParams`).
    """
    ring = plan.camera == "equirectangular"
    batch = tf.concat([x, tf.reverse(x, [2])], 0) if flip else x
    forward = _CARD.load_tf_forward()
    params = ConstantParams(values, dtype) if isinstance(values, Mapping) else values
    disp = forward(batch, params, ring=ring)[0][..., _CARD.output_channel]
    if not flip:
        return disp
    d, f = disp[:1], tf.reverse(disp[1:], [2])
    m = 0.5 * (d + f)
    if not plan.flip_edge_blend:
        return m
    l_mask, r_mask = (tf.constant(v.numpy(), dtype=dtype) for v in edge_masks(int(d.shape[-1])))
    return r_mask * d + l_mask * f + (1.0 - l_mask - r_mask) * m


def finish(net_out: Any, plan: Plan, raw: bool = False, mode: ResizeMode = "matrix") -> Any:
    """(1, h, w) -> (H, W) (panoramas: NaN outside the cropped band)."""
    x = net_out[..., None]
    kernel = OUTPUT_KERNELS[plan.resample]
    if plan.panorama is None:
        return x[0, ..., 0] if raw else resize_nhwc(x, (plan.height, plan.width), kernel, mode)[0, ..., 0]
    p = plan.panorama
    band = x[:, p.pad_top:]
    if raw:
        return band[0, ..., 0]
    band = resize_nhwc(band, (p.crop_height, p.width), kernel, mode)[0, ..., 0]
    nan_top = tf.fill([p.crop_start, p.width], tf.constant(float("nan"), band.dtype))
    nan_bottom = tf.fill([p.height - p.crop_stop, p.width], tf.constant(float("nan"), band.dtype))
    return tf.concat([nan_top, band, nan_bottom], 0)


def predict_stages(values: Mapping[str, np.ndarray], image_hwc: np.ndarray, camera: str = "auto", *,
                   postprocess: bool = False, layout: PanoramaLayout = PanoramaLayout(), raw: bool = False,
                   dtype: str = "float32", resize: ResizeMode = "matrix") -> dict[str, np.ndarray]:
    """Run the pipeline with TF; returns {"net_input", "net_output", "final"} as numpy (H, W[, 3])."""
    if resize == "native" and dtype != "float32":
        raise ValueError("tf.image.resize computes in float32; use resize='matrix' for float64")
    image = tf.constant(np.asarray(image_hwc, dtype=dtype)[None])
    plan = make_plan(int(image.shape[1]), int(image.shape[2]), camera, _CARD, layout)
    flip = plan.camera == "equirectangular" or postprocess
    net_in = prepare(image, plan, resize)
    net_out = run_network(values, net_in, plan, flip, dtype)
    final = finish(net_out, plan, raw, resize)
    stages = {"net_input": net_in[0].numpy(), "net_output": net_out[0].numpy(), "final": final.numpy()}
    for name, arr in stages.items():
        if arr.dtype != np.dtype(dtype):
            raise AssertionError(f"TF computed {name} in {arr.dtype}, expected {dtype}")
    return stages


def predict_array(values: Mapping[str, np.ndarray], image_hwc: np.ndarray, camera: str = "auto",
                  **kwargs: Any) -> np.ndarray:
    """TF twin of `panoconv.inference.predict_array` (weights as TF-name -> array)."""
    return predict_stages(values, image_hwc, camera, **kwargs)["final"]


def graph_predictor(values: Mapping[str, np.ndarray], height: int, width: int, camera: str = "auto", *,
                    postprocess: bool = False, layout: PanoramaLayout = PanoramaLayout(),
                    dtype: str = "float32") -> Callable[[np.ndarray], np.ndarray]:
    """The pipeline as a TF user runs it: one `tf.function` (graph mode, grappler's Conv+BiasAdd+ELU
    fusion) over `tf.Variable` weights, for images of `height` x `width`. The fair speed baseline: the
    eager `predict_array` re-creates every weight constant per call and is ~1.4x slower."""
    params = VariableParams(values, dtype)
    plan = make_plan(height, width, camera, _CARD, layout)
    flip = plan.camera == "equirectangular" or postprocess

    @tf.function(input_signature=[tf.TensorSpec([height, width, 3], dtype)])
    def run(image: Any) -> Any:
        return finish(run_network(params, prepare(image[None], plan), plan, flip, dtype), plan)

    return lambda image_hwc: run(tf.constant(np.asarray(image_hwc, dtype=dtype))).numpy()
