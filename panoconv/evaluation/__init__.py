"""Depth evaluation: the standard metrics and the data-set protocols built on them."""
