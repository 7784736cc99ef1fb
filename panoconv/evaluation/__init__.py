"""panoconv.evaluation."""
