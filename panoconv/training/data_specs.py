"""From `train`'s repeated data options to `DataSpec`s: list files, data roots, warps, fields of view.

Why a module: the CLI is only one caller. A researcher building a run in Python gives the same
`DataOptions` and gets the same specs, the same folder-to-list resolution and the same one-line errors.
Torch-free, so that option mistakes are answered before torch is imported.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from panoconv.errors import PanoconvError
from panoconv.training.config import DataSpec, TrainConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class DataOptions:
    """`--data` (repeatable) with `--data-root`, `--warp`, `--fov` given once for all or once per `--data`,
    and `--val-data` given once or once per `--data`. Lists may be files or data-set folders."""

    data: tuple[Path, ...]
    roots: tuple[Path, ...] = ()
    warps: tuple[str, ...] = ()
    fovs: tuple[float, ...] = ()
    val: tuple[Path, ...] = ()


def _per_data(name: str, values: tuple, count: int) -> list:
    """Broadcast a once-given option to every data set, or check it was given once per data set."""
    if not values:
        return [None] * count
    if len(values) == 1:
        return list(values) * count
    if len(values) != count:
        raise PanoconvError(f"--{name} given {len(values)} times for {count} --data lists; give it once or "
                            "once per --data")
    return list(values)


def synth_meta(root: Path) -> dict:
    """The meta.json of a `panoconv synth` folder ({} when there is none or it is unreadable)."""
    meta = root / "meta.json"
    if not meta.is_file():
        return {}
    try:
        raw = json.loads(meta.read_text())
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def warp_from_meta(root: Path) -> str | None:
    """The warp a `panoconv synth` folder was rendered for (its meta.json `kind`), if any."""
    from panoconv.data.stereo import KIND_TO_WARP

    return KIND_TO_WARP.get(synth_meta(root).get("kind"))


def fov_from_meta(root: Path) -> float | None:
    """The horizontal field of view a `panoconv synth` folder was rendered with (meta.json `fov_deg`)."""
    fov = synth_meta(root).get("fov_deg")
    return float(fov) if isinstance(fov, (int, float)) and not isinstance(fov, bool) else None


#: The list a data-set folder given as --data / --val-data stands for, by task (first one present).
_FOLDER_LISTS = {("stereo", True): ("train.txt",), ("stereo", False): ("val.txt",),
                 ("supervised", True): ("3d60_train.txt", "train.txt"),
                 ("supervised", False): ("3d60_val.txt", "val.txt")}


def data_list(path: Path, task: str, training: bool) -> Path:
    """--data LIST (a file), or a data-set folder such as `panoconv synth`'s: its train / val list."""
    option = "--data" if training else "--val-data"
    if path.is_file():
        return path
    if not path.exists():
        raise PanoconvError(f"{path}: no such file list ({option} takes a list file or a data-set folder)")
    names = _FOLDER_LISTS.get((task, training), ("train.txt",) if training else ("val.txt",))
    for name in names:
        if (path / name).is_file():
            log.info("%s %s: using %s", option, path, path / name)
            return path / name
    raise PanoconvError(f"{path}: is a folder without {' or '.join(names)}; give the list file, e.g. "
                        f"{option} {path / names[0]}")


def build_specs(task: str, options: DataOptions) -> tuple[tuple[DataSpec, ...], tuple[DataSpec, ...]]:
    """`DataSpec`s of the training and validation lists; a warp or field of view left out is taken from a
    synth folder's meta.json (a warp is required for the stereo task otherwise)."""
    data, roots, warps, fovs, val = options.data, options.roots, options.warps, options.fovs, options.val
    data = tuple(data_list(Path(d), task, True) for d in data)
    val = tuple(data_list(Path(v), task, False) for v in val)
    n = len(data)
    root_list = _per_data("data-root", roots, n)
    warp_list = _per_data("warp", warps, n)
    fov_list = _per_data("fov", fovs, n)
    specs = []
    for lst, root, warp, fov in zip(data, root_list, warp_list, fov_list):
        root_dir = Path(root) if root is not None else Path(lst).parent
        if fov is None:  # a synth folder's own field of view (e.g. 100-degree crops), not the warp's default
            fov = fov_from_meta(root_dir)
        if warp is None:
            warp = warp_from_meta(root_dir)
            if warp is None and task == "stereo":
                raise PanoconvError(f"{lst}: give --warp rectilinear|equirectangular|panorama (no synth "
                                    "meta.json to take it from)")
        specs.append(DataSpec(str(lst), None if root is None else str(root), warp or "rectilinear", fov))
    if val and len(val) not in (1, n):
        raise PanoconvError(f"--val-data given {len(val)} times for {n} --data lists; give it once or once "
                            "per --data")
    # validation list i shares root / warp / fov with training list i (or with the first one)
    twins = [specs[i] if len(val) == n else specs[0] for i in range(len(val))]
    val_specs = [DataSpec(str(v), t.root, t.warp, t.fov_deg) for v, t in zip(val, twins)]
    return tuple(specs), tuple(val_specs)


def check_size(config: TrainConfig) -> None:
    """--height/--width against the architecture, when it is known without reading weights."""
    from panoconv.arch import DEFAULT_ARCH
    from panoconv.training.sizes import check_train_size

    arch = config.arch or (DEFAULT_ARCH if config.task == "stereo" and not config.init else None)
    if arch is not None:
        check_train_size(arch, config.height, config.width)
