"""3D60 loading throughput: can the data loader keep RectNet training fed?

    .venv/bin/python benchmarks/bench_3d60_loading.py [--samples 200] [--batch 10] [--workers 0 2]

Writes `--samples` synthetic 3D60 samples at the published 512 x 256 (colour PNG for the three views, depth
EXR; a third each Matterport3D, Stanford2D3D and SunCG) and a v1-form split (absolute Windows paths, CRLF)
into a temporary folder, then streams one epoch of supervised batches (`--batch`, the recipe's 10) through
a `DataLoader` per worker count and training size: split reading, PNG and EXR decoding, depth masking and
resizing (area for colour, nearest for depth and mask), collation.

Baseline, in the same run: OmniDepth-PyTorch's loader as its `dataset.py` works (image read and / 255,
EXR R/G/B read and R kept, mask and `depth *= mask`, no resize), reimplemented with the same readers
(PIL, OpenEXR) and the same DataLoader settings, at the native size only (it cannot resize). The table
gives images/s and the ratio to that baseline; the last column is how many RectNet training steps per
second (batch `--batch`) the stream could feed, from `--step-ips` (measure it with bench_omnidepth.py on
the same machine; a GPU trains ~100x faster than this CPU).

Wall-clock numbers depend on machine load: the header prints the 1-minute load average next to the core
count; compare ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from panoconv.data.stereo import collate_skip_none
from panoconv.data.threed60 import ThreeD60Dataset, read_split
from panoconv.io.exr import write_depth_exr
from panoconv.io.images import save_rgb

H, W = 256, 512


def make_tree(root: Path, samples: int, seed: int = 0) -> Path:
    """`samples` 512 x 256 samples over the three data sets, and a v1-form split file."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(samples):
        dataset = ("Matterport3D", "Stanford2D3D", "SunCG")[i % 3]
        folder, stem = {
            "Matterport3D": (("Matterport3D",), f"{i}_ed1e790a785e4b74b895e41682b2ae88{i % 10}"),
            "Stanford2D3D": (("Stanford2D3D", "area5a"), f"{i}_area_5a{i % 10}"),
            "SunCG": (("SunCG",), f"004e36a61e574321adc8da7b48c331f2{i:04d}"),
        }[dataset]
        out = root.joinpath(*folder)
        out.mkdir(parents=True, exist_ok=True)
        base = rng.uniform(0, 1, (H // 8, W // 8, 3))
        colour = np.kron(base, np.ones((8, 8, 1))) * 0.8 + rng.uniform(0, 0.2, (H, W, 3))  # textured
        tokens = []
        for view in ("Left_Down", "Right", "Up"):
            save_rgb(out / f"{stem}_color_0_{view}_0.0.png", colour)
            tokens.append("D:\\Data\\3D60\\" + "\\".join(folder) + f"\\{stem}_color_0_{view}_0.0.png")
        depth = (np.linspace(0.5, 9.0, W, dtype=np.float32)[None] * np.ones((H, 1), np.float32))
        depth[: H // 16] = 0.0  # a hole
        write_depth_exr(out / f"{stem}_depth_0_Left_Down_0.0.exr", depth)
        for kind, ext in (("depth", "exr"), ("normal", "exr")):
            for view in ("Left_Down", "Right", "Up"):
                tokens.append("D:\\Data\\3D60\\" + "\\".join(folder) + f"\\{stem}_{kind}_0_{view}_0.0.{ext}")
        rows.append(" ".join(tokens))
    split = root / "v1_train.txt"
    split.write_bytes(("\r\n".join(rows) + "\r\n").encode())
    return split


class UpstreamStyle(Dataset):
    """OmniDepth-PyTorch's `dataset.py` loading steps on the same files (the baseline; no resize)."""

    def __init__(self, split: Path, root: Path) -> None:
        self.rows = read_split(split, root).rows  # the same resolved paths (split reading is not timed)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> list:
        import OpenEXR
        from PIL import Image

        row = self.rows[i]
        with Image.open(row.path("color")) as img:
            rgb = np.asarray(img, dtype=np.float32) / 255.0
        with OpenEXR.File(str(row.path("depth")), separate_channels=True) as f:
            channels = f.channels()
            depth = np.stack([channels[c].pixels for c in ("R", "R", "R")], -1)[..., 0].astype(np.float32)
        mask = ((depth <= 8.0) & (depth > 0.0)).astype(np.uint8)
        depth = depth * mask
        return [torch.from_numpy(rgb.transpose(2, 0, 1)).float(), torch.from_numpy(depth[None]).float(),
                torch.from_numpy(mask[None]).float()]


def stream(dataset: Dataset, batch: int, workers: int, collate=None) -> tuple[float, int]:
    """Seconds for one pass over `dataset` in batches, and the images seen."""
    loader = DataLoader(dataset, batch_size=batch, shuffle=False, num_workers=workers, collate_fn=collate)
    start = time.perf_counter()
    images = 0
    for item in loader:
        first = item["image"] if isinstance(item, dict) else item[0]
        images += int(first.shape[0])
    return time.perf_counter() - start, images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--sizes", nargs="+", default=["256x512", "128x256"], help="training sizes HxW")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the main process")
    parser.add_argument("--step-ips", type=float, default=None,
                        help="RectNet training images/s here (bench_omnidepth.py), for the last column")
    parser.add_argument("--keep", type=Path, default=None, help="write the tree here and keep it")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes]
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        t0 = time.perf_counter()
        split = make_tree(root, args.samples)
        made = time.perf_counter() - t0
        load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"# {args.samples} samples of 512x256 (v1 split, 3 data sets) written in {made:.1f} s; batch "
              f"{args.batch}; torch {torch.__version__}, {args.threads} main thread(s); "
              f"{os.cpu_count()} cores, load average {load1:.2f} at start (shared machine: compare ratios)")
        print(f"{'loader':<28} {'size':>8} {'workers':>7} {'img/s':>8} {'vs upstream-style':>18}"
              + (f" {'steps/s fed':>11}" if args.step_ips else ""))
        for workers in args.workers:
            seconds, n = stream(UpstreamStyle(split, root), args.batch, workers)
            base = n / seconds
            print(f"{'upstream-style (no resize)':<28} {'256x512':>8} {workers:>7d} {base:>8.1f} {1.0:>18.2f}"
                  + (f" {base / args.step_ips:>11.1f}" if args.step_ips else ""))
            for h, w in sizes:
                ds = ThreeD60Dataset(split, root, size=(h, w))
                seconds, n = stream(ds, args.batch, workers, collate_skip_none)
                ips = n / seconds
                print(f"{'panoconv ThreeD60Dataset':<28} {f'{h}x{w}':>8} {workers:>7d} {ips:>8.1f} "
                      f"{ips / base:>18.2f}" + (f" {ips / args.step_ips:>11.1f}" if args.step_ips else ""))
        load2 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"# load average {load2:.2f} at the end")


if __name__ == "__main__":
    main()
