"""`InterleavedBatchSampler`: global batches drawn from one data set each, split across DDP ranks.

Why not `DistributedSampler`: it shuffles one data set, while a mixed run needs every batch to come
from a single data set (one warp per batch) and the data sets interleaved. This sampler does both and
keeps DistributedSampler's contract (per-epoch seeding through `set_epoch`, every rank the same
length). Per epoch and data set the indices are shuffled with a generator seeded by (seed, epoch, data
set), cut into global batches of `global_batch` (the tail that does not fill a batch is dropped when
training), and the batches of all data sets are put in one seeded order. Rank r of W gets the r-th
contiguous slice of B / W samples of each global batch, so W ranks together see exactly the samples
one process with the whole batch sees. `start` skips the batches already trained (exact resume).

Indices refer to `torch.utils.data.ConcatDataset(datasets)`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler

from panoconv.errors import PanoconvError


class InterleavedBatchSampler(Sampler[list[int]]):
    def __init__(self, lengths: Sequence[int], global_batch: int, rank: int = 0, world_size: int = 1,
                 seed: int = 0, shuffle: bool = True, drop_last: bool = True) -> None:
        if global_batch % world_size:
            raise PanoconvError(f"--batch-size {global_batch} must be divisible by the {world_size} "
                                "processes")
        if world_size > 1 and not drop_last:
            raise ValueError("partial batches cannot be split evenly across ranks")
        self.lengths = [int(n) for n in lengths]
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(int).tolist()
        self.global_batch, self.rank, self.world_size = int(global_batch), int(rank), int(world_size)
        self.local_batch = self.global_batch // self.world_size
        self.seed, self.shuffle, self.drop_last = int(seed), shuffle, drop_last
        self.epoch = 0
        self.start = 0

    def set_epoch(self, epoch: int, start: int = 0) -> None:
        """Select `epoch`'s order and skip its first `start` batches."""
        self.epoch, self.start = int(epoch), int(start)

    def batches_per_dataset(self) -> list[int]:
        b = self.global_batch
        return [n // b if self.drop_last else -(-n // b) for n in self.lengths]

    def global_batches(self) -> list[tuple[int, list[int]]]:
        """This epoch's (data set number, ConcatDataset indices of the whole global batch), in order."""
        tagged: list[tuple[int, list[int]]] = []
        for ds, (n, offset, count) in enumerate(zip(self.lengths, self.offsets, self.batches_per_dataset())):
            order = (np.random.default_rng([self.seed, self.epoch, ds]).permutation(n) if self.shuffle
                     else np.arange(n))
            for k in range(count):
                chunk = order[k * self.global_batch:(k + 1) * self.global_batch]
                tagged.append((ds, (chunk + offset).tolist()))
        if self.shuffle and len(self.lengths) > 1:
            rng = np.random.default_rng([self.seed, self.epoch, len(self.lengths), 7919])
            perm = rng.permutation(len(tagged))
            tagged = [tagged[i] for i in perm]
        return tagged

    def __len__(self) -> int:
        """Batches per epoch (before `start` is applied)."""
        return sum(self.batches_per_dataset())

    def __iter__(self) -> Iterator[list[int]]:
        lo, hi = self.rank * self.local_batch, (self.rank + 1) * self.local_batch
        for _, indices in self.global_batches()[self.start:]:
            yield indices[lo:hi] if self.world_size > 1 else indices
