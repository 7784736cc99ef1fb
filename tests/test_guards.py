"""The shared shape / size guards: what passes, what fails, and the one message form."""

from __future__ import annotations

import pytest
import torch

from panoconv.errors import InputShapeError, PanoconvError
from panoconv.guards import check_same_shape, check_shape, check_size_multiple, fits_multiple, suggest_size


def test_check_shape_matches_ints_and_wildcards():
    check_shape(torch.Size([2, 3, 8, 16]), (None, 3, None, None), "a batch")
    check_shape((4, 5, 3), (None, None, 3), "an image")
    with pytest.raises(InputShapeError) as err:
        check_shape(torch.Size([2, 4, 8, 16]), (None, 3, None, None), "a B x 3 x H x W batch", where="net")
    assert str(err.value) == "net: expected a B x 3 x H x W batch, got shape (2, 4, 8, 16)"
    with pytest.raises(InputShapeError, match=r"^expected an image, got shape \(4, 5\); give RGB$"):
        check_shape((4, 5), (None, None, 3), "an image", hint="give RGB")  # rank differs


def test_check_same_shape_needs_rank_and_equality():
    check_same_shape((1, 3, 4, 4), torch.Size([1, 3, 4, 4]), "two tensors")
    with pytest.raises(InputShapeError) as err:
        check_same_shape((1, 3, 4, 4), (1, 3, 4, 5), "two tensors", where="ssim_map")
    assert str(err.value) == "ssim_map: expected two tensors of one shape, got (1, 3, 4, 4) and (1, 3, 4, 5)"
    with pytest.raises(InputShapeError, match="of one shape"):
        check_same_shape((3, 4), (3, 4), "two tensors")  # equal, but not rank 4


def test_size_multiple_and_its_suggestion():
    assert fits_multiple(256, 512, 128)
    assert not fits_multiple(0, 512, 128) and not fits_multiple(200, 512, 128)
    assert suggest_size(100, 250, 128) == "128x256" and suggest_size(1, 1, 64) == "64x64"
    check_size_multiple(64, 128, 64)
    with pytest.raises(InputShapeError) as err:
        check_size_multiple(100, 256, 128, where="m.onnx", advice="; resize to it")
    assert str(err.value) == ("m.onnx: height and width must be positive multiples of 128, got 100x256 "
                              "(e.g. 128x256); resize to it")
    with pytest.raises(PanoconvError) as err:
        check_size_multiple(-4, 8, 4, error=PanoconvError)
    assert type(err.value) is PanoconvError
