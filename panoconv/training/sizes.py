"""The training size must suit the architecture: height and width positive multiples of its card's
`size_multiple` (one clear line naming the option and a size that works, before any data is read)."""

from __future__ import annotations

from panoconv.arch import get_card
from panoconv.guards import fits_multiple, suggest_size
from panoconv.training.config import ConfigError


def check_train_size(arch: str, height: int, width: int) -> None:
    """Raise `ConfigError` unless `--height/--width` are positive multiples of the card's `size_multiple`."""
    m = get_card(arch).size_multiple
    if not fits_multiple(height, width, m):
        hint = suggest_size(height, width, m)
        raise ConfigError(f"--height/--width {height}x{width} do not suit {arch}: both must be positive "
                          f"multiples of {m} (e.g. {hint}); the data is resized to this size")
