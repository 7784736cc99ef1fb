"""`verify` as a command group: subcommands, the bare `verify CKPT` form and the deprecated mode flags."""

from click.testing import CliRunner

from panoconv.cli import main
from panoconv.parity.compare import METRICS, error_stats, metric_definitions


def _run(*args):
    return CliRunner().invoke(main, ["verify", *map(str, args)])


def test_bare_form_is_the_network_check(tf_checkpoint):
    bare, sub = _run(tf_checkpoint, "--height", "100"), _run("network", tf_checkpoint, "--height", "100")
    assert bare.exit_code == sub.exit_code == 1
    assert "multiples of 128" in bare.stderr and bare.stderr == sub.stderr


def test_old_mode_flag_routes_with_a_notice(tf_checkpoint):
    result = _run(tf_checkpoint, "--loss", "--height", "100")
    assert result.exit_code == 1
    assert "deprecated; use `panoconv verify loss CHECKPOINT`" in result.stderr
    assert "deprecated" not in _run("loss", tf_checkpoint, "--height", "100").stderr


def test_group_help_lists_the_checks():
    result = CliRunner().invoke(main, ["verify", "--help"])
    assert result.exit_code == 0
    assert all(name in result.output for name in ("network", "loss", "pipeline"))


def test_one_definition_per_metric():
    s = error_stats([1.0, 3.0], [2.0, 4.0])
    assert (s.mse, s.max_abs, s.max_rel, s.range_rel) == (1.0, 1.0, 0.25, 0.5)
    assert error_stats([0.0], [0.0]).max_rel == 0.0 and error_stats([1.0], [0.0]).max_rel == float("inf")
    line = metric_definitions("mse", "max_rel")
    assert METRICS["mse"] in line and METRICS["max_rel"] in line and "range_rel" not in line
