"""DDP: 2 processes with a global batch split in two follow the 1-process loss curve (torchrun subprocess)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from panoconv.training.config import DataSpec, TrainConfig
from panoconv.training.snapshots import latest_snapshot, load_snapshot
from tests.training._tiny import tiny_config, write_list

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("ddp_worker.py")
TORCHRUN = Path(sys.executable).with_name("torchrun")


def _launch(config: TrainConfig, tmp: Path, nproc: int) -> dict:
    cfg = tmp / f"{Path(config.out).name}.json"
    cfg.write_text(config.to_json())
    out = tmp / f"{Path(config.out).name}.result.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    cmd = ([str(TORCHRUN), "--standalone", f"--nproc_per_node={nproc}"] if nproc > 1 else [sys.executable])
    proc = subprocess.run(cmd + [str(WORKER), str(cfg), str(out)], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


def _final_model(run: str) -> dict[str, torch.Tensor]:
    return load_snapshot(latest_snapshot(Path(run)))["model"]


@pytest.mark.slow
def test_two_processes_equal_one_process_with_the_whole_batch_tiny(tmp_path):
    specs = (DataSpec(write_list(tmp_path / "c.txt", 16)),
             DataSpec(write_list(tmp_path / "d.txt", 8), warp="panorama"))
    base = tiny_config(tmp_path, data=specs, batch_size=4, epochs=2)
    one = _launch(base.replace(out=str(tmp_path / "one")), tmp_path, 1)
    two = _launch(base.replace(out=str(tmp_path / "two")), tmp_path, 2)
    assert two["world_size"] == 2 and one["step"] == two["step"] == 12
    np.testing.assert_allclose(two["losses"], one["losses"], rtol=1e-5, atol=1e-7)
    a, b = _final_model(str(tmp_path / "one")), _final_model(str(tmp_path / "two"))
    for k in a:
        torch.testing.assert_close(b[k], a[k], rtol=1e-4, atol=1e-6)
    assert not (tmp_path / "two" / "tb").exists() or any((tmp_path / "two" / "tb").iterdir())


@pytest.mark.slow
def test_two_processes_equal_one_process_monodepth_stereo(tmp_path):
    from panoconv.data.synth import SynthRequest, generate

    data = generate(SynthRequest(tmp_path / "synth", kind="equirect", count=6, height=128, width=256,
                                 progress=False))
    base = TrainConfig(data=(DataSpec(str(data / "train.txt"), warp="equirectangular"),), batch_size=2,
                       epochs=1, max_steps=2, height=128, width=256, progress=False, threads=1, seed=1)
    one = _launch(base.replace(out=str(tmp_path / "one")), tmp_path, 1)
    two = _launch(base.replace(out=str(tmp_path / "two")), tmp_path, 2)
    assert one["step"] == two["step"] == 2
    np.testing.assert_allclose(two["losses"], one["losses"], rtol=1e-5)
    assert (tmp_path / "two" / "model.safetensors").is_file()


@pytest.mark.slow
def test_ctrl_c_under_torchrun_stops_every_rank_after_the_same_step_with_a_snapshot(tmp_path):
    # Ctrl-C in a terminal reaches the whole process group (agent and workers); the agent forwards it to
    # each worker again. Every rank must stop after the same step, rank 0 saving that step's state.
    base = tiny_config(tmp_path, data=(DataSpec(write_list(tmp_path / "c.txt", 16)),), batch_size=4,
                       epochs=150, snapshot_minutes=None)  # 600 short steps
    ref = base.replace(out=str(tmp_path / "ref"), max_steps=200, snapshot_every=1, keep_snapshots=1000)
    _launch(ref, tmp_path, 2)
    cfg = tmp_path / "stop.json"
    cfg.write_text(base.replace(out=str(tmp_path / "stop")).to_json())
    out = tmp_path / "stop.result.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    cmd = [str(TORCHRUN), "--standalone", "--nproc_per_node=2", str(WORKER), str(cfg), str(out)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    metrics = tmp_path / "stop" / "metrics.jsonl"
    deadline = time.monotonic() + 300
    while not (metrics.is_file() and metrics.read_text().count("\n") >= 20) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    ranks = [json.loads(Path(f"{out}.rank{r}").read_text()) for r in range(2)]
    assert ranks[0]["step"] == ranks[1]["step"], stderr[-3000:]
    step = ranks[0]["step"]
    assert 20 <= step < 200, (step, stderr[-3000:])
    assert ranks[0]["signal"] == ranks[1]["signal"] == "SIGINT"
    saved = load_snapshot(latest_snapshot(tmp_path / "stop"))
    assert saved["step"] == step
    expected = load_snapshot(tmp_path / "ref" / "snapshots" / f"step_{step:08d}.pt")["model"]
    assert all(torch.equal(saved["model"][k], expected[k]) for k in expected)  # bitwise the same state
