"""panoconv.training."""
