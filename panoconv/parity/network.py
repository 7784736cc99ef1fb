"""Network parity: the TF reference and the PyTorch model on identical inputs, output by output and
layer by layer, in float32 (deployment drift) and float64 (proof that the conversion is exact).

The two sides read the weights independently: TensorFlow restores the checkpoint with its own
`tf.train.load_checkpoint`; PyTorch gets them through panoconv's reader and converter (or the
user's converted file), so a bug in either path shows up as a difference.

Everything network-specific comes from the card (given, or detected from the checkpoint): the layers
compared, the outputs, the size multiple, the input channels (a stereo card gets left/right pairs) and
the TF forward.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from panoconv.arch import DEFAULT_ARCH, ArchCard, UnsupportedOptionError, get_card
from panoconv.errors import PanoconvError
from panoconv.parity.compare import TensorError, tensor_error
from panoconv.parity.environment import environment
from panoconv.parity.weights import tf_reference_weights
from panoconv.progress import Stages

log = logging.getLogger(__name__)

DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class VerifyRequest:
    """The network check. `checkpoint` may be given positionally; every other field by keyword only."""

    checkpoint: Path
    _: KW_ONLY
    weights: Path | None = None  # converted weights; None = convert the checkpoint in memory
    tol: float = 1e-6  # on each output's MSE
    dtypes: tuple[str, ...] = DTYPES
    height: int = 256
    width: int = 512
    ring_pad: bool = False
    images: tuple[Path, ...] = ()
    random_images: int = 1
    seed: int = 0
    arch: str | None = None  # None: detect from the checkpoint
    pairs: tuple[tuple[Path, Path], ...] = ()  # stereo cards: (left, right) images
    precision: str = "fp32"  # PyTorch side under autocast (bf16): compared with float32 TF
    exported: Path | None = None  # compare this ONNX / TorchScript file (float32) instead of the model


@dataclass
class RunResult:
    """One input in one dtype."""

    dtype: str
    input_name: str
    outputs: list[TensorError]
    layers: list[TensorError]  # accumulated: both networks run end to end
    tol: float
    isolated: list[TensorError] = field(default_factory=list)  # each layer fed TF's own input

    @property
    def passed(self) -> bool:
        return all(e.mse <= self.tol for e in self.outputs)

    @property
    def first_bad_layer(self) -> str | None:
        return next((e.name for e in self.layers if not e.mse <= self.tol), None)


@dataclass
class ParityReport:
    request: VerifyRequest
    environment: dict[str, object]
    runs: list[RunResult] = field(default_factory=list)
    arch: str = ""
    metric_change: dict[str, dict[str, float]] | None = None  # precision != fp32: synthetic evaluation

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.runs)


def resolve_checkpoint_card(checkpoint: Path, arch: str | None = None) -> ArchCard:
    """The card of `checkpoint`: `arch` (checked to fit), else detected from its tensor names and shapes."""
    from panoconv.converter.cards import resolve_card
    from panoconv.converter.sources import open_source

    return resolve_card(open_source(checkpoint), arch)


def torch_state(request: VerifyRequest, card: ArchCard) -> dict[str, torch.Tensor]:
    """PyTorch weights from the converted file (checked to fit the card) or by converting the checkpoint."""
    if request.weights is not None:
        from panoconv.weights.files import load_weights
        from panoconv.weights.loading import resolve_weights_card

        state, _ = load_weights(request.weights)
        resolve_weights_card(request.weights, state, {}, card.name)
        return state
    from panoconv.converter.convert import convert_to_state

    state, _, _, _ = convert_to_state(request.checkpoint, card.name)
    return {k: torch.from_numpy(v) for k, v in state.items()}


def _load_resized(path: Path, request: VerifyRequest) -> np.ndarray:
    from panoconv.io.images import load_rgb

    loaded = load_rgb(path)
    if loaded.note:
        log.info("%s: %s", path, loaded.note)
    img = Image.fromarray(np.clip(np.rint(loaded.pixels * 255), 0, 255).astype(np.uint8))
    resized = img.resize((request.width, request.height), Image.Resampling.LANCZOS)
    return np.asarray(resized, dtype=np.float64) / 255.0


def make_inputs(request: VerifyRequest, card: ArchCard) -> list[tuple[str, np.ndarray]]:
    """Seeded random inputs and the user's images (stereo cards: pairs), (H, W, C) float64 in [0, 1],
    identical for both sides."""
    card.check_inputs(bool(request.images), bool(request.pairs))
    rng = np.random.default_rng(request.seed)
    shape = (request.height, request.width, card.input_channels)
    inputs = [(f"random[{i}] seed={request.seed}", rng.random(shape)) for i in range(request.random_images)]
    inputs += [(str(path), _load_resized(path, request)) for path in request.images]
    inputs += [(f"{left} + {right}", np.concatenate([_load_resized(left, request),
                                                     _load_resized(right, request)], 2))
               for left, right in request.pairs]
    return inputs


def check_size(height: int, width: int, card: ArchCard | None = None) -> None:
    """Refuse network input sizes that are not positive multiples of the card's size multiple."""
    (card or get_card(DEFAULT_ARCH)).check_size(height, width)


def run_network_parity(request: VerifyRequest, tf_weights: Mapping[str, np.ndarray] | None = None,
                       card: ArchCard | None = None) -> ParityReport:
    """Run both frameworks on every input in every dtype and compare outputs and every layer."""
    from panoconv.tf_reference.run import run_tf

    card = card or resolve_checkpoint_card(request.checkpoint, request.arch)
    card.require_tf()
    card.check_size(request.height, request.width)
    if request.ring_pad and not card.ring_pad:
        raise UnsupportedOptionError(f"{card.name} has no ring padding (--ring-pad)")
    dtypes = _dtypes_for(request)
    stages = Stages("verify")
    inputs = make_inputs(request, card)
    stages.step(f"reading {request.checkpoint} ({card.name})")
    values = dict(tf_weights) if tf_weights is not None else tf_reference_weights(request.checkpoint, card)
    report = ParityReport(request, environment(request.seed), arch=card.name)
    if request.exported is not None:
        stages.step(f"running the exported {request.exported.name} beside TensorFlow")
        _exported_runs(request, card, values, inputs, report)
        stages.done()
        return report
    stages.step("loading the PyTorch weights" if request.weights else "converting to PyTorch in memory")
    state = torch_state(request, card)
    model = card.build(**({"ring_pad": request.ring_pad} if card.ring_pad else {}))
    model.load_state_dict(state, strict=True)
    model.eval()
    layer_names = list(card.layer_names)
    for dtype in dtypes:
        net = model.to(getattr(torch, dtype))
        for input_name, image in inputs:
            batch = image[None].astype(dtype)  # (1, H, W, C)
            stages.step(f"{dtype} {input_name}: TensorFlow reference, then PyTorch, every layer")
            tf_inputs: dict[str, np.ndarray] = {}
            tf_out, tf_layers = run_tf(card, values, batch, dtype, ring=request.ring_pad,
                                       layer_inputs=tf_inputs)
            pt_out, pt_layers = _run_torch(net, batch, layer_names, card.outputs, request.precision)
            outputs = [tensor_error(n, pt_out[n], tf_out[n]) for n in card.outputs]
            layers = [tensor_error(n, pt_layers[n], tf_layers[n]) for n in layer_names]
            isolated = [tensor_error(n, _run_layer_isolated(net, n, tf_inputs[n], request.precision),
                                     tf_layers[n])
                        for n in layer_names if n in tf_inputs]
            report.runs.append(RunResult(dtype, input_name, outputs, layers, request.tol, isolated))
            log.info("%s %s: worst output MSE %.3g", dtype, input_name, max(e.mse for e in outputs))
    if request.precision != "fp32":
        from panoconv.parity.precision import synthetic_metric_change

        report.metric_change = synthetic_metric_change(model.to(torch.float32), request.precision,
                                                       request.seed)
    stages.done()
    return report


def _dtypes_for(request: VerifyRequest) -> tuple[str, ...]:
    """float32 only for exported graphs and reduced precision (both are compared with float32 TF)."""
    from panoconv.runtime import check_precision

    check_precision(request.precision, torch.device("cpu"))
    for dtype in request.dtypes:
        if dtype not in DTYPES:
            raise PanoconvError(f"unknown dtype {dtype!r}; use float32 or float64")
    if request.exported is not None and request.precision != "fp32":
        raise PanoconvError("--exported runs the exported float32 graph; --precision does not apply to it")
    if request.exported is None and request.precision == "fp32":
        return request.dtypes
    if "float32" not in request.dtypes:
        raise PanoconvError("--exported / --precision compare with float32 TensorFlow; use --dtype float32")
    if "float64" in request.dtypes:
        log.info("float64 left out: %s is compared with float32 TensorFlow",
                 "the exported graph" if request.exported else f"{request.precision} autocast")
    return ("float32",)


def _exported_runs(request: VerifyRequest, card: ArchCard, values: Mapping[str, np.ndarray],
                   inputs: list[tuple[str, np.ndarray]], report: ParityReport) -> None:
    """Outputs of the exported file vs float32 TF (a graph has no per-layer hooks: outputs only)."""
    from panoconv.export import load_exported
    from panoconv.tf_reference.run import run_tf

    exported = load_exported(request.exported)
    meta = exported.meta
    if meta.arch != card.name:
        raise PanoconvError(f"{request.exported}: an exported {meta.arch}, but {request.checkpoint} is "
                            f"a {card.name}")
    if meta.ring_pad != request.ring_pad:
        raise PanoconvError(f"{request.exported}: exported with ring "
                            f"padding {'on' if meta.ring_pad else 'off'}; "
                            f"verify {'with' if meta.ring_pad else 'without'} --ring-pad")
    for input_name, image in inputs:
        batch = image[None].astype("float32")
        tf_out, _ = run_tf(card, values, batch, "float32", ring=request.ring_pad)
        got = exported(batch.transpose(0, 3, 1, 2))
        outputs = [tensor_error(n, o.transpose(0, 2, 3, 1), tf_out[n]) for n, o in zip(card.outputs, got)]
        report.runs.append(RunResult("float32", f"{input_name} [exported {meta.format}]", outputs, [],
                                     request.tol))


def _run_layer_isolated(model: torch.nn.Module, name: str, tf_input_nhwc: np.ndarray,
                        precision: str = "fp32") -> np.ndarray:
    """One PyTorch layer on TensorFlow's recorded input: its error is local, not accumulated drift."""
    from panoconv.runtime import autocast

    module = dict(model.named_modules())[name]
    with torch.no_grad(), autocast(precision):
        out = module(torch.from_numpy(np.ascontiguousarray(tf_input_nhwc.transpose(0, 3, 1, 2))))
    return out.to(getattr(torch, str(tf_input_nhwc.dtype))).numpy().transpose(0, 2, 3, 1)


def _run_torch(model: torch.nn.Module, batch_nhwc: np.ndarray, layer_names: list[str],
               output_names: tuple[str, ...], precision: str = "fp32"
               ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Outputs and per-layer activations, returned NHWC (in the input's dtype) to match the TF side; under
    a reduced `precision` the network runs in autocast."""
    from panoconv.runtime import autocast

    captured: dict[str, torch.Tensor] = {}
    modules = dict(model.named_modules())
    hooks = [modules[name].register_forward_hook(lambda _m, _i, out, n=name: captured.__setitem__(n, out))
             for name in layer_names]
    try:
        with torch.no_grad(), autocast(precision):
            outs = model(torch.from_numpy(np.ascontiguousarray(batch_nhwc.transpose(0, 3, 1, 2))))
    finally:
        for h in hooks:
            h.remove()
    to_nhwc = lambda t: t.to(getattr(torch, str(batch_nhwc.dtype))).numpy().transpose(0, 2, 3, 1)  # noqa: E731
    for name, tensor in captured.items():
        if precision == "fp32" and tensor.dtype != outs[0].dtype:
            raise AssertionError(f"PyTorch computed {name} in {tensor.dtype}")
    return ({n: to_nhwc(o) for n, o in zip(output_names, outs)},
            {n: to_nhwc(captured[n]) for n in layer_names})


__all__ = ["ParityReport", "RunResult", "VerifyRequest", "run_network_parity", "tf_reference_weights"]
