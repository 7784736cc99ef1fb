"""Training-step time (forward + backward + Adam update) of panoconv vs the TensorFlow reference.

Same batch, same weights, float32. PyTorch: `create_model("monodepth-vgg")` + `monodepth_loss` +
`TF1Adam`. TensorFlow: the reference network + loss over `tf.Variable`s with
`tf.compat.v1.train.AdamOptimizer`, the whole step wrapped in one `tf.function` (graph-compiled,
which is how TF2 code trains; plain eager would be slower and unfair to TF). Median of `--repeat`
steps after `--warmup`. Usage:
    python benchmarks/bench_train_step.py --batch 2 [--batch 8] [--warp equirectangular] [--threads 2]
Both frameworks get the same number of intra-op threads (`--threads`, recorded in the header line);
PyTorch runs channels_last, as panoconv's trainer does.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch


def bench_torch(left, right, weights, warp, warmup, repeat):
    from panoconv.losses.monodepth import MonodepthLossConfig, monodepth_loss
    from panoconv.parity.weights import torch_model_from_tf
    from panoconv.training.optim import TF1Adam

    model = torch_model_from_tf(weights, torch.float32).train().to(memory_format=torch.channels_last)  # as the trainer runs it
    opt = TF1Adam(model.parameters(), lr=1e-4)
    config = MonodepthLossConfig(warp=warp)
    x_l, x_r = torch.from_numpy(left), torch.from_numpy(right)
    x_l_net = x_l.contiguous(memory_format=torch.channels_last)
    times = []
    for i in range(warmup + repeat):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        monodepth_loss(model(x_l_net), x_l, x_r, config).total.backward()
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_tf(left, right, weights, warp, warmup, repeat):
    from panoconv.tf_reference import training as tft

    tf = tft.tf
    params = tft.VariableParams(weights, "float32")
    opt = tft.adam(1e-4)
    x_l = tf.constant(left.transpose(0, 2, 3, 1))
    x_r = tf.constant(right.transpose(0, 2, 3, 1))

    @tf.function
    def step():
        return tft.train_step(params, opt, x_l, x_r, mode=warp)["total"]

    times = []
    for i in range(warmup + repeat):
        t0 = time.perf_counter()
        step().numpy()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, action="append", help="batch size(s); default 2")
    parser.add_argument("--height", type=int, default=256)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--warp", default="rectilinear", choices=["rectilinear", "equirectangular"])
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads, the same for both frameworks")
    args = parser.parse_args()

    from panoconv.parity._synthetic import stereo_pair
    from panoconv.tf_reference._tf import import_tf, onednn_setting
    from panoconv.tf_reference.checkpoint import seeded_weights

    tf = import_tf()
    # Same thread budget on both sides: TF ignores OMP_NUM_THREADS and sizes its own pool otherwise.
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    torch.set_num_threads(args.threads)
    weights = seeded_weights(0)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), tensorflow {tf.__version__} "
          f"(oneDNN {onednn_setting()}, {tf.config.threading.get_intra_op_parallelism_threads()} intra-op threads), "
          f"{args.height}x{args.width}, warp {args.warp}, float32, "
          f"median of {args.repeat} after {args.warmup} warm-up")
    print(f"{'batch':>5} {'panoconv s/step':>16} {'TF (tf.function) s/step':>24} {'TF / panoconv':>14}")
    for batch in args.batch or [2]:
        left, right = (x.astype(np.float32) for x in stereo_pair(0, batch, args.height, args.width))
        t_pt = bench_torch(left, right, weights, args.warp, args.warmup, args.repeat)
        t_tf = bench_tf(left, right, weights, args.warp, args.warmup, args.repeat)
        print(f"{batch:>5} {t_pt:16.3f} {t_tf:24.3f} {t_tf / t_pt:14.2f}")


if __name__ == "__main__":
    main()
