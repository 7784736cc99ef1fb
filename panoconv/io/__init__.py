"""File I/O shared by every command: atomic writes, image loading, EXR depth, safe output names."""
