"""panoconv.geometry."""
