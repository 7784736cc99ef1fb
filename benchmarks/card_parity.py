"""Network parity of every TF-born card against its TF reference: seeded checkpoint, random and real inputs.

For each card (default: every TF-born card registered), writes a seeded upstream-format checkpoint
(`make_checkpoint`, seed `--seed`) in a temporary folder and runs `verify` (`run_network_parity`: TF
restores the checkpoint itself, PyTorch gets the weights through panoconv's reader and converter) at each
`--size` (default: 256x512 and one other valid size per card, 384x1280 for VGG and 192x640 for
ResNet50, which needs multiples of 64 only), with plain and ring padding, in float32 and float64, on one
seeded random input and on `--image` (a photo; for a stereo card the photo is the left image and the same
photo shifted `--shift` columns to the left the right image, a plausible pair). Prints the worst output MSE
per (card, size, padding, dtype, input) and the targets float32 <= 1e-12, float64 <= 1e-24.

    python benchmarks/card_parity.py --image ../shared/data/kitti/2011_09_26_0000000000_crop.png
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from panoconv.arch import all_cards, get_card
from panoconv.parity.network import VerifyRequest, run_network_parity
from panoconv.tf_reference._tf import onednn_setting, tf_thread_counts

TARGETS = {"float32": 1e-12, "float64": 1e-24}
#: The second size per card (by its size multiple) when --size is not given; 256x512 is always run.
OTHER_SIZE = {128: (384, 1280), 64: (192, 640)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--arch", nargs="+", default=[c.name for c in all_cards() if c.tf_born])
    parser.add_argument(
        "--size", nargs="+", default=None,
        help="HxW, multiples of the card's [default: 256x512 and the card's other size]",
    )
    parser.add_argument(
        "--image", type=Path, default=None, help="A real photo (also fed, resized to the size)."
    )
    parser.add_argument(
        "--shift", type=int, default=8, help="Stereo cards: right image = photo shifted by this."
    )
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def stereo_pair(image: Path, shift: int, folder: Path) -> tuple[Path, Path]:
    from panoconv.io.images import load_rgb, save_rgb

    pixels = load_rgb(image).pixels
    right = folder / f"{image.stem}_right.png"
    save_rgb(right, np.roll(pixels, -shift, axis=1))
    return image, right


def main(argv: list[str] | None = None) -> int:
    from panoconv.tf_reference.checkpoint import CheckpointSpec, make_checkpoint

    args = parse_args(argv)
    given = [tuple(int(v) for v in s.lower().split("x")) for s in args.size] if args.size else None
    print(f"TF oneDNN {onednn_setting()}, {tf_thread_counts()}; seed {args.seed}")
    print(f"{'card':30} {'size':>9} {'pad':>5} {'dtype':>8} {'input':>7} {'worst MSE':>10} {'target':>7}  ok")
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in args.arch:
            card = get_card(name)
            ckpt = make_checkpoint(
                CheckpointSpec(folder / name / "model", seed=args.seed, step=1, architecture=name)
            )
            images, pairs = (), ()
            if args.image is not None:
                if card.stereo:
                    pairs = (stereo_pair(args.image, args.shift, folder),)
                else:
                    images = (args.image,)
            sizes = given or [(256, 512), OTHER_SIZE.get(card.size_multiple, (256, 512))]
            for h, w in sizes:
                for ring in (False, True):
                    report = run_network_parity(
                        VerifyRequest(
                            ckpt,
                            height=h,
                            width=w,
                            ring_pad=ring,
                            images=images,
                            pairs=pairs,
                            seed=args.seed,
                            arch=name,
                        )
                    )
                    for run in report.runs:
                        worst = max(e.mse for e in run.outputs)
                        ok = worst <= TARGETS[run.dtype]
                        failed += not ok
                        kind = "random" if run.input_name.startswith("random") else "photo"
                        print(
                            f"{name:30} {f'{h}x{w}':>9} {'ring' if ring else 'zero':>5} {run.dtype:>8} "
                            f"{kind:>7} {worst:10.3e} {TARGETS[run.dtype]:7.0e}  {'yes' if ok else 'NO'}",
                            flush=True,
                        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
