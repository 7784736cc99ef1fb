"""Run `train(TrainConfig.load(argv[1]))` (torchrun or alone); rank 0 writes its losses to argv[2].

Used by test_ddp.py; importing `_tiny` registers the tiny test task in every process. An interrupted
run (SIGINT/SIGTERM) writes `{argv[2]}.rank<R>` with the step each rank stopped at and exits 130.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from panoconv.training import TrainConfig, train
from panoconv.training.interrupt import EXIT_INTERRUPTED, TrainingInterrupted
from tests.training import _tiny  # noqa: F401  (registers "tiny-test")


def main() -> None:
    rank = int(os.environ.get("RANK", "0"))
    try:
        result = train(TrainConfig.load(sys.argv[1]))
    except TrainingInterrupted as stopped:
        Path(f"{sys.argv[2]}.rank{rank}").write_text(json.dumps({"step": stopped.step,
                                                                 "signal": stopped.signal_name}))
        sys.exit(EXIT_INTERRUPTED)
    if rank == 0:
        Path(sys.argv[2]).write_text(json.dumps({"losses": result.losses, "step": result.step,
                                                 "world_size": int(os.environ.get("WORLD_SIZE", "1")),
                                                 "seconds": result.seconds}))


if __name__ == "__main__":
    main()
