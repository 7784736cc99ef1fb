"""Where and in which precision PyTorch runs: `--device` and `--precision` for predict, evaluate and train.

Why one module: the three commands must refuse the same bad combinations with the same one-line
message (`--device cuda` without CUDA, `--precision fp16` on the CPU) and set up CUDA the same way.

- `fp32`: plain float32 (the default; parity with TF float32 holds).
- `bf16`: `torch.autocast` to bfloat16 (CPU and CUDA): convolutions in bfloat16, reductions kept in
  float32 by autocast. Outputs are cast back to float32 by the callers.
- `fp16`: CUDA only (autocast float16; training adds a `GradScaler`). CPU float16 convolutions are
  slow and not what users want, so it is refused.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from panoconv.errors import PanoconvError
from panoconv.precision import PRECISIONS

_AUTOCAST_DTYPE = {"bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(name: str = "cpu") -> torch.device:
    """`cpu`, `cuda`, `cuda:N` or `auto` (CUDA when present) -> a device; a CUDA request without CUDA is a
    `PanoconvError` (one line, exit 1)."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise PanoconvError(f"--device {name}: not a device (use cpu, cuda, cuda:N or auto)") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise PanoconvError(f"--device {name}: CUDA is not available on this machine "
                                f"(torch {torch.__version__}, "
                                f"built {'with' if torch.version.cuda else 'without'} CUDA)")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise PanoconvError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) present")
    elif device.type != "cpu":
        raise PanoconvError(f"--device {name}: only cpu and cuda are supported")
    return device


def check_precision(precision: str, device: torch.device) -> None:
    """Refuse what cannot run: unknown names, float16 on the CPU."""
    if precision not in PRECISIONS:
        raise PanoconvError(f"--precision {precision}: choose one of {', '.join(PRECISIONS)}")
    if precision == "fp16" and device.type != "cuda":
        raise PanoconvError("--precision fp16 needs CUDA; on the CPU use bf16 (bfloat16 autocast) or fp32")


def autocast(precision: str, device: torch.device | str = "cpu") -> contextlib.AbstractContextManager:
    """The autocast context of `precision` on `device` (a no-op for fp32)."""
    device = torch.device(device)
    check_precision(precision, device)
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=_AUTOCAST_DTYPE[precision])


@contextlib.contextmanager
def autocast_forward(model: torch.nn.Module, precision: str,
                     device: torch.device | str = "cpu") -> Iterator[None]:
    """Within the block, `model(...)` runs under autocast and returns float32 tensors.

    Why not autocast the whole loss: the warps and SSIM must see one dtype (bfloat16 sampling and
    averaging would cost accuracy for little time), so only the network runs in reduced precision,
    as PyTorch's AMP recipe advises for losses.
    """
    if precision == "fp32":
        yield
        return
    check_precision(precision, torch.device(device))
    original = model.forward

    def forward(*args: object, **kwargs: object) -> object:
        with autocast(precision, device):
            out = original(*args, **kwargs)
        return _float32(out)

    model.forward = forward  # type: ignore[method-assign]
    try:
        yield
    finally:
        del model.forward  # back to the class's forward


def _float32(out: object) -> object:
    if isinstance(out, torch.Tensor):
        return out.float() if out.is_floating_point() else out
    if isinstance(out, (list, tuple)):
        return type(out)(_float32(o) for o in out)
    if isinstance(out, dict):
        return {k: _float32(v) for k, v in out.items()}
    return out


def grad_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler | None:
    """A `GradScaler` for fp16 on CUDA (bfloat16 has float32's range and needs none)."""
    return torch.amp.GradScaler("cuda") if precision == "fp16" and device.type == "cuda" else None


def prepare_model(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """Move to `device` in channels_last (oneDNN's NHWC kernels on the CPU, tensor-core layouts on CUDA)."""
    return model.to(device, memory_format=torch.channels_last)


@contextlib.contextmanager
def cudnn_benchmark(device: torch.device, fixed_sizes: bool = True) -> Iterator[None]:
    """`cudnn.benchmark` while sizes are fixed (it re-tunes for every new shape otherwise)."""
    if device.type != "cuda" or not fixed_sizes:
        yield
        return
    saved = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = True
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = saved
