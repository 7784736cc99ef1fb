"""PyTorch checkpoints saved by other projects (`.pth` / `.pt`), read without unpickling code.

Accepted containers, always through `torch.load(weights_only=True)` (a pickle that would build any
object other than tensors and plain containers is refused, naming what it asked for):
- a bare `state_dict()`;
- `{"state_dict": ...}` (OmniDepth-PyTorch's published `rectnet.pth` is `{"epoch", "state_dict"}`; its
  trainer saves `{"epoch", "experiment", "state_dict", "optimizer", "loss_meter", "best_d1_inlier"}`);
- `{"model": ...}` / `{"model_state_dict": ...}` (panoconv's training snapshots, other trainers'
  checkpoints).
`module.` (DataParallel / DDP) and `_orig_mod.` (torch.compile) prefixes are stripped.

`map_to_card(checkpoint, card)` renames the keys onto the card's PyTorch model strictly: the state dict
must be the card's own naming or exactly one of its key maps (`card.extra["pytorch_key_maps"]`,
`panoconv.arch._pytorch_keys`), every key used once, every shape equal. Otherwise one line says which
naming came closest and what is missing, unexpected or mismatched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from panoconv.errors import CheckpointError, WeightMappingError

CONTAINER_KEYS = ("state_dict", "model", "model_state_dict")
WRAPPER_PREFIXES = ("module.", "_orig_mod.")
PYTORCH_SUFFIXES = (".pth", ".pt")


@dataclass(frozen=True)
class PyTorchCheckpoint:
    """A state dict read from a `.pth`, with what wrapped it (for reports and metadata)."""

    path: Path
    state: dict[str, torch.Tensor]
    container: str  # "state dict", "{'state_dict'}", ...
    epoch: int | None = None
    stripped_prefixes: tuple[str, ...] = ()
    other_keys: tuple[str, ...] = ()  # what else the container held (optimizer, epoch, ...), not read


def _refusal(path: Path, err: Exception) -> CheckpointError:
    """One line for a weights_only refusal (torch's own message spans many lines)."""
    text = str(err)
    found = re.search(r"(?:Unsupported global|GLOBAL)\W+(?:GLOBAL\s+)?([\w.]+(?:\s*\.\s*[\w]+)*)", text)
    what = f" (it asks for {found.group(1)})" if found else ""
    return CheckpointError(f"{path}: refused: the pickle holds Python objects other than tensors and plain "
                           f"containers{what}; panoconv reads weights only (torch.load weights_only=True)")


def strip_wrappers(key: str) -> tuple[str, set[str]]:
    """`module._orig_mod.x` -> (`x`, the prefixes removed): DataParallel / DDP and torch.compile wrappers."""
    seen: set[str] = set()
    changed = True
    while changed:
        changed = False
        for prefix in WRAPPER_PREFIXES:
            if key.startswith(prefix):
                key, changed = key[len(prefix):], True
                seen.add(prefix)
    return key, seen


def read_pytorch_checkpoint(path: Path | str) -> PyTorchCheckpoint:
    """The state dict of a `.pth` / `.pt` file in any accepted container; `CheckpointError` otherwise."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such weights file")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    # UnpicklingError for code, RuntimeError / EOFError / zip errors for damage
    except Exception as err:  # noqa: BLE001
        if "weights_only" in str(err) or "Unsupported global" in str(err):
            raise _refusal(path, err) from None
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({type(err).__name__}: "
                              f"{first})") from None
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"{path}: holds a {type(obj).__name__}, not a state dict or a checkpoint dict")
    container, epoch, others = "state dict", None, ()
    key = next((k for k in CONTAINER_KEYS if isinstance(obj.get(k), Mapping)), None)
    if key is not None:
        container = f"{{'{key}', ...}}" if len(obj) > 1 else f"{{'{key}'}}"
        epoch = obj.get("epoch") if isinstance(obj.get("epoch"), int) else None
        others = tuple(sorted(str(k) for k in obj if k != key))
        obj = obj[key]
    state: dict[str, torch.Tensor] = {}
    stripped: set[str] = set()
    for k, v in obj.items():
        if not isinstance(k, str) or not isinstance(v, torch.Tensor):
            raise CheckpointError(f"{path}: {container} entry {k!r} is a {type(v).__name__}, not a tensor; "
                                  "not a state dict of weights")
        name, seen = strip_wrappers(k)
        if name in state:
            raise CheckpointError(f"{path}: key {name!r} appears twice (with and without a wrapper prefix)")
        stripped |= seen
        state[name] = v
    if not state:
        raise CheckpointError(f"{path}: the {container} holds no tensors")
    return PyTorchCheckpoint(path, state, container, epoch, tuple(sorted(stripped)), others)


@dataclass
class PyTorchMapping:
    """What `map_to_card` did: which naming matched and the renamed state (panoconv keys)."""

    state: dict[str, torch.Tensor]
    naming: str  # "panoconv" or the key map's source, e.g. "omnidepth-pytorch"
    input_order: str = "rgb"
    input_scale: float = 1.0
    renamed: int = 0
    problems: list[str] = field(default_factory=list)


def _namings(card: Any) -> list[tuple[str, dict[str, str], str, float]]:
    """(naming, source key -> panoconv key, input order, input scale) for the card's own and foreign keys."""
    own = {k: k for k in card.torch_shapes()}
    out = [("panoconv", own, "rgb", 1.0)]
    for keymap in card.extra.get("pytorch_key_maps", ()):
        out.append((keymap.source, keymap.key_pairs(), keymap.input_order, keymap.input_scale))
    return out


def _diff(keys: set[str], pairs: Mapping[str, str]) -> tuple[list[str], list[str]]:
    return sorted(set(pairs) - keys), sorted(keys - set(pairs))


def _listing(label: str, items: Sequence[object]) -> str:
    shown = ", ".join(str(x) for x in items[:4])
    return f"{len(items)} {label}: {shown}" + (", ..." if len(items) > 4 else "")


def map_to_card(ckpt: PyTorchCheckpoint, card: Any) -> PyTorchMapping:
    """Rename `ckpt.state` onto `card`'s model (own naming or one of its key maps), strictly."""
    keys = set(ckpt.state)
    namings = _namings(card)
    shapes = card.torch_shapes()
    best = max(namings, key=lambda n: len(keys & set(n[1])))
    naming, pairs, order, scale = best
    missing, unexpected = _diff(keys, pairs)
    if missing or unexpected:
        parts = [_listing(label, items) for label, items in (("missing", missing), ("unexpected", unexpected))
                 if items]
        raise WeightMappingError(f"{ckpt.path}: not a {card.name} checkpoint (closest naming: {naming}, "
                                 f"{len(keys & set(pairs))} of {len(pairs)} keys): {'; '.join(parts)}",
                                 missing, unexpected)
    state = {pairs[k]: v for k, v in ckpt.state.items()}
    mismatched = [(k, tuple(shapes[k]), tuple(v.shape)) for k, v in state.items()
                  if tuple(v.shape) != tuple(shapes[k])]
    if mismatched:
        shown = ", ".join(f"{k} {want} vs {got}" for k, want, got in mismatched[:3])
        raise WeightMappingError(f"{ckpt.path}: {len(mismatched)} tensors of another shape than "
                                 f"{card.name}'s: {shown}", mismatched=mismatched)
    nonfinite = [k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if nonfinite:
        raise WeightMappingError(f"{ckpt.path}: non-finite values in {_listing('tensors', nonfinite)}")
    renamed = sum(1 for k in ckpt.state if pairs[k] != k)
    return PyTorchMapping(state, naming, order, scale, renamed)


def match_key_maps(path: Path | str, state: Mapping[str, torch.Tensor],
                   architecture: str | None = None) -> tuple[Any, PyTorchMapping] | None:
    """The card and renamed state if `state` is exactly a third-party naming of a card, else None.

    With `architecture`: a state dict that is another card's third-party naming is refused in one line
    naming that card; one closer to the card's third-party naming than to its own is refused saying what
    is missing and unexpected under that naming. Otherwise None: the caller checks the card's own naming.
    """
    from panoconv.arch import all_cards, get_card

    keys = set(state)
    ckpt = PyTorchCheckpoint(Path(path), dict(state), "state dict")
    exact = [(card, keymap) for card in all_cards() for keymap in card.extra.get("pytorch_key_maps", ())
             if keys == set(keymap.key_pairs())]
    if architecture is None:
        return (exact[0][0], map_to_card(ckpt, exact[0][0])) if exact else None
    card = get_card(architecture)
    if any(other.name == card.name for other, _ in exact):
        return card, map_to_card(ckpt, card)
    if exact:
        other, keymap = exact[0]
        raise WeightMappingError(f"{path}: a {other.name} checkpoint ({keymap.source} naming), not "
                                 f"{card.name}; pass --arch {other.name}")
    maps = card.extra.get("pytorch_key_maps", ())
    if maps and max(len(keys & set(m.key_pairs())) for m in maps) > len(keys & set(card.torch_shapes())):
        map_to_card(ckpt, card)  # raises, naming what is missing / unexpected under the closest naming
    return None
