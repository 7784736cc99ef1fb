"""`extract`: copy a checkpoint's variables into a raw-numpy weight store, with a manifest.

The output is built in a temporary sibling and renamed into place only when every tensor has been
written and CRC-verified, so a corrupt checkpoint or an interrupted run leaves nothing behind.
"""

from __future__ import annotations

import logging
import math
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import KW_ONLY, dataclass
from pathlib import Path
from typing import Literal

from panoconv import __version__
from panoconv.errors import CheckpointError
from panoconv.io.atomic import atomic_dir, atomic_path, check_can_write
from panoconv.io.overlap import argument_paths, check_not_input
from panoconv.progress import progress as progress_bar
from panoconv.readers import CheckpointReader, TensorInfo, is_optimizer_state, open_checkpoint
from panoconv.readers.locate import step_from_name
from panoconv.weights import _writers
from panoconv.weights.manifest import LeftOut, Manifest, SourceFile, file_sha256
from panoconv.weights.naming import file_names

log = logging.getLogger(__name__)

Format = Literal["folder", "npz", "h5"]
FORMATS: tuple[str, ...] = ("folder", "npz", "h5")


@dataclass(frozen=True)
class ExtractRequest:
    checkpoint: Path
    out: Path
    _: KW_ONLY
    format: Format = "folder"
    include_optimizer: bool = False
    force: bool = False


def _split(reader: CheckpointReader, include_optimizer: bool) -> tuple[list[TensorInfo], list[LeftOut]]:
    """Tensors to write, and the entries left out with the reason."""
    kept: list[TensorInfo] = []
    left = [LeftOut(name, reason) for name, reason in reader.skipped.items()]
    for info in reader.tensors():
        if is_optimizer_state(info.name) and not include_optimizer:
            left.append(LeftOut(info.name, "optimizer state or step counter (use --include-optimizer)"))
        else:
            kept.append(info)
    return kept, left


def _check_names(reader: CheckpointReader, tensors: list[TensorInfo]) -> dict[str, str]:
    """Validate every name before anything is written; the error names the checkpoint."""
    try:
        return file_names([info.name for info in tensors])
    except CheckpointError as err:
        raise type(err)(f"{reader.path}: {err}") from None


def _hash_sources(reader: CheckpointReader) -> list[SourceFile]:
    return [SourceFile(p.name, p.stat().st_size, file_sha256(p, chunk=1 << 20)) for p in reader.source_files]


def _write(writer, reader: CheckpointReader, tensors: list[TensorInfo], manifest: Manifest,
           progress: bool, source_files: Future) -> None:
    total = sum(i.dtype.itemsize * math.prod(i.shape) for i in tensors)
    with progress_bar(total=total, unit="B", unit_scale=True, unit_divisor=1024, enabled=progress,
                      desc="extract") as bar:
        try:
            for info in tensors:
                manifest.tensors.append(writer.add(info, reader.stream, bar.update))
            manifest.source_files = source_files.result()
            writer.finish(manifest)
        finally:
            writer.close()


def extract(req: ExtractRequest, progress: bool = True) -> Manifest:
    """Write the checkpoint's tensors to `req.out`; returns the manifest that was written with them."""
    if req.format not in FORMATS:
        raise CheckpointError(f"unknown store format {req.format!r}; choose one of {', '.join(FORMATS)}")
    out = Path(req.out)
    reader = open_checkpoint(req.checkpoint)
    check_not_input(out, argument_paths(req.checkpoint, [reader.path, *reader.source_files]))
    check_can_write(out, req.force)
    tensors, left_out = _split(reader, req.include_optimizer)
    names = _check_names(reader, tensors)
    # Hashing every source file costs as much as reading it; hashlib releases the GIL, so it runs on a
    # second thread while the tensors stream (one pass of wall time instead of two).
    hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="panoconv-hash")
    source_files = hasher.submit(_hash_sources, reader)
    hasher.shutdown(wait=False)
    step = reader.global_step
    if step is None:
        step = step_from_name(reader.path)
        if step is not None:
            log.info("%s: no step variable; global step %d taken from the name", reader.path, step)
    manifest = Manifest(
        layout=req.format, source=str(reader.path),
        source_files=[],
        global_step=step, panoconv_version=__version__,
        include_optimizer=req.include_optimizer, left_out=left_out,
    )
    log.info("%s: writing %d tensors to %s (%s), leaving out %d", reader.path, len(tensors), out,
             req.format, len(left_out))
    if req.format == "folder":
        with atomic_dir(out, force=req.force) as tmp:
            _write(_writers.FolderWriter(tmp, names), reader, tensors, manifest, progress, source_files)
    else:
        if out.is_dir():
            raise CheckpointError(f"{out}: is a folder; --format {req.format} writes a single file")
        writer_cls = _writers.NpzWriter if req.format == "npz" else _writers.H5Writer
        with atomic_path(out) as tmp:
            _write(writer_cls(tmp, names), reader, tensors, manifest, progress, source_files)
    return manifest
