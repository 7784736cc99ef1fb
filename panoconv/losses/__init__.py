"""Training losses. Every loss returns a `LossOutput`: the total to backpropagate and each named term."""

from panoconv.losses._types import LossOutput

__all__ = ["LossOutput"]
