"""kill -9 at >= 10 points of every writing command (extract to a folder and to .npz, convert, predict,
synth, reproject; make-checkpoint's file moves): nothing partial is ever visible under the final name,
and a rerun succeeds, sweeping what the killed run left.

A fork server (tests/io/kill_cli_worker.py) runs each command once to count its file-system events, then
kills fresh runs just before events spread over the whole run (mid-stream chunks, temp creation, fsyncs,
renames), onto a missing, a complete or a killed run's output. After each kill
the final output is absent, or byte-for-byte the old or the new one (predict: every visible file whole);
every second kill lands on what the previous one left; then an unkilled --force rerun must succeed, equal
the reference run and leave no hidden temporary file behind.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tests._fork_client import ForkClient

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("kill_cli_worker.py")
POINTS = 10


class ForkServer(ForkClient):
    def __init__(self, tmp: Path) -> None:
        super().__init__(WORKER, tmp)

    def run(self, args: list, cwd: Path, kill_at: int | None = None, count: Path | None = None) -> dict:
        self.send({"args": [str(a) for a in args], "cwd": str(cwd), "kill_at": kill_at,
                   "count": None if count is None else str(count)})
        return self._read()


def digest(path: Path) -> str | None:
    """Content of a file or folder tree (None: absent). npz members and safetensors by content (zip headers
    carry times; safetensors metadata comes in hash order). A damaged file fails to load: the test fails."""
    if not path.exists():
        return None
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        h.update(str(p.relative_to(path) if path.is_dir() else p.name).encode())
        if p.suffix == ".npz":
            with np.load(p, allow_pickle=False) as z:
                for k in sorted(z.files):
                    value = z[k]  # the manifest member comes back as bytes
                    h.update(k.encode() + (value if isinstance(value, bytes) else value.tobytes()))
        elif p.suffix == ".safetensors":  # its writer orders the metadata differently in each process
            from safetensors import safe_open

            with safe_open(str(p), "np") as f:
                h.update(json.dumps(f.metadata(), sort_keys=True).encode())
                for k in sorted(f.keys()):
                    h.update(k.encode() + f.get_tensor(k).tobytes())
        else:
            h.update(p.read_bytes())
    return h.hexdigest()


def hidden_leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and ".~" in p.name)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ForkServer(tmp_path_factory.mktemp("killsrv"))
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """A TF bundle (tiny), an earlier-port .npy store, weights, two images and a stereo list."""
    from panoconv.pt_model import create_model
    from panoconv.tf_reference.checkpoint import seeded_weights
    from tests.readers._bundles import small_tensors, write_bundle

    root = tmp_path_factory.mktemp("inputs")
    write_bundle(root / "model-7", small_tensors())
    store = root / "numpy_weight"
    store.mkdir()
    for name, value in seeded_weights(0).items():
        np.save(store / (name.replace("/", ".") + ":0.npy"), value)
    torch.manual_seed(0)
    torch.save(create_model("monodepth-vgg").state_dict(), root / "w.pt")
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.png"):
        Image.fromarray((rng.random((64, 128, 3)) * 255).astype(np.uint8)).save(root / name)
    (root / "pairs.txt").write_text("a.png b.png\nb.png a.png\n")
    return {"ckpt": root / "model-7", "store": store, "weights": root / "w.pt", "root": root}


def _commands(i: dict[str, Path]) -> dict[str, list]:
    return {
        "extract-folder": ["extract", i["ckpt"], "--include-optimizer", "-o", "OUT"],
        "extract-npz": ["extract", i["ckpt"], "--format", "npz", "-o", "OUT"],
        "convert": ["convert", i["store"], "-o", "OUT"],
        "predict": ["predict", "-w", i["weights"], i["root"] / "a.png", "-o", "OUT",
                    "--camera", "rectilinear", "--save", "disp,depth"],
        "synth": ["synth", "OUT", "--count", "2", "--height", "32", "--width", "64"],
        "reproject": ["reproject", i["root"] / "pairs.txt", "--data-root", i["root"], "-o", "OUT", "--focal",
                      "60"],
    }


OUT_NAME = {"extract-npz": "store.npz", "convert": "model.safetensors"}


@pytest.mark.slow
@pytest.mark.parametrize("command",
                         ["extract-folder", "extract-npz", "convert", "predict", "synth", "reproject"])
def test_kill_9_never_leaves_partial_output(server, inputs, tmp_path, command):
    out = tmp_path / "work" / OUT_NAME.get(command, "out")
    out.parent.mkdir()
    args = [out if a == "OUT" else a for a in _commands(inputs)[command]]
    ref = server.run(args, tmp_path, count=tmp_path / "events")
    assert ref["status"] == "exit" and ref["code"] == 0, ref
    events = int((tmp_path / "events").read_text())
    new = digest(out)
    assert new is not None and events >= POINTS
    reference = tmp_path / "reference"
    shutil.copytree(out, reference) if out.is_dir() else None
    kill_points = sorted({1 + (k * (events - 1)) // (POINTS - 1) for k in range(POINTS)})
    assert len(kill_points) >= POINTS
    remove(out)
    signals = 0
    for n, at in enumerate(kill_points):
        old = digest(out)  # absent, or the complete output of the last rerun
        result = server.run([*args, "--force"], tmp_path, kill_at=at)
        signals += result["status"] == "signal"
        if command == "predict":  # a folder of separate outputs: each one whole
            for p in (out.iterdir() if out.exists() else []):
                assert p.name.startswith(".") or same_array(p,
                                                            reference / p.name), f"kill at {at}: partial {p}"
        else:
            assert digest(out) in {None, old, new}, f"kill at event {at}/{events}: partial output {command}"
        if n % 2 == 0 and n != len(kill_points) - 1:
            continue  # the next kill lands on what this one left
        rerun = server.run([*args, "--force"], tmp_path)
        assert rerun == {"status": "exit", "code": 0}, (at, rerun)
        if command == "predict":
            assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in reference.iterdir())
            assert all(same_array(p, reference / p.name) for p in out.iterdir())
        else:
            assert digest(out) == new, f"rerun after kill at {at} differs"
        for folder in (out.parent, *([out] if out.is_dir() else [])):
            assert hidden_leftovers(folder) == [], (at, hidden_leftovers(folder))
    assert signals >= POINTS, (signals, kill_points, events)


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def same_array(path: Path, ref: Path) -> bool:
    """A whole .npy equal to the reference run's (oneDNN may pick other kernels in another process); other
    files (the `_meta.json` record) must parse."""
    if path.suffix != ".npy":
        if path.suffix == ".json":
            return bool(json.loads(path.read_text()))
        return path.read_bytes() == ref.read_bytes()
    return np.allclose(np.load(path, allow_pickle=False), np.load(ref, allow_pickle=False), rtol=1e-5,
                       atol=1e-7)
