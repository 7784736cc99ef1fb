"""The loop of the kill -9 fork servers (tests/training/kill_worker.py, tests/io/kill_cli_worker.py).

One JSON job per stdin line; each is run by `child(job)` in a forked process (the parent stays warm);
replies on stdout: `{"pid": PID}`, then `{"status": "exit", "code": N}` or `{"status": "signal", "signal":
N}`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable


def serve(child: Callable[[dict], int], quiet_child: bool = False) -> None:
    """Serve jobs until stdin closes; `quiet_child` sends the child's stdout to stderr (not the replies)."""
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            if quiet_child:
                sys.stdout.flush()
                os.dup2(2, 1)
                sys.stdout = sys.stderr
            code = child(job)
            sys.stderr.flush()
            os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            print(json.dumps({"status": "signal", "signal": os.WTERMSIG(status)}), flush=True)
        else:
            print(json.dumps({"status": "exit", "code": os.WEXITSTATUS(status)}), flush=True)
