"""Training parity: monodepth loss terms, parameter gradients and Adam steps, PyTorch vs TensorFlow.

`run_loss_parity(LossParityRequest(...))` feeds one seeded smooth stereo pair and identical weights
to both frameworks, per dtype:
- TF: eager, `tf_reference.monodepth.forward` over `tf.Variable`s + `tf_reference.loss`, gradients by
  `tf.GradientTape`, N steps of the real `tf.compat.v1.train.AdamOptimizer`;
- PyTorch: the card's model (`arch`, default monodepth-vgg; any monodepth card: VGG or ResNet50 encoder,
  stereo cards fed left and right concatenated on channels) + `losses.monodepth_loss`, autograd, N steps
  of `TF1Adam`.
Each framework computes its own gradients for its own Adam steps (nothing is copied across).

float32 staged checks (each stage fed identical inputs, so accumulated drift does not count):
- `loss_backward`: d(total)/d(disp_i), i = 1..4, with both losses fed the same disparities (TF's
  float32 network outputs) and the same image pyramids. The TF loss runs with `exact_square` and
  `avgpool_pyramid` here (same math as upstream, PyTorch's rounding): TF's float32 `t ** 2` is not
  correctly rounded (differs from `t * t` on ~1/4 of the elements, amplified by SSIM's variance
  `E[x^2] - mu^2`; 1.5e-5 at 128x128 with it, 2e-6 without) and `resize_area` rounds differently
  from average pooling on ~1/5 of the elements (1.7e-5 on d/d disp2 at 256x512 with it, 1.5e-6
  without);
- `network_backward`: every parameter gradient with both networks back-propagating the same
  upstream gradient (TF's float32 d(total)/d(disp_i), loss only) from their own forward; PyTorch
  with its native CPU convolutions (oneDNN off). `network_backward_onednn` (reported, not gating)
  is the same with PyTorch's default oneDNN kernels, whose float32 weight gradients accumulate
  less accurately: decoder.upconv1.weight 2.0e-5 from float64 at 256x512 batch 1, against 9.8e-7
  with native kernels and 2.0e-6 for TF float32.
The staged loss backward gates for the rectilinear warp only: in the equirectangular warp the two
frameworks' float32 sin / tan / sqrt / atan / asin differ by ulps, so even on identical
disparities the sample coordinates differ by up to 1.2e-4 px (256x512) and some pixels read another
row or column pair (O(1) there); it is reported, at the level of TF's own float32 error (128x128:
8.0e-5 vs TF float32 against float64 7.9e-5).
Each staged diff also carries `float32_floor` = max_rel of TF float32 vs TF float64 on the same
inputs (how far TF's float32 is from the exact result there) and `float64_error` = the same for
PyTorch float32. It passes if PyTorch agrees with TF to the tolerance (max_rel <= tol) or PyTorch is
at least as close to the exact result as TF (float64_error <= float32_floor). A real loss or
backward bug fails both (O(1) differences). Example, 256x512 batch 1: encoder.conv1a.weight
differs by 1.46e-5 because TF float32 is 1.4e-5 from float64 there, PyTorch's native kernels
<= 3.9e-6 on every tensor.

Why the end-to-end float32 gradients cannot meet 1e-5 (measured, 256x512, seed 0): the two
forwards differ by ~1e-6 relative (different conv kernels), i.e. ~1e-4 px in the sample column
x = x_t + d W of the bilinear warps. d(out)/d(x) = img[x0 + 1] - img[x0] jumps where x crosses an
integer, so wherever x lies within that distance of an integer the frameworks interpolate
different pixel pairs and d(loss)/d(disp) differs by O(1) there (6 such `floor_flips` at batch 1:
max_rel 0.14 / 0.34 on d(total)/d(disp1 / disp2); 3e-4 / 8e-3 away from the flipped elements). Those errors
then sum into the parameter gradients (decoder.disp4.bias 1.9e-2 at batch 2). TF float32 itself is as far
from TF float64 (disp4.bias 0.14): the end-to-end float32 numbers are reported, and gate only in
float64. `floor_flips` counts, per scale, disparity elements whose warp samples a different pixel
pair in the two frameworks' forwards.

Error measures (reference = TensorFlow): for a scalar term rel = |a - b| / |b|; for a tensor
max_abs = max|a - b| and max_rel = max|a - b| / max|b| (per tensor, so elements near zero do not
dominate; 0/0 counts as 0). Pass if every max_rel <= the dtype's tolerance.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import torch

from panoconv.arch import DEFAULT_ARCH, ArchCard, get_card
from panoconv.geometry.constants import KITTI_FOV_DEG
from panoconv.parity._synthetic import stereo_pair
from panoconv.parity.environment import environment
from panoconv.parity.loss_report import DtypeParity, LossParityReport, TensorDiff, tensor_diff
from panoconv.parity.weights import torch_model_from_tf
from panoconv.progress import Stages

#: max_rel tolerance per dtype (float64 proves the semantics, float32 measures deployment drift).
TOLERANCES: dict[str, float] = {"float64": 1e-10, "float32": 1e-5}


@dataclass(frozen=True, kw_only=True)
class LossParityRequest:
    """What to compare. `weights`: TF name -> array (None = `seeded_weights(seed, arch)`); `arch`: the card
    (a monodepth network: one trained by the monodepth loss)."""

    weights: Mapping[str, np.ndarray] | None = None
    warp: str = "rectilinear"
    fov: float = KITTI_FOV_DEG
    dtypes: Sequence[str] = ("float32", "float64")
    height: int = 256
    width: int = 512
    batch: int = 2
    seed: int = 0
    adam_steps: int = 5
    lr: float = 1e-4
    arch: str = DEFAULT_ARCH

    @property
    def card(self) -> ArchCard:
        return get_card(self.arch)

    def __post_init__(self) -> None:
        if self.warp not in ("rectilinear", "equirectangular"):
            raise ValueError("loss parity supports warp 'rectilinear' or 'equirectangular' (the TF "
                             f"reference has no panorama warp), got {self.warp!r}")
        bad = [d for d in self.dtypes if d not in TOLERANCES]
        if bad:
            raise ValueError(f"unsupported dtypes {bad}; use {list(TOLERANCES)}")
        card = self.card
        if not card.tf_born or card.task != "stereo":
            raise ValueError(f"loss parity compares monodepth networks (trained by the monodepth loss); "
                             f"{card.name} is not one")
        if self.height % card.size_multiple or self.width % card.size_multiple:
            raise ValueError(f"height and width must be multiples of {card.size_multiple}")
        if self.adam_steps < 0 or self.batch < 1:
            raise ValueError("adam_steps must be >= 0 and batch >= 1")


def _torch_model(weights: Mapping[str, np.ndarray], dtype: torch.dtype, card: ArchCard) -> torch.nn.Module:
    """The PyTorch network holding `weights`, in training mode (dropout-free, so only for clarity)."""
    return torch_model_from_tf(weights, dtype, architecture=card).train()


def _torch_input(card: ArchCard, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
    """What the network sees (NCHW): the left image, or left and right on channels for stereo cards."""
    return torch.cat([left, right], 1) if card.stereo else left


def _check_dtype(name: str, arr: np.ndarray, dtype: str) -> None:
    if arr.dtype != np.dtype(dtype):
        raise AssertionError(f"{name} computed in {arr.dtype}, expected {dtype} (a framework changed the "
                             "dtype)")


def _run_dtype(req: LossParityRequest, weights: Mapping[str, np.ndarray], dtype: str) -> DtypeParity:
    from panoconv.losses.monodepth import MonodepthLossConfig, monodepth_loss
    from panoconv.tf_reference import training as tft
    from panoconv.training.optim import TF1Adam

    tf = tft.tf
    card = req.card
    tol = TOLERANCES[dtype]
    result = DtypeParity(dtype, tol, warp=req.warp)
    left, right = stereo_pair(req.seed, req.batch, req.height, req.width)
    kw = dict(mode=req.warp, fov=req.fov)
    config = MonodepthLossConfig(warp=req.warp, fov_deg=req.fov)  # type: ignore[arg-type]
    tf_left = tf.constant(left.transpose(0, 2, 3, 1).astype(dtype))
    tf_right = tf.constant(right.transpose(0, 2, 3, 1).astype(dtype))
    pt_dtype = getattr(torch, dtype)
    pt_left = torch.from_numpy(left).to(pt_dtype)
    pt_right = torch.from_numpy(right).to(pt_dtype)

    stages = Stages(f"verify --loss {dtype}")
    # --- TF: loss terms, gradients, Adam.
    stages.step("TensorFlow loss terms and gradients")
    t0 = time.perf_counter()
    params = tft.VariableParams(weights, dtype, card)
    tf_terms, tf_grads = tft.loss_and_gradients(params, tf_left, tf_right, **kw)
    tf_terms = {k: v.numpy() for k, v in tf_terms.items()}
    tf_grads = {k: g.numpy() for k, g in tf_grads.items()}
    result.seconds["tf_loss_grad"] = time.perf_counter() - t0
    stages.step(f"TensorFlow {req.adam_steps} Adam steps")
    t0 = time.perf_counter()
    opt = tft.adam(req.lr)
    for _ in range(req.adam_steps):
        tft.train_step(params, opt, tf_left, tf_right, **kw)
    tf_after = params.numpy()
    result.seconds["tf_adam"] = time.perf_counter() - t0

    # --- PyTorch: the same.
    stages.step("PyTorch loss terms and gradients")
    t0 = time.perf_counter()
    model = _torch_model(weights, pt_dtype, card)
    pt_input = _torch_input(card, pt_left, pt_right)
    out = monodepth_loss(model(pt_input), pt_left, pt_right, config)
    out.total.backward()
    pt_terms = {"total": out.total.detach().numpy(), **{k: v.detach().numpy() for k, v in out.terms.items()}}
    named = dict(model.named_parameters())
    pt_grads = {name: p.grad.detach().numpy().copy() for name, p in named.items()}
    result.seconds["torch_loss_grad"] = time.perf_counter() - t0
    stages.step(f"PyTorch {req.adam_steps} Adam steps")
    t0 = time.perf_counter()
    optimizer = TF1Adam(model.parameters(), lr=req.lr)
    for _ in range(req.adam_steps):
        optimizer.zero_grad(set_to_none=True)
        monodepth_loss(model(pt_input), pt_left, pt_right, config).total.backward()
        optimizer.step()
    pt_after = {name: p.detach().numpy() for name, p in model.named_parameters()}
    result.seconds["torch_adam"] = time.perf_counter() - t0

    for name, ref in tf_terms.items():
        _check_dtype(f"TF term {name}", ref, dtype)
        _check_dtype(f"torch term {name}", pt_terms[name], dtype)
        result.terms.append(tensor_diff(name, name, pt_terms[name], ref, tol))
    for row in card.tf_name_table:
        _check_dtype(f"TF gradient {row.tf_name}", tf_grads[row.tf_name], dtype)
        ref_grad = row.layout.to_torch(tf_grads[row.tf_name])
        result.gradients.append(tensor_diff(row.torch_name, row.tf_name, pt_grads[row.torch_name], ref_grad,
                                            tol))
        if req.adam_steps:
            ref_w = row.layout.to_torch(tf_after[row.tf_name])
            result.adam.append(tensor_diff(row.torch_name, row.tf_name, pt_after[row.torch_name], ref_w, tol))
    if req.adam_steps:
        stages.step("one Adam step from identical gradients (isolated)")
        result.adam_isolated = _adam_isolated(weights, tf_grads, dtype, req.lr, tol, card)
    if dtype == "float32":
        stages.step("staged float32 checks (loss backward, network backward)")
        t0 = time.perf_counter()
        _staged_float32(req, weights, left, right, result)
        result.seconds["staged"] = time.perf_counter() - t0
    stages.done()
    return result


def run_staged_float32(req: LossParityRequest) -> DtypeParity:
    """Only the float32 staged checks (`loss_backward`, `network_backward`, `floor_flips`) of `req`,
    without the end-to-end comparison: a quick float32 check of the loss and network backward."""
    from panoconv.tf_reference.checkpoint import seeded_weights

    weights = seeded_weights(req.seed, req.card) if req.weights is None else req.weights
    left, right = stereo_pair(req.seed, req.batch, req.height, req.width)
    result = DtypeParity("float32", TOLERANCES["float32"], warp=req.warp)
    _staged_float32(req, weights, left, right, result)
    return result


def floor_flips(disps_a: Sequence[np.ndarray], disps_b: Sequence[np.ndarray]) -> list[int]:
    """Per scale, how many disparity elements (NCHW, channel 0 = left, 1 = right) make the rectilinear
    warps (`warp(., -dL)`, `warp(., +dR)`) interpolate a different pixel pair, or clip differently,
    in forward a than in forward b. Computed in float32 as the samplers do."""
    out = []
    for a, b in zip(disps_a, disps_b):
        w = a.shape[-1]
        x_t = np.arange(w, dtype=np.float32)
        n = 0
        for ch, sign in ((0, -1.0), (1, 1.0)):
            xa, xb = (x_t + np.float32(sign) * d[:, ch].astype(np.float32) * np.float32(w) + np.float32(1.0)
                      for d in (a, b))
            fa, fb = (np.floor(np.clip(x, 0, w + 1)) for x in (xa, xb))
            ca, cb = ((x < 0) | (x > w + 1) for x in (xa, xb))
            n += int(np.sum((fa != fb) | (ca != cb)))
        out.append(n)
    return out


def _staged_float32(req: LossParityRequest, weights: Mapping[str, np.ndarray], left: np.ndarray,
                    right: np.ndarray, result: DtypeParity) -> None:
    """Fill `loss_backward`, `network_backward` and `floor_flips` (see the module docstring)."""
    from panoconv.losses.monodepth import MonodepthLossConfig, monodepth_loss
    from panoconv.tf_reference import training as tft
    from panoconv.tf_reference.loss import monodepth_loss as tf_monodepth_loss

    tf = tft.tf
    card = req.card
    forward = card.load_tf_forward()
    tol = result.tolerance
    kw = dict(mode=req.warp, fov=req.fov)
    nhwc = {d: (tf.constant(left.transpose(0, 2, 3, 1).astype(d)),
                tf.constant(right.transpose(0, 2, 3, 1).astype(d)))
            for d in ("float32", "float64")}

    def tf_loss_grad(disps_nhwc: Sequence[np.ndarray], dtype: str) -> list[np.ndarray]:
        ds = [tf.Variable(np.asarray(d, dtype=dtype)) for d in disps_nhwc]
        with tf.GradientTape() as tape:
            total = tf_monodepth_loss(ds, *nhwc[dtype], exact_square=True, avgpool_pyramid=True,
                                      **kw)["total"]
        grads = [g.numpy() for g in tape.gradient(total, ds)]
        for g in grads:
            _check_dtype("TF d(total)/d(disp)", g, dtype)
        return grads

    def tf_net_grad(upstream: Sequence[np.ndarray], dtype: str) -> tuple[list[np.ndarray],
                                                                         dict[str, np.ndarray]]:
        params = tft.VariableParams(weights, dtype, card)
        names = list(params.variables)
        left_nhwc, right_nhwc = nhwc[dtype]
        with tf.GradientTape() as tape:
            disps = forward(tf.concat([left_nhwc, right_nhwc], 3) if card.stereo else left_nhwc, params)
        grads = tape.gradient(disps, [params.variables[n] for n in names],
                              output_gradients=[tf.constant(np.asarray(u, dtype=dtype)) for u in upstream])
        return [d.numpy() for d in disps], {n: g.numpy() for n, g in zip(names, grads)}

    def staged(name: str, tf_name: str, pt: np.ndarray, tf32: np.ndarray, tf64: np.ndarray) -> TensorDiff:
        d = tensor_diff(name, tf_name, pt, tf32, tol)
        d.float32_floor = tensor_diff(name, tf_name, tf32, tf64, tol).max_rel
        d.float64_error = tensor_diff(name, tf_name, pt, tf64, tol).max_rel
        d.passed = bool(np.all(np.isfinite(pt))) and (d.max_rel <= tol or d.float64_error <= d.float32_floor)
        return d

    # Stage 1: both losses fed TF's float32 disparities.
    zeros = [np.zeros((req.batch, req.height >> i, req.width >> i, 2), np.float32) for i in range(4)]
    disps_tf, _ = tf_net_grad(zeros, "float32")
    up32 = tf_loss_grad(disps_tf, "float32")
    up64 = tf_loss_grad(disps_tf, "float64")
    pt_disps = [torch.from_numpy(d.transpose(0, 3, 1, 2).copy()).requires_grad_() for d in disps_tf]
    config = MonodepthLossConfig(warp=req.warp, fov_deg=req.fov)  # type: ignore[arg-type]
    total = monodepth_loss(pt_disps, torch.from_numpy(left).float(), torch.from_numpy(right).float(),
                           config).total
    pt_up = [g.numpy().transpose(0, 2, 3, 1) for g in torch.autograd.grad(total, pt_disps)]
    for i in range(4):
        result.loss_backward.append(staged(f"d total/d disp{i + 1}", f"disp{i + 1}", pt_up[i], up32[i],
                                           up64[i]))

    # Stage 2: both networks back-propagate TF's float32 d(total)/d(disp).
    _, net32 = tf_net_grad(up32, "float32")
    _, net64 = tf_net_grad(up32, "float64")
    for onednn, diffs in ((False, result.network_backward), (True, result.network_backward_onednn)):
        saved = torch.backends.mkldnn.enabled
        torch.backends.mkldnn.enabled = onednn  # (`mkldnn.flags` warns about TF32 on Intel GPUs)
        try:
            model = _torch_model(weights, torch.float32, card)
            outs = model(_torch_input(card, torch.from_numpy(left).float(), torch.from_numpy(right).float()))
            torch.autograd.backward(outs, [torch.from_numpy(u.transpose(0, 3, 1, 2).copy()) for u in up32])
        finally:
            torch.backends.mkldnn.enabled = saved
        named = dict(model.named_parameters())
        for row in card.tf_name_table:
            diffs.append(staged(row.torch_name, row.tf_name, named[row.torch_name].grad.numpy(),
                                row.layout.to_torch(net32[row.tf_name]),
                                row.layout.to_torch(net64[row.tf_name])))
    if req.warp == "rectilinear":
        result.floor_flips = floor_flips([o.detach().numpy() for o in outs],
                                         [d.transpose(0, 3, 1, 2) for d in disps_tf])


def _adam_isolated(weights: Mapping[str, np.ndarray], tf_grads: Mapping[str, np.ndarray], dtype: str,
                   lr: float, tol: float, card: ArchCard) -> list[TensorDiff]:
    """One Adam step from the same weights with the same (TF) gradients in both optimizers.

    Separates the optimizer from gradient drift: Adam's update lr * m / (sqrt(v) + eps) is about
    lr * sign(g) at the first step, so float32 gradient noise on tiny gradient elements moves
    weights by up to ~lr in the end-to-end check, which this check does not have.
    """
    from panoconv.tf_reference import training as tft
    from panoconv.training.optim import TF1Adam

    tf = tft.tf
    variables = {n: tf.Variable(np.asarray(weights[n], dtype=dtype)) for n in tf_grads}
    tft.adam(lr).apply_gradients([(tf.constant(tf_grads[n]), variables[n]) for n in tf_grads])
    params = {n: torch.nn.Parameter(torch.from_numpy(np.asarray(weights[n],
                                                                dtype=dtype).copy())) for n in tf_grads}
    for n, p in params.items():
        p.grad = torch.from_numpy(np.asarray(tf_grads[n]).copy())
    TF1Adam(list(params.values()), lr=lr).step()
    return [tensor_diff(row.torch_name, row.tf_name,
                        row.layout.to_torch(params[row.tf_name].detach().numpy()),
                        row.layout.to_torch(variables[row.tf_name].numpy()),
                        tol) for row in card.tf_name_table]


def run_loss_parity(req: LossParityRequest) -> LossParityReport:
    """Run the comparison for every requested dtype; see the module docstring for what is compared."""
    if req.weights is None:
        from panoconv.tf_reference.checkpoint import seeded_weights

        weights: Mapping[str, np.ndarray] = seeded_weights(req.seed, req.card)
    else:
        weights = req.weights
        missing = [row.tf_name for row in req.card.tf_name_table if row.tf_name not in weights]
        if missing:
            raise KeyError(f"weights lack {len(missing)} variables, e.g. {missing[:3]}")
    request = {f.name: getattr(req, f.name) for f in fields(req) if f.name != "weights"}
    request["dtypes"] = list(req.dtypes)
    request["weights"] = "seeded_weights(seed)" if req.weights is None else "given"
    results = [_run_dtype(req, weights, dtype) for dtype in req.dtypes]
    return LossParityReport(request=request, environment=environment(req.seed), results=results)
