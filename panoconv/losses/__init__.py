"""panoconv.losses."""
