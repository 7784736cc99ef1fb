"""InterleavedBatchSampler: one data set per batch, deterministic interleave, ranks split the global batch."""

from __future__ import annotations

import pytest

from panoconv.errors import PanoconvError
from panoconv.training.sampler import InterleavedBatchSampler


def _dataset_of(index: int, lengths: list[int]) -> int:
    start = 0
    for ds, n in enumerate(lengths):
        if start <= index < start + n:
            return ds
        start += n
    raise AssertionError(index)


def test_every_batch_comes_from_one_dataset_and_both_are_interleaved():
    lengths = [10, 7]
    sampler = InterleavedBatchSampler(lengths, global_batch=2, seed=5)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 5 + 3
    sources = [{_dataset_of(i, lengths) for i in b} for b in batches]
    assert all(len(s) == 1 for s in sources)
    order = [s.pop() for s in sources]
    assert sorted(order) == [0] * 5 + [1] * 3
    assert order != sorted(order)  # interleaved, not one data set after the other
    used = sorted(i for b in batches for i in b)
    assert len(used) == len(set(used)) == 16  # one tail sample of data set 1 dropped


def test_order_depends_on_seed_and_epoch_only():
    a = InterleavedBatchSampler([10, 7], 2, seed=5)
    b = InterleavedBatchSampler([10, 7], 2, seed=5)
    assert list(a) == list(b)
    b.set_epoch(1)
    assert list(a) != list(b)
    a.set_epoch(1, start=3)
    assert list(a) == list(b)[3:]


def test_two_ranks_together_see_exactly_the_single_process_batches():
    whole = list(InterleavedBatchSampler([12, 8], 4, seed=1))
    r0 = list(InterleavedBatchSampler([12, 8], 4, rank=0, world_size=2, seed=1))
    r1 = list(InterleavedBatchSampler([12, 8], 4, rank=1, world_size=2, seed=1))
    assert len(r0) == len(r1) == len(whole)
    assert [a + b for a, b in zip(r0, r1)] == whole


def test_global_batch_must_split_evenly():
    with pytest.raises(PanoconvError, match="divisible by the 2 processes"):
        InterleavedBatchSampler([10], 3, world_size=2)


def test_validation_order_keeps_partial_batches_in_sequence():
    assert list(InterleavedBatchSampler([3, 2], 2, shuffle=False, drop_last=False)) == [[0, 1], [2], [3, 4]]
