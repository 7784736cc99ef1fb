"""panoconv.inference."""
