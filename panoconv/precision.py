"""The names of the compute precisions, kept free of torch so that option parsing stays fast.

`panoconv.runtime` says what each one runs as; the CLI only needs the names to build `--precision`
before any heavy import (a usage error must answer in well under a second).
"""

from __future__ import annotations

from typing import Literal

Precision = Literal["fp32", "bf16", "fp16"]
PRECISIONS: tuple[str, ...] = ("fp32", "bf16", "fp16")
