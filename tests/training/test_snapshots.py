"""Snapshots: safe format, RNG round trip, checksums, fallback past damaged files, no stale leftovers."""

from __future__ import annotations

import hashlib
import logging
import random

import numpy as np
import pytest
import torch

from panoconv.errors import SnapshotError
from panoconv.training import snapshots as ck

#: a tensor whose bytes are easy to find in the file (to flip a bit inside tensor data, not zip headers)
MARK = torch.arange(256, dtype=torch.float32) + 0.5


def _state(step: int) -> dict:
    return {"step": step, "model": {"w": torch.full((3,), float(step)), "mark": MARK + step},
            "rng": ck.capture_rng(), "config": {"data": ({"list_file": "a.txt"},), "lr": 1e-4}}


def _names(tmp_path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "snapshots").iterdir())


def test_snapshot_loads_with_weights_only_and_restores_rng(tmp_path):
    torch.manual_seed(1), np.random.seed(2), random.seed(3)
    path = ck.save_snapshot(tmp_path, _state(5))
    expected = (torch.rand(2), np.random.rand(2), random.random())
    state = ck.load_snapshot(path)  # weights_only=True inside
    assert state["step"] == 5 and torch.equal(state["model"]["w"], torch.full((3,), 5.0))
    ck.restore_rng(state["rng"])
    again = (torch.rand(2), np.random.rand(2), random.random())
    assert torch.equal(expected[0], again[0]) and np.array_equal(expected[1], again[1])
    assert expected[2] == again[2]


def test_checksum_file_is_sha256sum_format_of_the_snapshot(tmp_path):
    path = ck.save_snapshot(tmp_path, _state(7))
    line = ck.checksum_path(path).read_text()
    assert line == f"{hashlib.sha256(path.read_bytes()).hexdigest()}  step_00000007.pt\n"
    ck.verify_snapshot(path)


def test_only_the_newest_snapshots_are_kept_with_their_checksums(tmp_path):
    for step in (10, 20, 30):
        ck.save_snapshot(tmp_path, _state(step), keep=2)
    assert _names(tmp_path) == ["latest", "step_00000020.pt", "step_00000020.pt.sha256", "step_00000030.pt",
                                "step_00000030.pt.sha256"]
    assert ck.latest_snapshot(tmp_path).name == "step_00000030.pt"


def test_torch_load_misses_a_bit_flip_that_the_checksum_catches(tmp_path):
    path = ck.save_snapshot(tmp_path, _state(10))
    data = bytearray(path.read_bytes())
    at = data.find((MARK + 10).numpy().tobytes())
    assert at > 0
    data[at + 41] ^= 0x04
    path.write_bytes(bytes(data))
    loaded = ck.load_snapshot(path)  # torch does not verify the zip CRCs: it loads, silently wrong
    assert not torch.equal(loaded["model"]["mark"], MARK + 10)
    with pytest.raises(SnapshotError, match="checksum mismatch"):
        ck.verify_snapshot(path)


def _flip(path):
    data = bytearray(path.read_bytes())
    data[data.find((MARK + 20).numpy().tobytes()) + 5] ^= 0x01
    path.write_bytes(bytes(data))


DAMAGE = {
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[:len(p.read_bytes()) // 2]), "checksum mismatch"),
    "empty": (lambda p: p.write_bytes(b""), "empty file"),
    "deleted": (lambda p: p.unlink(), "missing"),
    "bit-flipped": (_flip, "checksum mismatch"),
    "checksum lost": (lambda p: ck.checksum_path(p).unlink(), "no checksum file"),
    "latest garbage": (lambda p: (p.parent / "latest").write_bytes(b"\x00\xffstep_9.pt"), "does not name"),
    "latest names a missing file": (lambda p: (p.parent / "latest").write_text("step_00000099.pt\n"),
                                    "missing"),
    "latest empty": (lambda p: (p.parent / "latest").write_text(""), "does not name"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_latest_falls_back_to_the_previous_snapshot_with_a_warning(tmp_path, caplog, damage):
    ck.save_snapshot(tmp_path, _state(10), keep=2)
    newest = ck.save_snapshot(tmp_path, _state(20), keep=2)
    spoil, reason = DAMAGE[damage]
    spoil(newest)
    with caplog.at_level(logging.WARNING):
        found = ck.find_resume_snapshot(tmp_path)
    if damage.startswith("latest"):  # the pointer is for people: the newest file that verifies wins
        assert found.state["step"] == 20 and found.path == newest
    else:
        assert found.state["step"] == 10 and found.path.name == "step_00000010.pt"
        assert "falling back to" in caplog.text
    assert reason in caplog.text and any(reason in s for s in found.skipped)


def test_no_verifiable_snapshot_is_an_error_naming_each_reason(tmp_path):
    first = ck.save_snapshot(tmp_path, _state(10), keep=2)
    second = ck.save_snapshot(tmp_path, _state(20), keep=2)
    first.write_bytes(b"")
    _flip(second)
    with pytest.raises(SnapshotError,
                       match=r"no usable snapshot \(.*checksum mismatch.*empty file.*--force"):
        ck.find_resume_snapshot(tmp_path)
    assert ck.find_resume_snapshot(tmp_path / "elsewhere") is None


def test_failure_while_writing_keeps_previous_snapshot(tmp_path, monkeypatch):
    ck.save_snapshot(tmp_path, _state(10), keep=1)
    real_save = torch.save

    def dies_half_way(obj, f):  # a partial file, then the process "dies"
        real_save(obj, f)
        with open(f, "r+b") as fh:
            fh.truncate(100)
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(ck.torch, "save", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        ck.save_snapshot(tmp_path, _state(20), keep=1)
    monkeypatch.undo()
    latest = ck.latest_snapshot(tmp_path)
    assert latest.name == "step_00000010.pt"
    assert ck.load_snapshot(latest)["step"] == 10
    assert _names(tmp_path) == ["latest", "step_00000010.pt", "step_00000010.pt.sha256"]


def test_kill_before_latest_is_updated_leaves_previous_snapshot_intact(tmp_path, monkeypatch):
    ck.save_snapshot(tmp_path, _state(10), keep=1)
    real_atomic_file = ck.atomic_file

    def dies_on_the_pointer(path, mode="wb"):
        if path.name == ck.LATEST:
            raise KeyboardInterrupt("killed before the pointer was written")
        return real_atomic_file(path, mode)

    monkeypatch.setattr(ck, "atomic_file", dies_on_the_pointer)
    with pytest.raises(KeyboardInterrupt):
        ck.save_snapshot(tmp_path, _state(20), keep=1)
    monkeypatch.setattr(ck, "atomic_file", real_atomic_file)
    assert (tmp_path / "snapshots" / "latest").read_text() == "step_00000010.pt\n"
    assert ck.load_snapshot(tmp_path / "snapshots" / "step_00000010.pt")["step"] == 10  # not pruned
    assert ck.find_resume_snapshot(tmp_path).state["step"] == 20  # complete and checksummed: used


def test_stale_temporary_files_are_swept_and_foreign_files_kept(tmp_path):
    ck.save_snapshot(tmp_path, _state(10))
    folder = tmp_path / "snapshots"
    stale = [folder / ".step_00000020.a1b2.pt", folder / ".step_00000020.pt.x9.sha256",
             folder / ".latest.q.tmp"]
    for p in stale:
        p.write_bytes(b"partial")
    (folder / "notes.txt").write_text("mine")
    assert sorted(p.name for p in ck.sweep_temp_files(tmp_path)) == sorted(p.name for p in stale)
    assert not any(p.exists() for p in stale) and (folder / "notes.txt").exists()
    assert ck.find_resume_snapshot(tmp_path).state["step"] == 10


def test_damaged_or_foreign_files_are_refused(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a snapshot")
    with pytest.raises(SnapshotError, match="cannot read snapshot"):
        ck.load_snapshot(bad)
    foreign = tmp_path / "foreign.pt"
    torch.save({"w": torch.zeros(1)}, foreign)
    with pytest.raises(SnapshotError, match="not a panoconv training snapshot"):
        ck.load_snapshot(foreign)


def test_run_written_before_the_rename_resumes_from_its_checkpoints_folder(tmp_path):
    """Runs from before "checkpoint" was renamed "snapshot": `RUN/checkpoints`, the old format tag and the
    old config keys still resume, and the run keeps writing into its own folder (no second one)."""
    from panoconv.training.config import TrainConfig

    legacy = tmp_path / ck.LEGACY_SNAPSHOT_DIR
    legacy.mkdir()
    old = legacy / ck.snapshot_name(4)
    torch.save({"format": ck.LEGACY_FORMAT, **_state(4)}, old)
    ck.checksum_path(old).write_text(f"{ck.file_sha256(old)}  {old.name}\n")
    found = ck.find_resume_snapshot(tmp_path)
    assert found is not None and found.path == old and found.state["step"] == 4
    newer = ck.save_snapshot(tmp_path, _state(6))
    assert newer.parent == legacy and not (tmp_path / ck.SNAPSHOT_DIR).exists()
    assert ck.find_resume_snapshot(tmp_path).state["step"] == 6
    assert ck.snapshot_dir(tmp_path / "fresh") == tmp_path / "fresh" / "snapshots"

    raw = {"data": [{"list_file": "a.txt"}], "out": str(tmp_path), "checkpoint_every": 7,
           "checkpoint_minutes": None, "keep_checkpoints": 3}
    config = TrainConfig.from_dict(raw)
    assert (config.snapshot_every, config.snapshot_minutes, config.keep_snapshots) == (7, None, 3)


def test_foreign_format_tag_is_refused(tmp_path):
    path = tmp_path / "x.pt"
    torch.save({"format": "someone-else/1", "step": 1}, path)
    with pytest.raises(SnapshotError, match="not a panoconv training snapshot"):
        ck.load_snapshot(path)
