"""Run `train(TrainConfig.load(argv[1]))` (torchrun or alone); rank 0 writes its losses to argv[2].

Used by test_ddp.py; importing `_tiny` registers the tiny test task in every process.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from panoconv.training import TrainConfig, train  # noqa: E402
from tests.training import _tiny  # noqa: E402,F401  (registers "tiny-test")


def main() -> None:
    result = train(TrainConfig.load(sys.argv[1]))
    if int(os.environ.get("RANK", "0")) == 0:
        Path(sys.argv[2]).write_text(json.dumps({"losses": result.losses, "step": result.step,
                                                 "world_size": int(os.environ.get("WORLD_SIZE", "1")),
                                                 "seconds": result.seconds}))


if __name__ == "__main__":
    main()
