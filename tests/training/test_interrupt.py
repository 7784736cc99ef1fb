"""Training that survives interruption: Ctrl-C/SIGTERM, snapshot cadence, restarts, NaN before the warp."""

from __future__ import annotations

import json
import signal

import pytest
import torch
from click.testing import CliRunner

from panoconv.cli import main
from panoconv.errors import CheckpointError, OutputExistsError
from panoconv.training import TrainingDiverged, train
from panoconv.training import interrupt as interrupt_module
from panoconv.training.cadence import SnapshotCadence
from panoconv.training.interrupt import TrainingInterrupted
from panoconv.training.rundir import RunLock, trim_metrics
from panoconv.training.snapshots import find_resume_snapshot, load_snapshot
from panoconv.weights import save_weights
from tests.training import _tiny
from tests.training._tiny import tiny_config, write_list


@pytest.fixture(autouse=True)
def _no_hooks(monkeypatch):
    monkeypatch.setattr(_tiny, "SIGNALS_AT_CALL", {})


def _steps(run) -> list[int]:
    records = map(json.loads, (run / "metrics.jsonl").read_text().splitlines())
    return [r["step"] for r in records if "loss/total" in r]


def _model(run) -> dict[str, torch.Tensor]:
    return find_resume_snapshot(run).state["model"]


def test_sigint_saves_at_the_step_boundary_and_resume_is_bitwise_equal(tmp_path, monkeypatch):
    # 3 steps per epoch, 3 epochs; SIGINT arrives in the middle of step 5 (during its loss)
    full = train(tiny_config(tmp_path, out=str(tmp_path / "full"), epochs=3))
    # what the process had (the default handler, or SIG_IGN when started in the background / by nohup)
    before = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(_tiny, "SIGNALS_AT_CALL", {5: [signal.SIGINT]})
    with pytest.raises(TrainingInterrupted, match=r"interrupted by SIGINT after step 5 \(epoch 1\): "
                       r"snapshot .*step_00000005\.pt; continue with --resume") as stopped:
        train(tiny_config(tmp_path, out=str(tmp_path / "split"), epochs=3))
    assert stopped.value.step == 5 and stopped.value.snapshot.name == "step_00000005.pt"
    assert signal.getsignal(signal.SIGINT) is before  # handlers restored
    monkeypatch.setattr(_tiny, "SIGNALS_AT_CALL", {})
    rest = train(tiny_config(tmp_path, out=str(tmp_path / "split"), epochs=3, resume=True))
    assert rest.step == 9 and len(rest.losses) == 4
    assert full.losses[5:] == rest.losses  # bitwise equal, step by step
    a, b = _model(tmp_path / "full"), _model(tmp_path / "split")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert _steps(tmp_path / "split") == list(range(1, 10))  # each step logged exactly once


def test_second_sigint_aborts_at_once_and_keeps_the_previous_snapshot(tmp_path, monkeypatch):
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    monkeypatch.setattr(_tiny, "SIGNALS_AT_CALL", {5: [signal.SIGINT, signal.SIGINT]})
    with pytest.raises(KeyboardInterrupt, match="second SIGINT"):
        train(tiny_config(tmp_path, epochs=3))
    found = find_resume_snapshot(tmp_path / "run")
    assert found.state["step"] == 3 and not found.skipped  # the epoch-end snapshot, intact


def test_under_torchrun_a_repeat_within_the_grace_time_is_one_request(tmp_path, monkeypatch):
    # torchrun forwards the terminal's Ctrl-C to each worker, which thus sees it twice
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "test")
    monkeypatch.setattr(interrupt_module, "REPEAT_GRACE_S", 60.0)
    monkeypatch.setattr(_tiny, "SIGNALS_AT_CALL", {2: [signal.SIGINT, signal.SIGINT]})
    with pytest.raises(TrainingInterrupted, match="after step 2"):
        train(tiny_config(tmp_path, epochs=3))


def test_sigterm_via_cli_exits_130_with_one_line_then_resume_finishes(tmp_path, monkeypatch):
    data = write_list(tmp_path / "a.txt", 8)
    args = ["train", "--task", "tiny-test", "--data", data, "--height", "8", "--width", "8", "--epochs", "2",
            "--out", str(tmp_path / "run"), "--threads", "1"]
    monkeypatch.setattr(_tiny, "SIGNALS_AT_CALL", {3: [signal.SIGTERM]})
    stopped = CliRunner().invoke(main, args)
    assert stopped.exit_code == 130, stopped.output
    lines = [line for line in stopped.stderr.splitlines() if line.startswith("Interrupted:")]
    assert len(lines) == 1 and "SIGTERM after step 3" in lines[0] and "--resume" in lines[0]
    assert "Traceback" not in stopped.stderr
    monkeypatch.setattr(_tiny, "SIGNALS_AT_CALL", {})
    resumed = CliRunner().invoke(main, args + ["--resume"])
    assert resumed.exit_code == 0, resumed.stderr
    assert find_resume_snapshot(tmp_path / "run").state["step"] == 4


def test_snapshots_at_every_epoch_end_and_by_time(tmp_path, monkeypatch):
    train(tiny_config(tmp_path, epochs=3, keep_snapshots=100))
    names = sorted(p.name for p in (tmp_path / "run" / "snapshots").glob("*.pt"))
    assert names == ["step_00000003.pt", "step_00000006.pt", "step_00000009.pt"]  # no step-based default
    clock = iter(range(0, 10_000, 60))  # one minute per call
    cadence = SnapshotCadence(None, 2.5, clock=lambda: next(clock))
    due = [s for s in range(1, 8) if cadence.due(s, epoch_end=False) and (cadence.saved() or True)]
    assert due == [3, 6]  # 2.5 minutes after the start, then after the last snapshot
    assert SnapshotCadence(4, None).due(8, False) == "every 4 steps"


def test_run_stopped_before_its_first_snapshot_restarts_without_force(tmp_path, monkeypatch):
    monkeypatch.setattr(_tiny, "NAN_AT_CALL", 1)  # dies at step 1: config.json, empty metrics, no snapshot
    with pytest.raises(TrainingDiverged):
        train(tiny_config(tmp_path, epochs=1))
    run = tmp_path / "run"
    assert (run / "config.json").is_file() and (run / "metrics.jsonl").read_text() == ""
    monkeypatch.setattr(_tiny, "NAN_AT_CALL", None)
    again = train(tiny_config(tmp_path, epochs=1, lr=0.02))  # not refused, even with another setting
    assert again.step == 3 and _steps(tmp_path / "run") == [1, 2, 3]
    with pytest.raises(OutputExistsError, match="already holds this run"):  # now it has snapshots
        train(tiny_config(tmp_path, epochs=1, lr=0.02))


def test_a_run_folder_in_use_is_refused(tmp_path):
    (tmp_path / "run").mkdir()
    with (RunLock(tmp_path / "run"),
          pytest.raises(OutputExistsError, match=r"another training process .* is using this run folder")):
        train(tiny_config(tmp_path, epochs=1))
    assert train(tiny_config(tmp_path, epochs=1)).step == 3  # the lock file alone is no obstacle


def test_resume_trims_the_log_and_sweeps_temporary_files(tmp_path):
    train(tiny_config(tmp_path, epochs=3, max_steps=4, snapshot_every=2))
    run = tmp_path / "run"
    with open(run / "metrics.jsonl", "a") as f:  # what a killed run may leave: a later step, a torn line
        f.write(json.dumps({"step": 5, "loss/total": 1.0}) + "\n" + '{"step": 6, "loss/to')
    stale = [run / ".config.x1.json", run / "snapshots" / ".step_00000005.y2.pt"]
    for p in stale:
        p.write_bytes(b"partial")
    train(tiny_config(tmp_path, epochs=3, resume=True))
    assert _steps(run) == list(range(1, 10)) and not any(p.exists() for p in stale)
    path = tmp_path / "m.jsonl"
    path.write_text('{"step": 1}\n{"step": 2}\n{"step": 3, "x"')
    assert trim_metrics(path, 1) == 2 and path.read_text() == '{"step": 1}\n'


def test_val_every_and_log_names_that_cannot_be_confused(tmp_path):
    from panoconv.training.config import DataSpec

    val = (DataSpec(write_list(tmp_path / "val.txt", 4)),)
    result = train(tiny_config(tmp_path, epochs=1, val_data=val, val_every=2))
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "val/total" in r] == [2, 3]  # every 2 steps and at the epoch end
    assert len(result.val_losses) == 2
    step = next(r for r in records if "loss/total" in r)
    assert "learning_rate" in step and "lr" not in step and step["learning_rate"] == pytest.approx(1e-2)


def test_nan_init_weights_are_refused_naming_file_and_tensor(tmp_path):
    model = _tiny.TinyTask(tiny_config(tmp_path)).build_model()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["2.weight"].view(-1)[3] = float("nan")
    weights = save_weights(state, tmp_path / "nan.safetensors", {"architecture": "tiny"})
    with pytest.raises(CheckpointError, match=r"nan\.safetensors: --init weights hold NaN or inf values: "
                       r"2\.weight \(1 of 36\)"):
        train(tiny_config(tmp_path, init=str(weights)))
    data = write_list(tmp_path / "a.txt", 8)
    cli = CliRunner().invoke(main, ["train", "--task", "tiny-test", "--data", data, "--height", "8",
                                    "--width", "8", "--init", str(weights), "--out", str(tmp_path / "cli")])
    assert cli.exit_code == 1 and "2.weight" in cli.stderr and "Traceback" not in cli.stderr


def test_nan_input_stops_before_the_forward_naming_the_data_row(tmp_path, monkeypatch):
    monkeypatch.setattr(_tiny, "NAN_INPUT_INDEX", 7)
    with pytest.raises(TrainingDiverged,
                       match=r"NaN or inf in the training input at step \d+: x, y of a\.txt:8; "):
        train(tiny_config(tmp_path, epochs=1))


def test_weights_gone_nan_are_named_when_the_prediction_is_not_finite(tmp_path, monkeypatch):
    monkeypatch.setattr(_tiny, "NAN_WEIGHT_AT_CALL", 4)
    with pytest.raises(TrainingDiverged, match=r"prediction at step 4 \(epoch 1\); non-finite weights: "
                       r"0\.weight \(1 of 108\); training stopped, last good snapshot: "
                       r".*step_00000003\.pt"):
        train(tiny_config(tmp_path, epochs=2))
    assert load_snapshot(tmp_path / "run" / "snapshots" / "step_00000003.pt")["step"] == 3
