"""panoconv.data."""
