"""CUDA readiness in one table: parity, predict speed and 20 training steps per precision on the GPU.

With CUDA: (1) the seeded monodepth-vgg weights on the GPU against the TF reference (CPU) in float32 and
float64 (MSE of disp1..disp4, pass at MSE <= 1e-6 / 1e-20, the CPU verify tolerances); (2) predict
throughput of `predict_array` at 256x512 per precision (fp32, bf16, fp16 autocast), with disp1's max abs
error against the float32 GPU result; (3) 20 training steps (monodepth loss, TF1Adam, batch 2) per
precision, fp16 with a GradScaler, reporting s/step, the last loss and its change vs fp32, and the peak
GPU memory. Without CUDA it says so and exits 0 (`--device cpu` runs the same checks on the CPU, minus
fp16, to try the script on a machine without a GPU).

    python benchmarks/gpu_check.py [--device cuda] [--repeats 10] [--steps 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np


def _sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _peak_mib(device) -> float:
    import torch

    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else float("nan")


def _reset_peak(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def parity_rows(values, device, size=(128, 256)) -> list[dict]:
    """GPU model vs TF reference on one seeded input, float32 and float64."""
    import torch

    from panoconv.arch import DEFAULT_ARCH, get_card
    from panoconv.parity.weights import torch_model_from_tf
    from panoconv.tf_reference.run import run_tf

    card = get_card(DEFAULT_ARCH)
    image = np.random.default_rng(0).random((1, *size, 3))
    rows = []
    for dtype, tol in (("float32", 1e-6), ("float64", 1e-20)):
        batch = image.astype(dtype)
        tf_out, _ = run_tf(card, values, batch, dtype)
        model = torch_model_from_tf(values, dtype).to(device)
        with torch.no_grad():
            outs = model(torch.from_numpy(np.ascontiguousarray(batch.transpose(0, 3, 1, 2))).to(device))
        mse = max(float(np.mean((o.cpu().numpy().transpose(0, 2, 3, 1) - tf_out[n]) ** 2))
                  for n, o in zip(card.outputs, outs))
        rows.append({"check": f"verify {dtype} {size[0]}x{size[1]}", "value": f"worst output MSE {mse:.2e}",
                     "status": "PASS" if mse <= tol else "FAIL"})
    return rows


def predict_rows(values, device, precisions, repeats) -> list[dict]:
    import torch

    from panoconv.inference.pipeline import predict_array
    from panoconv.parity.weights import torch_model_from_tf
    from panoconv.runtime import prepare_model

    model = prepare_model(torch_model_from_tf(values, "float32"), device)
    image = np.random.default_rng(1).random((256, 512, 3), np.float32)
    reference = None
    rows = []
    with torch.backends.cudnn.flags(enabled=True, benchmark=True):
        for precision in precisions:
            run = lambda: predict_array(model, image, "rectilinear", precision=precision)  # noqa: E731, B023
            out = run()
            run()  # warm-up: cudnn autotuning, allocator
            _reset_peak(device)
            times = []
            for _ in range(repeats):
                _sync(device)
                t0 = time.perf_counter()
                run()
                _sync(device)
                times.append(time.perf_counter() - t0)
            reference = out if reference is None else reference
            err = float(np.abs(out - reference).max())
            rows.append({"check": f"predict 256x512 {precision}",
                         "value": f"{1 / statistics.median(times):.1f} img/s, disp max abs vs "
                                  f"fp32 {err:.1e}, peak {_peak_mib(device):.0f} MiB", "status": "OK"})
    return rows


def train_rows(values, device, precisions, steps) -> list[dict]:
    import torch

    from panoconv.losses.monodepth import monodepth_loss
    from panoconv.parity._synthetic import stereo_pair
    from panoconv.parity.weights import torch_model_from_tf
    from panoconv.runtime import autocast_forward, grad_scaler, prepare_model
    from panoconv.training.optim import TF1Adam

    left, right = (torch.from_numpy(x.astype(np.float32)).to(device) for x in stereo_pair(0, 2, 256, 512))
    rows, base = [], None
    for precision in precisions:
        model = prepare_model(torch_model_from_tf(values, "float32").train(), device)
        opt = TF1Adam(model.parameters(), lr=1e-4)
        scaler = grad_scaler(precision, device)
        _reset_peak(device)
        times, loss = [], float("nan")
        for _ in range(steps):
            _sync(device)
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            with autocast_forward(model, precision, device):  # the network in `precision`, the loss float32
                total = monodepth_loss(model(left), left, right).total
            if scaler is None:
                total.backward()
                opt.step()
            else:
                scaler.scale(total).backward()
                scaler.step(opt)
                scaler.update()
            loss = float(total.detach())
            _sync(device)
            times.append(time.perf_counter() - t0)
        base = loss if base is None else base
        rows.append({"check": f"train {steps} steps {precision} b2 256x512",
                     "value": f"{statistics.median(times[2:] or times):.3f} s/step, last loss {loss:.4f} "
                              f"({100 * (loss - base) / abs(base):+.2f}% vs fp32), "
                              f"peak {_peak_mib(device):.0f} MiB",
                     "status": "OK" if np.isfinite(loss) else "FAIL"})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:N, or cpu for a dry run")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"gpu_check: no CUDA device (torch {torch.__version__}, CUDA "
              f"build: {torch.version.cuda or 'none'}); nothing to check")
        return 0
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from panoconv.runtime import resolve_device
    from panoconv.tf_reference.checkpoint import seeded_weights

    device = resolve_device(args.device)
    precisions = ["fp32", "bf16"] + (["fp16"] if device.type == "cuda" else [])
    values = seeded_weights(0)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU (dry run)"
    rows = parity_rows(values, device) + predict_rows(values, device, precisions, args.repeats)
    rows += train_rows(values, device, precisions, args.steps)
    print(f"gpu_check on {name}, torch {torch.__version__}, cudnn.benchmark for fixed sizes, channels_last")
    width = max(len(r["check"]) for r in rows)
    for r in rows:
        print(f"{r['check']:<{width}}  {r['status']:<4}  {r['value']}")
    return 1 if any(r["status"] == "FAIL" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
