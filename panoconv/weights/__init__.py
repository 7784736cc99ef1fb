"""panoconv.weights."""
