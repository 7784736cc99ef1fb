"""panoconv.converter: map checkpoint tensors (read by `panoconv.readers`) onto the PyTorch model.

The converter is the top of the checkpoint layers: it may import `panoconv.weights` and
`panoconv.readers`, never the other way round.
"""
