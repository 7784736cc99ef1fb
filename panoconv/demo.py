"""`make demo`: the path a user with the real mixed-warp checkpoint takes, end to end, on built-in data.

1. write a seeded checkpoint in the exact upstream TF1 format (with Adam slots, as training leaves it);
2. `extract` it to a raw-numpy store; 3. `convert` the store to safetensors;
4. `verify` TensorFlow against PyTorch in float32 and float64 and print the parity table;
5. `predict` on a built-in synthetic panorama and write disparity, depth, a PNG and a point cloud.
Everything goes under OUT (default `demo_out/`), replaced on every run.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

log = logging.getLogger("panoconv.demo")


def _step(title: str) -> float:
    print(f"\n=== {title}", flush=True)
    return time.perf_counter()


def _done(start: float) -> None:
    print(f"    ({time.perf_counter() - start:.1f} s)", flush=True)


def run_demo(out: Path, height: int = 256, width: int = 512) -> int:
    """Run every step; returns the process exit code (0 when parity holds)."""
    from panoconv.converter.convert import ConvertRequest, convert
    from panoconv.parity.network import VerifyRequest, run_network_parity
    from panoconv.parity.report import to_table, write_markdown
    from panoconv.tf_reference.checkpoint import CheckpointSpec, make_checkpoint
    from panoconv.weights.extract import ExtractRequest, extract

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    t = _step("1/5 reference make-checkpoint: seeded upstream-format TF1 checkpoint with Adam state")
    prefix = make_checkpoint(CheckpointSpec(out / "checkpoint" / "model", seed=0, step=180000,
                                            with_optimizer=True, force=True))
    print(f"    {prefix}.{{index,data-00000-of-00001,meta}} + checkpoint")
    _done(t)

    t = _step("2/5 extract: every model variable as .npy + manifest.json (optimizer state left out)")
    manifest = extract(ExtractRequest(prefix, out / "store", force=True), progress=False)
    print(f"    {out / 'store'}: {len(manifest.tensors)} tensors, {len(manifest.left_out)} left out")
    _done(t)

    t = _step("3/5 convert: store -> PyTorch safetensors, strict coverage")
    weights = out / "model.safetensors"
    result = convert(ConvertRequest(out / "store", weights, force=True))
    print(f"    {weights}: {len(result.report.filled)}/64 parameters filled; {result.report.problems()}")
    _done(t)

    t = _step(f"4/5 verify: TensorFlow vs PyTorch at {height}x{width}, float32 and float64")
    report = run_network_parity(VerifyRequest(prefix, weights=weights, height=height, width=width))
    print(to_table(report, with_layers=False))
    md = write_markdown(report, out / "report")
    print(f"    per-layer report: {md}")
    _done(t)

    t = _step("5/5 predict: a built-in synthetic 360-degree panorama")
    _predict_panorama(out, weights)
    _done(t)
    print("\nparity " + ("PASSED" if report.passed else "FAILED"))
    return 0 if report.passed else 1


def _predict_panorama(out: Path, weights: Path) -> None:
    from panoconv.data.synth import SynthRequest, generate
    from panoconv.inference.predict_files import PredictRequest, predict

    data = generate(SynthRequest(out=out / "synthetic_panorama", kind="panorama", count=1, height=512,
                                 width=1024, seed=7, force=True, progress=False))
    image = min(data.rglob("*_color_0_Left_Down_0.0.png"))
    results = predict(PredictRequest(weights=weights, inputs=(image,), out_dir=out / "predictions",
                                     camera="equirectangular", save=("disp", "depth", "png", "ply"),
                                     force=True))
    for res in results:
        for kind, path in sorted(res.outputs.items()):
            print(f"    {kind:<6} {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo_out"))
    parser.add_argument("--height", type=int, default=256)
    parser.add_argument("--width", type=int, default=512)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("panoconv.progress").setLevel(logging.INFO)  # stage lines of the long steps (stderr)
    return run_demo(args.out, args.height, args.width)


if __name__ == "__main__":
    sys.exit(main())
