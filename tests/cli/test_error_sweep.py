"""Every command, fed what a new user gets wrong: one stderr line, the right exit code, never a traceback.

Cases cover a wrong architecture, a wrong kind of weights file, a folder where a file belongs, a missing
file and out-of-range options, for every command. All run in-process (click's CliRunner); only the
`verify` cases that need a real checkpoint use the session TF checkpoint fixture.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from panoconv.cli import main

# (argv with {} placeholders, exit code, fragment the one stderr line must contain)
CASES: list[tuple[str, int, str]] = [
    # extract
    ("extract {d}/nope -o {d}/o", 1, "nope: no such checkpoint"),
    ("extract {d}/empty -o {d}/o", 1, "no checkpoint in this folder"),
    ("extract {d}/vgg.safetensors -o {d}/o", 1, "not a TensorFlow checkpoint"),
    ("extract {d}/img.png -o {d}/o", 1, "not a TensorFlow checkpoint"),
    ("extract {ckpt} -o {d}/o --format zip", 2, "Invalid value for '--format'"),
    ("extract {ckpt}", 2, "Missing option '-o'"),
    # convert
    ("convert {d}/nope -o {d}/o.safetensors", 1, "nope: no such checkpoint"),
    ("convert {d}/empty -o {d}/o.safetensors", 1, "no checkpoint in this folder"),
    ("convert {d}/img.png -o {d}/o.safetensors", 1, "not a TensorFlow checkpoint"),
    ("convert {ckpt} -o {d}/o.txt", 1, "name it .safetensors"),
    ("convert {ckpt} -o {d}/o.safetensors --arch rectnet", 1, "rectnet is not a TensorFlow-born network"),
    ("convert {ckpt} -o {d}/o.safetensors --arch resnet", 2, "Invalid value for '--arch'"),
    ("convert {ckpt} -o {d}/o.safetensors --input-order rbg", 2, "Invalid value for '--input-order'"),
    # verify
    ("verify {d}/nope", 1, "nope: no such checkpoint"),
    ("verify {d}/vgg.safetensors", 1, "not a TensorFlow checkpoint"),
    ("verify {ckpt} --height 100", 1, "multiples of 128"),
    ("verify {ckpt} --width 0", 1, "multiples of 128"),
    ("verify {ckpt} --weights {d}/rectnet.safetensors --height 128 --width 128", 1,
     "does not fit monodepth-vgg"),
    ("verify {ckpt} --weights {d}/empty", 1, "is a folder without a .safetensors"),
    ("verify {ckpt} --weights {d}/two", 1, "is a folder with 2 weights files"),
    ("verify {ckpt} --weights {d}/nope.safetensors", 1, "no such weights file"),
    ("verify {ckpt} --arch rectnet", 1, "not a TensorFlow-born network"),
    ("verify {ckpt} --arch vgg", 2, "Invalid value for '--arch'"),
    ("verify {ckpt} --tol -1", 2, "Invalid value for '--tol'"),
    ("verify {ckpt} --image {d}/nope.png", 1, "nope.png: no such image"),
    ("verify {ckpt} --image {d}/empty", 1, "empty: is a folder, expected a image"),
    ("verify {ckpt} --loss --pipeline", 2, "separate checks"),
    ("verify {ckpt} --loss --batch 0", 2, "Invalid value for '--batch'"),
    # verify subcommands: each takes only its own options
    ("verify network {ckpt} --warp equirectangular", 2, "No such option '--warp'"),
    ("verify {ckpt} --adam-steps 1", 2, "No such option '--adam-steps'"),
    ("verify loss {ckpt} --tol 1e-6", 2, "No such option '--tol'"),
    ("verify pipeline {ckpt} --tol 1e-6", 2, "No such option '--tol'"),
    ("verify loss {ckpt} --exported {d}/vgg.safetensors", 2, "No such option '--exported'"),
    ("verify pipeline {ckpt} --precision bf16", 2, "No such option '--precision'"),
    ("verify loss {d}/nope", 1, "nope: no such checkpoint"),
    ("verify loss {ckpt} --batch 0", 2, "Invalid value for '--batch'"),
    ("verify loss {ckpt} --height 100", 1, "multiples of 128"),
    ("verify pipeline {ckpt} --image {d}/nope.png", 1, "nope.png: no such image"),
    ("verify pipeline {ckpt} --image {d}/img.png --image {d}/img.png", 2, "takes one --image"),
    ("verify pipeline {ckpt} --resample cubic", 2, "Invalid value for '--resample'"),
    # synth
    ("synth {d}/s --count 0", 1, "--count must be at least 1"),
    ("synth {d}/s --height -5", 1, "at least 8x8"),
    ("synth {d}/s --baseline -1", 1, "--baseline must be in"),
    ("synth {d}/s --fov 0", 1, "--fov must be in"),
    ("synth {d}/img.png", 1, "already exists"),
    ("synth {d}/s --kind fisheye", 2, "Invalid value for '--kind'"),
    # reproject
    ("reproject {d}/nope.txt --data-root {d} -o {d}/r", 1, "no such file list"),
    ("reproject {d}/empty --data-root {d} -o {d}/r", 1, "no such file list"),
    ("reproject {d}/list.txt --data-root {d}/nope -o {d}/r", 1, "data root is not a directory"),
    ("reproject {d}/list.txt --data-root {d} -o {d}/r --fov 400", 1, "--fov must be in"),
    # predict
    ("predict {d}/img.png -w {d}/nope.safetensors -o {d}/p", 1, "no such weights file"),
    ("predict {d}/img.png -w {d}/empty -o {d}/p", 1, "is a folder without a .safetensors"),
    ("predict {d}/img.png -w {d}/two -o {d}/p", 1, "give one, e.g. -w"),
    ("predict {d}/img.png -w {ckpt}.index -o {d}/p", 1, "unknown weights format"),
    ("predict {d}/img.png -w {d}/notweights.safetensors -o {d}/p", 1, "unreadable weights file"),
    ("predict {d}/img.png -w {d}/vgg.safetensors -o {d}/p --arch rectnet", 1, "does not fit rectnet"),
    ("predict {d}/img.png -w {d}/vgg.safetensors -o {d}/p --arch foo", 2, "Invalid value for '--arch'"),
    ("predict {d}/img.png -w {d}/vgg.safetensors -o {d}/p --net-width 100", 1, "multiple of 128"),
    ("predict {d}/img.png -w {d}/vgg.safetensors -o {d}/p --batch-size 0", 2, "'--batch-size'"),
    ("predict {d}/img.png -w {d}/vgg.safetensors -o {d}/p --range 1,0", 2, "LO < HI"),
    ("predict {d}/img.png -w {d}/vgg.safetensors -o {d}/p --range x", 2, "takes LO,HI"),
    ("predict {d}/img.png -w {d}/vgg.safetensors -o {d}/p --save foo", 1, "--save takes"),
    ("predict {d}/img.png -w {d}/vgg.safetensors -o {d}/p --baseline -1", 2, "'--baseline'"),
    ("predict {d}/nope.png -w {d}/vgg.safetensors -o {d}/p", 1, "nope.png: no such file (INPUTS are"),
    ("predict {d}/empty -w {d}/vgg.safetensors -o {d}/p", 1, "no input images found"),
    ("predict {d}/img.png -w {d}/vgg.safetensors -o {d}/img.png", 1, "is not a folder"),
    ("predict {d}/img.png -w {d}/vgg.safetensors -o {d}/p --camera equirectangular", 1, "twice as wide"),
    ("predict -w {d}/vgg.safetensors -o {d}/p", 2, "give INPUTS"),
    # evaluate
    ("evaluate {d}/nope -w {d}/vgg.safetensors", 2, "does not exist"),
    ("evaluate {d}/synth -w {d}/nope.safetensors", 1, "no such weights file"),
    ("evaluate {d}/synth -w {d}/empty", 1, "is a folder without a .safetensors"),
    ("evaluate {d}/synth -w {ckpt}.index", 1, "unknown weights format"),
    ("evaluate {d}/synth -w {d}/vgg.safetensors --limit 0", 2, "'--limit'"),
    ("evaluate {d}/synth -w {d}/vgg.safetensors --max-depth -1", 2, "'--max-depth'"),
    ("evaluate {d}/img.png -w {d}/vgg.safetensors", 1, "no meta.json"),
    ("evaluate {d}/synth -w {d}/vgg.safetensors --arch rectnett", 2, "Invalid value for '--arch'"),
    ("evaluate {d}/synth -w {d}/vgg.safetensors --kind kitti", 2, "Invalid value for '--kind'"),
    ("evaluate {d}/badmeta -w {d}/vgg.safetensors", 1, "no number 'focal_px'"),
    # train
    ("train --data {d}/nope.txt --out {d}/t", 1, "no such file list"),
    ("train --data {d}/empty --out {d}/t", 1, "give the list file, e.g. --data"),
    ("train --data {d}/synth --out {d}/t --height 100", 1, "multiples of 128"),
    ("train --data {d}/synth --out {d}/t --epochs 0", 1, "--epochs must be at least 1"),
    ("train --data {d}/synth --out {d}/t --batch-size 0", 1, "--batch-size must be at least 1"),
    ("train --data {d}/synth --out {d}/t --lr -1", 1, "--lr must be positive"),
    ("train --data {d}/synth --out {d}/t --init {d}/nope.safetensors", 1, "no such weights file"),
    ("train --data {d}/synth --out {d}/t --init {d}/empty", 1, "give --init FILE"),
    ("train --data {d}/synth --out {d}/t --init {d}/notweights.safetensors", 1, "unreadable weights file"),
    ("train --data {d}/synth --out {d}/t --init {d}/rectnet.safetensors", 1,
     "trained with --task supervised"),
    ("train --data {d}/synth --out {d}/t --arch rectnet", 1, "supervised"),
    ("train --data {d}/synth --out {d}/t --task foo", 1, "unknown task"),
    ("train --data {d}/synth --out {d}/img.png", 1, "exists and is not a folder"),
    ("train --data {d}/synth --out {d}/t --snapshot-minutes -1", 1,
     "--snapshot-minutes must be positive"),
    ("train --data {d}/synth --out {d}/t --checkpoint-minutes -1", 1,  # the name before the rename
     "--snapshot-minutes must be positive"),
    ("train --data {d}/synth --out {d}/t --warp fisheye", 2, "Invalid value for '--warp'"),
    ("train --data {d}/synth --out {d}/t --arch vgg", 2, "Invalid value for '--arch'"),
    # compare
    ("compare {d}/nope.npy {d}/img.png", 2, "does not exist"),
    ("compare {d}/empty {d}/img.png", 2, "is a directory"),
    ("compare {d}/img.png {d}/img.png", 1, "not a readable .npy array"),
    # export
    ("export {d}/nope.safetensors -o {d}/e.onnx", 2, "does not exist"),
    ("export {d}/vgg.safetensors -o {d}/e.onnx --format tflite", 2, "Invalid value for '--format'"),
    ("export {d}/vgg.safetensors -o {d}/e.onnx --height 100", 1, "multiples of 128"),
    ("export {d}/notweights.safetensors -o {d}/e.onnx", 1, "unreadable weights file"),
    ("export {d}/vgg.safetensors -o {d}/e.onnx --arch rectnet", 1, "does not fit rectnet"),
    # reference make-checkpoint
    ("reference make-checkpoint {d}/m --step -1", 2, "'--step'"),
    ("reference make-checkpoint {d}/m --seed -1", 2, "'--seed'"),
    ("reference make-checkpoint {d}/img.png/m", 1, "is not a folder"),
    ("reference make-checkpoint {d}/m --arch rectnet", 2, "Invalid value for '--arch'"),
    ("reference make-checkpoint {ckpt_prefix} --step {ckpt_step}", 1, "already exists (use --force"),
    ("reference", 2, "Commands:"),  # a group without its subcommand shows its help (click: exit 2)
    # the group itself
    ("--bogus", 2, "No such option '--bogus'"),
    ("nosuchcommand", 2, "No such command"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """Small inputs: weights of two cards, an image, empty/two-weights folders, a synth folder, a list."""
    import torch

    from panoconv.pt_model import create_model
    from panoconv.weights import save_weights

    d = tmp_path_factory.mktemp("sweep")
    torch.manual_seed(0)
    save_weights(create_model("monodepth-vgg").state_dict(), d / "vgg.safetensors",
                 {"architecture": "monodepth-vgg"})
    save_weights(create_model("rectnet").state_dict(), d / "rectnet.safetensors", {"architecture": "rectnet"})
    Image.fromarray(np.zeros((64, 100, 3), np.uint8)).save(d / "img.png")
    (d / "empty").mkdir()
    (d / "two").mkdir()
    for name in ("a.safetensors", "b.pt"):
        (d / "two" / name).write_bytes(b"x")
    (d / "notweights.safetensors").write_text("hello")
    synth = d / "synth"
    (synth / "left").mkdir(parents=True)
    (synth / "right").mkdir()
    for side in ("left", "right"):
        Image.fromarray(np.zeros((128, 256, 3), np.uint8)).save(synth / side / "000000.png")
    (synth / "meta.json").write_text(json.dumps({"kind": "rectilinear", "fov_deg": 82.5, "height": 128,
                                                 "width": 256, "baseline_m": 0.54, "focal_px": 150.0}))
    for split in ("train", "val", "test"):
        (synth / f"{split}.txt").write_text("left/000000.png right/000000.png\n")
    (d / "list.txt").write_text("img.png img.png\n")
    (d / "badmeta").mkdir()
    (d / "badmeta" / "meta.json").write_text(json.dumps({"kind": "rectilinear"}))
    (d / "badmeta" / "test.txt").write_text("a.png b.png\n")
    return d


def _argv(template: str, files: Path, ckpt: Path) -> list[str]:
    prefix, _, step = Path(ckpt).name.rpartition("-")
    text = template.format(d=files, ckpt=ckpt, ckpt_prefix=Path(ckpt).parent / prefix, ckpt_step=step)
    return text.split()


@pytest.mark.tf
@pytest.mark.parametrize("template, code, fragment", CASES, ids=[c[0][:60] for c in CASES])
def test_one_line_error(template, code, fragment, files, tf_checkpoint):
    result = CliRunner().invoke(main, _argv(template, files, tf_checkpoint))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code == code, (result.exit_code, result.stderr)
    if fragment == "Commands:":
        assert "make-checkpoint" in result.stderr
        return
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and fragment in lines[0], lines[0]


def test_sweep_is_large_enough_and_covers_every_command():
    from panoconv.cli import COMMANDS

    assert len(CASES) >= 40
    covered = {c[0].split()[0] for c in CASES}
    assert {name for name, _ in COMMANDS} <= covered


def test_folder_with_one_weights_file_is_accepted(files, tmp_path):
    run = tmp_path / "runs" / "r1"
    (run / "snapshots").mkdir(parents=True)
    (run / "model.safetensors").write_bytes((files / "vgg.safetensors").read_bytes())
    result = CliRunner().invoke(main, ["predict", str(files / "img.png"), "-w", str(run), "-o",
                                       str(tmp_path / "p"), "--save", "disp"])
    assert result.exit_code == 0, result.stderr
    assert np.load(tmp_path / "p" / "img_disp.npy").shape == (64, 100)
    (run / "model.safetensors").unlink()
    result = CliRunner().invoke(main, ["predict", str(files / "img.png"), "-w", str(run), "-o",
                                       str(tmp_path / "p")])
    assert result.exit_code == 1 and "its snapshots are in" in result.stderr


def test_train_takes_a_data_set_folder(files):
    from panoconv.training.data_specs import DataOptions, build_specs, data_list

    assert data_list(files / "synth", "stereo", True) == files / "synth" / "train.txt"
    assert data_list(files / "synth", "stereo", False) == files / "synth" / "val.txt"
    specs, val = build_specs("stereo", DataOptions(data=(files / "synth",), val=(files / "synth",)))
    assert specs[0].list_file == str(files / "synth" / "train.txt") and specs[0].warp == "rectilinear"
    assert val[0].list_file == str(files / "synth" / "val.txt")
