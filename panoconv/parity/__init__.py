"""panoconv.parity."""
