"""Hard limits for everything a checkpoint file declares, checked before anything is allocated.

A file from the internet is hostile: a length, count, offset or shape read from it is only trusted
after it fits the file's own size and these bounds. The bounds are far above any real checkpoint
(monodepth's `.index` is 20 KB, its largest tensor 18 MiB) and far below what would hurt the machine.
"""

from __future__ import annotations

import math

#: TF `.index` tables of real models are kilobytes; this is read into memory whole.
MAX_INDEX_BYTES = 256 << 20
#: Longest tensor name (after the shared-prefix expansion of the index).
MAX_KEY_BYTES = 16 << 10
#: Bound on the sum of all expanded key lengths: prefix sharing may multiply the file, but only so far.
KEY_GROWTH = 64
MIN_KEY_BUDGET = 16 << 20
#: numpy's own limit is 64; TF and every network here stay far below 32.
MAX_RANK = 32
#: TF numbers shards `%05d`; more than this is not a checkpoint anyone wrote.
MAX_SHARDS = 100_000
#: Slices of one partitioned variable (checked pairwise for overlap).
MAX_SLICES = 1024
#: One tensor, whatever its file claims (2^40 elements of float32 is 4 TiB).
MAX_TENSOR_BYTES = 1 << 36
#: An HDF5 object tree deeper than this is a link cycle or a crafted DAG, not Keras weights.
MAX_H5_DEPTH = 64
MAX_H5_OBJECTS = 1_000_000
#: Bytes a store member may inflate to, beyond what its own header declares.
MAX_MEMBER_RATIO = 1


def tensor_nbytes(shape: tuple[int, ...], itemsize: int) -> int:
    """Exact byte size of a tensor, refusing what no real checkpoint holds (as `ValueError`).

    Python integers: `np.prod` would wrap around silently for dimensions whose product passes 2^63.
    """
    if len(shape) > MAX_RANK:
        raise ValueError(f"{len(shape)} dimensions (at most {MAX_RANK})")
    if any(d < 0 for d in shape):
        raise ValueError(f"negative dimension in shape {list(shape)}")
    if any(d > MAX_TENSOR_BYTES for d in shape):
        raise ValueError(f"dimension too large in shape {list(shape)}")
    nbytes = math.prod(shape) * itemsize
    if nbytes > MAX_TENSOR_BYTES:
        raise ValueError(f"shape {list(shape)} declares {nbytes} bytes (limit {MAX_TENSOR_BYTES})")
    return nbytes
