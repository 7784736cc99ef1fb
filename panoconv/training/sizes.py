"""The training size must suit the architecture: height and width positive multiples of its card's
`size_multiple` (one clear line naming the option and a size that works, before any data is read)."""

from __future__ import annotations

from panoconv.arch import get_card
from panoconv.training.config import ConfigError


def check_train_size(arch: str, height: int, width: int) -> None:
    """Raise `ConfigError` unless `--height/--width` are positive multiples of the card's `size_multiple`."""
    m = get_card(arch).size_multiple
    if height <= 0 or width <= 0 or height % m or width % m:
        hint = f"{max(m, round(height / m) * m)}x{max(m, round(width / m) * m)}"
        raise ConfigError(f"--height/--width {height}x{width} do not suit {arch}: both must be positive "
                          f"multiples of {m} (e.g. {hint}); the data is resized to this size")
