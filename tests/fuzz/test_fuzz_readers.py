"""Seeded fuzzing of every checkpoint reader through the CLI: one line, no traceback, bounded, no mess.

For each case (a valid tiny input, mutated): the exit code is 0 or 1; a failure prints exactly one
stderr line and leaves nothing behind; a success writes only under `-o`; inputs are never modified;
no Python-level open outside the case folder; each case under `TIME_BOUND` seconds and `RSS_BOUND`
of peak memory (the inputs are a few KB; the issue's bound is 2x the largest tensor + 200 MiB).

CI runs `PANOCONV_FUZZ_CASES` (default 40) cases per reader. The long run is opt-in:

    PANOCONV_FUZZ_CASES=500 .venv/bin/python -m pytest -q tests/fuzz -s
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz._seeds import CASES

CASES_PER_READER = int(os.environ.get("PANOCONV_FUZZ_CASES", "40"))
SEED = int(os.environ.get("PANOCONV_FUZZ_SEED", "2026"))
TIME_BOUND = 10.0
RSS_BOUND = 200 << 20
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fuzz_rows(tmp_path_factory) -> dict[str, list[dict]]:
    """Every reader's cases, run by one worker process (one import of torch and h5py for all)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    base = tmp_path_factory.mktemp("fuzz")
    proc = subprocess.run([sys.executable, "-m", "tests.fuzz._worker", ",".join(sorted(CASES)),
                           str(CASES_PER_READER), str(SEED), str(base)], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=120 + 35 * CASES_PER_READER * len(CASES))
    last = [line for line in proc.stderr.splitlines() if line.startswith("START")][-1:]
    assert proc.returncode == 0, f"worker died (rc {proc.returncode}) at {last}: {proc.stderr[-2000:]}"
    rows: dict[str, list[dict]] = collections.defaultdict(list)
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            rows[row["kind"]].append(row)
    return rows


@pytest.mark.parametrize("kind", sorted(CASES))
def test_fuzz_reader(kind, fuzz_rows):
    rows = fuzz_rows[kind]
    assert len(rows) == CASES_PER_READER
    bad = [(r["i"], r["problems"]) for r in rows if r["problems"]]
    slow = [(r["i"], r["seconds"]) for r in rows if r["seconds"] > TIME_BOUND]
    big = [(r["i"], r["rss"]) for r in rows if r["rss"] is not None and r["rss"] > RSS_BOUND]
    exits = collections.Counter(r["exit"] for r in rows)
    summary = (f"{kind}: {len(rows)} cases, exits {dict(exits)}, "
               f"max {max(r['seconds'] for r in rows):.2f} s, "
               f"max traced {max(r['traced'] for r in rows) / 2**20:.1f} MiB, max RSS growth "
               f"{max((r['rss'] or 0) for r in rows) / 2**20:.1f} MiB")
    print(summary)
    assert not bad, bad[:5]
    assert not slow, slow[:5]
    assert not big, big[:5]
    assert exits[1] > 0  # the mutations do reach the refusals
