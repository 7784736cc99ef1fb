"""One module per CLI command; each exposes `command` (a click command) and holds no logic of its own."""
