"""How close `predict` comes to upstream's `monodepth_simple.py`, with `--resample float` and `upstream`.

The upstream reference is rebuilt from the libraries upstream used: the input resized by Pillow itself
(LANCZOS on uint8, horizontal then vertical pass, as scipy.misc.imresize did), the network run by the
TensorFlow reference (float32, ring padding, plain flip average), the padding rows dropped, and the map
resized back with cv2.resize (INTER_LINEAR) when opencv is importable, else with the two-tap bilinear
matrix (which matches cv2 4.14 to 6e-8; the script says which it used). panoconv's PyTorch pipeline runs
on the same image with each resampling. Reported per image: max and 99th percentile of the pointwise
relative difference |ours - upstream| / |upstream| of the final disparity, and the share of pixels
above 1 %. Targets (issue 15) for `upstream`: max <= 1e-3, p99 <= 1e-4.

Images: seeded synthetic 2048 x 1024 panoramas (smooth colour, noise and hard bars, so Lanczos
overshoots), and `--band` images (already cropped strips such as the KITTI crop). Weights: seeded, or
`--numpy-weights DIR` (the earlier port's flattened `.npy` layout); tensors missing there are seeded, or
zero with `--missing zero` (with the 52 real tensors shipped in ../shared the seeded fill saturates ~98 %
of the KITTI crop at 0.3, the zero fill gives a plausible 0.007..0.06 disparity).

    python benchmarks/upstream_resample.py --numpy-weights ../shared/data/seed-numpy-weight \\
        --band ../shared/data/kitti/2011_09_26_0000000000_crop.png
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np


def load_weights(numpy_dir: Path | None, seed: int, missing: str = "seeded") -> tuple[dict[str, np.ndarray],
                                                                                      int]:
    from panoconv.tf_reference.checkpoint import seeded_weights

    values = seeded_weights(seed)
    real = 0
    if numpy_dir is not None:
        for name, array in list(values.items()):
            path = numpy_dir / (name.replace("/", ".") + ":0.npy")
            if path.is_file():
                values[name] = np.load(path, allow_pickle=False).reshape(array.shape).astype(np.float32)
                real += 1
            elif missing == "zero":
                values[name] = np.zeros_like(array)
    return values, real


def synthetic_panorama(seed: int, h: int = 1024, w: int = 2048) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / w
    base = 0.5 + 0.3 * np.sin(2 * np.pi * (5 * xx[..., None] + rng.random(3))) * np.cos(9 * yy[..., None])
    img = np.clip(base + 0.06 * rng.standard_normal((h, w, 3)), 0, 1)
    img[:, (np.arange(w) // 13) % 7 == 0] = rng.random(3) > 0.5
    return np.rint(img * 255).astype(np.uint8)


def resize_back(band: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, str]:
    try:
        import cv2

        return cv2.resize(band.astype(np.float32), (size[1], size[0])), f"cv2 {cv2.__version__}"
    except ImportError:
        from panoconv.inference.resize import resize_numpy

        return resize_numpy(band.astype(np.float32), size, "bilinear"), "bilinear matrix (no cv2)"


def upstream_reference(values, image_u8: np.ndarray, layout) -> tuple[np.ndarray, str]:
    """Final disparity of upstream's layout (NaN outside the band for whole panoramas)."""
    from panoconv.arch import DEFAULT_ARCH, get_card
    from panoconv.inference.pipeline import make_plan
    from panoconv.tf_reference.predict import predict_stages

    img = image_u8.astype(np.float32) / 255
    plan = make_plan(img.shape[0], img.shape[1], "equirectangular", get_card(DEFAULT_ARCH), layout)
    net_out = predict_stages(values, img, "equirectangular", layout=layout, raw=True)["final"]  # (rows, w)
    p = plan.panorama
    back, how = resize_back(net_out, (p.crop_height, p.width))
    full = np.full((p.height, p.width), np.nan, np.float32)
    full[p.crop_start:p.crop_stop] = back
    return full, how


def compare(ours: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    ok = np.isfinite(ref) & np.isfinite(ours)
    rel = np.abs(ours[ok].astype(np.float64) - ref[ok]) / np.maximum(np.abs(ref[ok].astype(np.float64)),
                                                                     1e-12)
    return {"max": float(rel.max()), "p99": float(np.percentile(rel, 99)),
            "over_1pct": float(np.mean(rel > 0.01))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--numpy-weights", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0, help="weights seed (tensors not in --numpy-weights)")
    parser.add_argument("--missing", choices=["seeded", "zero"], default="seeded",
                        help="tensors not in --numpy-weights")
    parser.add_argument("--panoramas", type=int, default=2, help="seeded synthetic 2048x1024 panoramas")
    parser.add_argument("--band", type=Path, nargs="*", default=[],
                        help="already cropped strips (e.g. KITTI)")
    parser.add_argument("--net-width", type=int, default=1024)
    args = parser.parse_args()

    import torch
    from PIL import Image

    from panoconv.inference.layout import PanoramaLayout
    from panoconv.inference.pipeline import predict_array
    from panoconv.parity.weights import torch_model_from_tf
    from panoconv.tf_reference._tf import onednn_setting, tf_thread_counts

    values, real = load_weights(args.numpy_weights, args.seed, args.missing)
    model = torch_model_from_tf(values, "float32")
    inputs = [(f"synthetic panorama seed {s}", synthetic_panorama(s), False) for s in range(args.panoramas)]
    inputs += [(str(p), np.asarray(Image.open(p).convert("RGB")), True) for p in args.band]
    print(f"weights: {real} real tensors, {len(values) - real} {args.missing} (seed {args.seed}); torch "
          f"threads {torch.get_num_threads()}, TF oneDNN {onednn_setting()}, TF "
          f"threads {tf_thread_counts()}; load {os.getloadavg()[0]:.1f}")
    print(f"{'input':52} {'resample':9} {'max rel':>9} {'p99 rel':>9} {'>1%':>8}  resize back")
    for label, image, band in inputs:
        t0 = time.time()
        ref, how = upstream_reference(values, image,
                                      PanoramaLayout(args.net_width, resample="upstream", band=band))
        for resample in ("float", "upstream"):
            layout = PanoramaLayout(args.net_width, resample=resample, band=band)
            with torch.no_grad():
                ours = predict_array(model, image.astype(np.float32) / 255, "equirectangular", layout=layout)
            r = compare(ours, ref)
            print(f"{label[-52:]:52} {resample:9} {r['max']:9.2e} {r['p99']:9.2e} "
                  f"{100 * r['over_1pct']:7.3f}%  {how}")
        finite = ref[np.isfinite(ref)]
        print(f"  upstream disparity {finite.min():.4f}..{finite.max():.4f}, "
              f"{100 * np.mean(finite > 0.2999):.1f}% at 0.3 ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
