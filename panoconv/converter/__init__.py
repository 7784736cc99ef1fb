"""panoconv.converter."""
