"""Render a network parity report: a text table, JSON, and a markdown report with a per-layer plot."""

from __future__ import annotations

import json
from pathlib import Path

from panoconv.io.atomic import atomic_file, atomic_path
from panoconv.parity.compare import METRICS, TensorError, metric_definitions, verdict
from panoconv.parity.network import ParityReport, RunResult


def _header(width: int) -> str:
    return f"{'':2}{'tensor':<{width}}{'MSE':>11}{'max abs':>11}{'max rel':>11}{'isolated':>11}  status"


def _row(err: TensorError, tol: float, mark: str = "", isolated: TensorError | None = None,
         width: int = 18) -> str:
    status = verdict(err.mse <= tol)
    iso = f"{isolated.max_abs:>11.3e}" if isolated is not None else f"{'':>11}"
    errors = f"{err.mse:>11.3e}{err.max_abs:>11.3e}{err.max_rel:>11.3e}"
    return f"{mark:2}{err.name:<{width}}{errors}{iso}  {status}"


def run_table(run: RunResult, with_layers: bool = True) -> str:
    width = max([18] + [len(e.name) + 1 for e in run.outputs + run.layers])
    lines = [f"== {run.dtype} | input {run.input_name} | tol (MSE) {run.tol:g} | "
             f"{verdict(run.passed)}", _header(width)]
    lines += [_row(e, run.tol, width=width) for e in run.outputs]
    if with_layers and run.layers:
        first_bad = run.first_bad_layer
        lines.append("  -- per layer, network order (isolated = max abs error of the layer fed TF's own "
                     "input)"
                     + (f"; first over tolerance: {first_bad} (>>)" if first_bad
                        else "; none over tolerance"))
        isolated = {e.name: e for e in run.isolated}
        lines += [_row(e, run.tol, ">>" if e.name == first_bad else "", isolated.get(e.name), width)
                  for e in run.layers]
    return "\n".join(lines)


def environment_lines(report: ParityReport) -> list[str]:
    env = report.environment
    return [f"TensorFlow {env.get('tensorflow')} (oneDNN {env.get('tf_onednn')}, "
            f"intra {env.get('tf_intra_op_threads')}, inter {env.get('tf_inter_op_threads')}) | "
            f"torch {env.get('torch')} (threads {env.get('torch_threads')}) | numpy {env.get('numpy')} | "
            f"seed {env.get('seed')}"]


def to_table(report: ParityReport, with_layers: bool = True) -> str:
    req = report.request
    what = (f"exported {req.exported} vs TF float32" if req.exported is not None
            else f"PyTorch {req.precision} autocast vs TF float32" if req.precision != "fp32" else "")
    head = [f"panoconv verify: {req.checkpoint} ({report.arch}) at {req.height}x{req.width}, "
            f"ring_pad={req.ring_pad}" + (f"; {what}" if what else "")]
    head.append(metric_definitions("mse", "max_abs", "max_rel") + "; judged: each output's mse <= tol")
    body = [run_table(r, with_layers) for r in report.runs]
    if report.metric_change is not None:
        body.append(metric_change_table(report.metric_change, req.precision))
    verdict = "PASS: every output's MSE <= tol" if report.passed else "FAIL: some output's MSE > tol"
    return "\n".join(head + environment_lines(report) + [""] + body + ["", verdict])


def metric_change_table(change: dict[str, dict[str, float]], precision: str) -> str:
    """fp32 vs reduced-precision evaluation metrics of the same model on the synthetic set."""
    from panoconv.parity.precision import SYNTH_SCENES, SYNTH_SIZE

    lines = [f"== evaluation metrics, fp32 vs {precision} (same model, {SYNTH_SCENES} synthetic rectilinear "
             f"scenes {SYNTH_SIZE[1]}x{SYNTH_SIZE[0]}, post-processing on)",
             f"  {'metric':<10}{'fp32':>12}{precision:>12}{'change':>10}"]
    for k, v in change["fp32"].items():
        rel = 100 * change["relative_change"][k]
        lines.append(f"  {k:<10}{v:>12.5g}{change[precision][k]:>12.5g}{rel:>9.3f}%")
    return "\n".join(lines)


def to_json(report: ParityReport) -> dict:
    req = report.request
    return {
        "passed": report.passed,
        "arch": report.arch,
        "request": {"checkpoint": str(req.checkpoint),
                    "weights": None if req.weights is None else str(req.weights),
                    "tol": req.tol, "dtypes": list(req.dtypes), "height": req.height, "width": req.width,
                    "ring_pad": req.ring_pad, "images": [str(p) for p in req.images],
                    "pairs": [[str(a), str(b)] for a, b in req.pairs],
                    "random_images": req.random_images, "seed": req.seed, "precision": req.precision,
                    "exported": None if req.exported is None else str(req.exported)},
        "metric_change": report.metric_change,
        "environment": report.environment,
        "runs": [{"dtype": r.dtype, "input": r.input_name, "passed": r.passed,
                  "first_bad_layer": r.first_bad_layer,
                  "outputs": [e.as_dict() for e in r.outputs], "layers": [e.as_dict() for e in r.layers],
                  "isolated_layers": [e.as_dict() for e in r.isolated]}
                 for r in report.runs],
    }


#: What the per-layer plot can show: the quantity the pass/fail tolerance applies to, or an error scale.
#: the per-layer metrics a plot can show, labelled with their one definition (a = PyTorch, b = TensorFlow)
PLOT_METRICS = {name: f"{name} = {METRICS[name]}" for name in ("mse", "max_abs", "max_rel")}


def layer_figure(report: ParityReport, metric: str = "mse"):
    """Matplotlib figure of the per-layer `metric` (log scale), network order; `mse` adds the --tol line."""
    if metric not in PLOT_METRICS:
        raise ValueError(f"plot metric must be one of {', '.join(PLOT_METRICS)}, got {metric!r}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 4.5))
    for run in report.runs:
        values = [max(getattr(e, metric), 1e-300) for e in run.layers]
        line, = ax.semilogy(range(len(values)), values, marker="o", ms=3,
                            label=f"{run.dtype} | {run.input_name}")
        if run.isolated:
            position = {e.name: i for i, e in enumerate(run.layers)}
            iso = [(position[e.name],
                    max(getattr(e, metric), 1e-300)) for e in run.isolated if e.name in position]
            ax.semilogy([i for i, _ in iso], [v for _, v in iso], ls=":", color=line.get_color(), lw=1,
                        label=f"{run.dtype} | {run.input_name} (isolated)")
    if metric == "mse" and report.runs:
        ax.axhline(report.runs[0].tol, color="red", ls="--", lw=1,
                   label=f"tolerance (--tol {report.runs[0].tol:g})")
    names = [e.name.split(".", 1)[-1] for e in report.runs[0].layers] if report.runs else []
    ax.set_xticks(range(len(names)), names, rotation=70, fontsize=7)
    ax.set_xlabel("layer (network order, input to output)")
    ax.set_ylabel(metric)
    ax.set_title(f"Per-layer {PLOT_METRICS[metric]}; a = PyTorch, b = TensorFlow", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def write_markdown(report: ParityReport, out_dir: Path, metric: str = "mse") -> Path:
    """`out_dir/report.md` plus `out_dir/layer_errors.png` (`layer_figure`; `max_rel` = relative error)."""
    import matplotlib.pyplot as plt

    fig = layer_figure(report, metric)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "layer_errors.png") as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    text = ["# panoconv parity report", "", *environment_lines(report), "",
            "![per-layer error](layer_errors.png)", "", "```", to_table(report), "```", "",
            "```json", json.dumps(to_json(report)["request"], indent=2), "```"]
    with atomic_file(out_dir / "report.md", "w") as f:
        f.write("\n".join(text) + "\n")
    return out_dir / "report.md"
