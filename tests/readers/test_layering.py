"""Checkpoint code is layered one way: readers <- weights <- converter; no import cycles in panoconv.

Imports are read from the source (module level and inside functions alike), so a lazy import that
would close a cycle is caught as well as a top-level one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import panoconv

ROOT = Path(panoconv.__file__).parent
#: What each checkpoint layer may import from panoconv (besides itself).
ALLOWED = {
    "panoconv.readers": {"panoconv.errors"},
    # panoconv.progress: a leaf (stdlib and tqdm only) that reports long work on stderr
    "panoconv.weights": {"panoconv.errors", "panoconv.readers", "panoconv.io", "panoconv.arch", "panoconv",
                         "panoconv.progress"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every panoconv module `path` imports. `from pkg import sub` depends on the submodule only (a
    package's `__init__` runs for any of its submodules anyway, so that edge is no choice of ours)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("panoconv"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("panoconv"):
            subs = {f"{node.module}.{a.name}" for a in node.names} & modules
            found.update(subs)
            if len(subs) < len(node.names):
                found.add(node.module)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    return {name: {m for m in _imports(path, set(modules)) if m in modules and m != name}
            for name, path in modules.items()}


def _layer(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_readers_import_only_errors_and_weights_never_the_converter():
    graph = _graph()
    bad = [f"{src} imports {dst}" for src, dsts in graph.items() for dst in dsts
           if _layer(src) in ALLOWED and _layer(dst) not in ALLOWED[_layer(src)] | {_layer(src)}]
    assert not bad, bad
    assert any(_layer(d) == "panoconv.readers" for d in graph["panoconv.weights.extract"])


def _cycle(graph: dict[str, set[str]], nodes: set[str]) -> list[str] | None:
    """One import cycle among `nodes` (depth-first search), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node] & nodes):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(nodes):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles_in_checkpoint_code():
    graph = _graph()
    layers = ("panoconv.readers", "panoconv.weights", "panoconv.converter")
    nodes = {m for m in graph if _layer(m) in layers}
    assert len(nodes) > 15
    assert _cycle(graph, nodes) is None


def test_no_import_cycles_anywhere_in_panoconv():
    graph = _graph()
    assert len(graph) > 150
    assert _cycle(graph, set(graph)) is None


def test_package_names_are_not_also_submodule_names():
    """`from panoconv.inference import predict` is the function; no submodule is called `predict`."""
    import panoconv.inference as inference

    assert callable(inference.predict) and not (ROOT / "inference" / "predict.py").exists()
    for name in inference.__all__:
        assert not (ROOT / "inference" / f"{name}.py").exists(), name


def test_docstrings_cite_no_file_outside_the_repository():
    """The design notes (monodepth.md, conventions.md, omnidepth-3d60.md) are not shipped: cite the code."""
    notes = ("monodepth.md", "conventions.md", "omnidepth-3d60.md", "parity-pitfalls.md")
    repo = ROOT.parent
    files = [*ROOT.rglob("*.py"), *(repo / "tests").rglob("*.py"), *(repo / "benchmarks").rglob("*.py")]
    bad = [f"{p.relative_to(repo)}: {n}" for p in files for n in notes
           if n in p.read_text(encoding="utf-8") and p.name != "test_layering.py"]
    assert not bad, bad


def test_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _cycle(graph, set(graph)) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}, {"a", "b"}) is None


def test_one_optimizer_rule_and_one_reader_protocol():
    defs: dict[str, list[str]] = {}
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defs.setdefault(node.name, []).append(_module_name(path))
    assert defs["is_optimizer_state"] == ["panoconv.readers._types"]
    assert defs["CheckpointReader"] == ["panoconv.readers._types"]
