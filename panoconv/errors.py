"""Typed errors. `PanoconvError`s are user errors: the CLI prints their message on one line and exits 1."""


class PanoconvError(Exception):
    """A problem with the user's input (a file, a size, an option), not a bug in panoconv."""


class InputShapeError(PanoconvError, ValueError):
    """A tensor or image has a shape the network cannot take."""


class CheckpointError(PanoconvError):
    """A checkpoint or weight store is missing, unreadable, corrupt or of another network."""


class SnapshotError(PanoconvError):
    """A training snapshot (the resumable state of a run, `RUN/snapshots/step_*.pt`) is missing, damaged or
    does not fit the run. "Checkpoint" in panoconv always means a TensorFlow checkpoint."""


class WeightMappingError(PanoconvError):
    """Source tensors do not map one-to-one onto the model's parameters."""

    def __init__(self, message: str, missing=(), unexpected=(), mismatched=()):
        super().__init__(message)
        self.missing = list(missing)
        self.unexpected = list(unexpected)
        self.mismatched = list(mismatched)


class OutputExistsError(PanoconvError):
    """An output path already exists and `force` was not given."""


class NonFiniteError(PanoconvError, ValueError):
    """A tensor that must be finite (an input image, a disparity, a weight) holds NaN or inf."""


class OutputError(PanoconvError):
    """An output cannot be written: it would overwrite or delete an input, or the OS refused (full,
    read-only)."""
