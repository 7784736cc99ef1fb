"""kill -9 at many points of a tiny training run: every snapshot left verifies, resume is bitwise exact.

One run folder is killed again and again (SIGKILL from outside at seeded random moments, and from
inside at exact points: half-written snapshot, before/after each rename and fsync, during pruning,
a torn metrics line, mid-step), resumed after every kill, and twice damaged on top (a bit flip in the
newest snapshot, a garbage `latest` pointer). After every kill: each visible snapshot verifies,
the one resume picks equals the uninterrupted run's state at that step bit for bit. At the end the
model and the logged loss of every step equal the uninterrupted run's, each step logged once.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest
import torch

from panoconv.training.config import DataSpec
from panoconv.training.snapshots import (
    SNAPSHOT_DIR,
    find_resume_snapshot,
    load_snapshot,
    verify_snapshot,
)
from tests._fork_client import ForkClient
from tests.training._tiny import tiny_config, write_list

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("kill_worker.py")
KILLS = 14  # kill points, at least 10 of them real SIGKILLs (the report prints them all)


class ForkServer(ForkClient):
    def __init__(self, tmp: Path) -> None:
        super().__init__(WORKER, tmp)

    def run(self, config: Path, kill: dict | None = None, note: Path | None = None,
            kill_after_s: float | None = None) -> dict:
        pid = self.send({"config": str(config), "kill": kill, "note": str(note)})
        start = time.perf_counter()
        if kill_after_s is not None:
            time.sleep(kill_after_s)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        out = self._read()
        out["seconds"] = time.perf_counter() - start
        return out


def _tail(tmp: Path) -> str:
    return (tmp / "worker.log").read_text()[-3000:]


def _losses(run: Path) -> dict[int, dict]:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in records if "loss/total" in r]
    assert len(steps) == len(set(steps)), f"a step was logged twice: {steps}"
    return {r["step"]: {k: v for k, v in r.items() if k.startswith("loss/")}
            for r in records if "loss/total" in r}


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _damage(rng: random.Random, run: Path, kind: str, damaged: dict[Path, bytes]) -> str:
    folder = run / SNAPSHOT_DIR
    if kind == "bitflip":  # in the newest snapshot, the one resume would use
        target = max(folder.glob("step_*.pt"))
        data = bytearray(target.read_bytes())
        data[rng.randrange(len(data) // 4, len(data) - 100)] ^= 1 << rng.randrange(8)
        target.write_bytes(bytes(data))
        damaged[target] = bytes(data)
        return f"bit flipped in {target.name}"
    (folder / "latest").write_bytes(b"\x89garbage\n")
    return "latest pointer overwritten with garbage"


def _plan(rng: random.Random) -> list[dict]:
    """Seeded kill points: exact ones inside snapshot writing and steps, and random moments."""
    exact = [{"fn": "torch_save", "n": rng.randint(1, 4)},
             {"fn": "replace", "n": rng.randint(2, 12), "when": "before"},
             {"fn": "replace", "n": rng.randint(2, 12), "when": "after"},
             {"fn": "replace", "n": rng.randint(2, 12), "when": rng.choice(["before", "after"])},
             {"fn": "fsync", "n": rng.randint(1, 20), "when": "before"},
             {"fn": "fsync", "n": rng.randint(1, 20), "when": "after"},
             {"fn": "unlink", "n": rng.randint(1, 6), "when": rng.choice(["before", "after"])},
             {"fn": "metrics", "n": rng.randint(2, 10)},
             {"fn": "loss", "n": rng.randint(2, 10)}]
    timed = [{"at": rng.uniform(0.01, 0.1)} for _ in range(KILLS - len(exact))]  # of the whole run
    plan = exact + timed
    rng.shuffle(plan)
    return plan


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="fork server and /proc are Linux-only")
def test_kill_minus_9_anywhere_never_loses_a_snapshot_and_resume_is_bitwise_exact(tmp_path):
    rng = random.Random(20261202)
    specs = (DataSpec(write_list(tmp_path / "k.txt", 24)),)
    val = (DataSpec(write_list(tmp_path / "v.txt", 4)),)
    base = tiny_config(tmp_path, data=specs, val_data=val, batch_size=2, epochs=20, snapshot_every=3,
                       snapshot_minutes=None, log_every=1)  # 12 steps per epoch, 240 steps
    ref_cfg, run_cfg = tmp_path / "ref.json", tmp_path / "run.json"
    reference = base.replace(out=str(tmp_path / "ref"), keep_snapshots=1000)  # every resume point
    ref_cfg.write_text(reference.to_json())
    run_cfg.write_text(base.replace(out=str(tmp_path / "run"), resume=True).to_json())
    run = tmp_path / "run"
    server = ForkServer(tmp_path)
    try:
        ref = server.run(ref_cfg)
        assert ref["status"] == "exit" and ref["code"] == 0, _tail(tmp_path)
        ref_models = {int(p.stem[5:]): load_snapshot(p)["model"]
                      for p in (tmp_path / "ref" / SNAPSHOT_DIR).glob("step_*.pt")}
        report = []
        damage_after = {4: "bitflip", 9: "pointer"}
        damaged: dict[Path, bytes] = {}
        for i, spec in enumerate(_plan(rng)):
            note = tmp_path / f"note{i}.txt"
            if "at" in spec:
                out = server.run(run_cfg, kill_after_s=spec["at"] * ref["seconds"])
                where = f"SIGKILL from outside after {spec['at'] * ref['seconds']:.3f} s"
            else:
                out = server.run(run_cfg, kill=spec, note=note)
                where = note.read_text() if note.exists() else f"{spec} (not reached)"
            killed = out["status"] == "signal" and out["signal"] == signal.SIGKILL
            assert killed or (out["status"], out.get("code")) == ("exit", 0), _tail(tmp_path)
            if not killed:  # the run completed first; later kills hit the restart of a finished run
                report.append(f"{i:2d}: {where}: finished before the kill")
                continue
            folder = run / SNAPSHOT_DIR
            temps = sorted(p.name for p in folder.glob(".*")) if folder.is_dir() else []
            for ckpt in folder.glob("step_*.pt") if folder.is_dir() else []:
                if damaged.get(ckpt) != ckpt.read_bytes():  # not the file this test damaged on purpose
                    verify_snapshot(ckpt)  # every visible snapshot is complete and checksummed
            extra = ""
            if i in damage_after and folder.is_dir():
                extra = "; then " + _damage(rng, run, damage_after[i], damaged)
            found = find_resume_snapshot(run)
            if found is None:
                report.append(f"{i:2d}: {where}: no snapshot yet{extra}")
                continue
            step = found.state["step"]
            assert _equal(found.state["model"], ref_models[step]), f"kill {i}: step {step} differs"
            used = f"resume from step {step}"
            if found.skipped:
                used += f" (fallback: {len(found.skipped)} skipped)"
            report.append(f"{i:2d}: {where}: {used}; temp files left: {len(temps)}{extra}")
        print("\n".join(report))
        final = server.run(run_cfg)
        assert final["status"] == "exit" and final["code"] == 0, _tail(tmp_path)
    finally:
        server.close()
    kills = [r for r in report if "finished before" not in r]
    assert len(kills) >= 10 and not [r for r in kills if "step 240" in r], report  # all before the end
    assert any("fallback" in r and "bit flipped" in r for r in report), report
    final_state = find_resume_snapshot(run).state
    assert final_state["step"] == 240 and _equal(final_state["model"], ref_models[240])
    assert _losses(run) == _losses(tmp_path / "ref")  # every step once, bitwise the same loss terms
    assert not [p for p in (run / SNAPSHOT_DIR).iterdir() if p.name.startswith(".")]
