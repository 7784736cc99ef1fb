"""`predict(PredictRequest) -> list[PredictResult]`: depth prediction for many images, written to a folder.

Images are loaded one by one (bad files fail alone with `skip_bad`), prepared, run through the
network in batches (images of one camera type share a batch; the mirrored copies ride along) and
written as the requested outputs. Every output path is checked before any work so a run never stops
half-way because of an existing file.

A stereo card (`input_channels == 6`) predicts from left/right pairs: `PredictRequest.pairs`, or file
lists of `left right` lines among the inputs; outputs are named after the left image.

Every image also gets `<stem>_meta.json`: what each output holds (quantity, unit), the resampling, the
depth convention and its formula, baseline and sizes, so a file read later says what it is.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from panoconv.arch import ArchCard, card_of
from panoconv.errors import InputShapeError, OutputError, PanoconvError
from panoconv.inference import depth as depth_mod
from panoconv.inference.camera import CameraChoice, choose_camera
from panoconv.inference.depth import DEPTH_CONVENTIONS
from panoconv.inference.inputs import declared_cameras, gather_inputs, gather_pairs, output_stems
from panoconv.inference.interpret import (
    disparity_to_depth,
    interpretation_of,
    output_metadata,
    ply_comments,
    point_cloud,
)
from panoconv.inference.layout import PanoramaLayout, check_net_width
from panoconv.inference.outputs import DEFAULT_CMAP, SUFFIX, check_save_kinds, save_npy, save_png, write_ply
from panoconv.inference.pipeline import (
    Plan,
    check_pair,
    configure_model,
    finish,
    make_plan,
    network_input,
    run_network,
)
from panoconv.io.atomic import atomic_file, check_can_write
from panoconv.io.images import ImageReadError, load_rgb
from panoconv.io.overlap import check_not_input, resolved
from panoconv.runtime import check_precision, cudnn_benchmark, prepare_model, resolve_device

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PredictRequest:
    weights: Path
    inputs: tuple[Path, ...]
    out_dir: Path
    _: KW_ONLY
    pairs: tuple[tuple[Path, Path], ...] = ()  # stereo cards: explicit (left, right) pairs
    camera: str = "auto"  # rectilinear | equirectangular | auto
    save: tuple[str, ...] = ("disp", "png")
    postprocess: bool = False
    raw: bool = False
    batch_size: int = 4
    baseline: float | None = None  # default: depth.KITTI_BASELINE rectilinear, PANORAMA_BASELINE panorama
    focal: float | None = None  # rectilinear focal length (px) at the input width
    layout: PanoramaLayout = PanoramaLayout()
    arch: str | None = None
    cmap: str = DEFAULT_CMAP
    value_range: tuple[float, float] | None = None  # PNG colour range (None: per-image percentiles)
    colorbar: bool = False  # PNG: a colour bar with the range below the map
    skip_bad: bool = False
    force: bool = False
    progress: bool = True
    input_order: str | None = None  # override the channel order the weights record (rgb | bgr)
    precision: str = "fp32"  # fp32 | bf16 | fp16 (CUDA only): see panoconv.runtime
    device: str = "cpu"  # cpu | cuda[:N] | auto; where loaded weights go (a given `model` stays where it is)
    max_pixels: int | None = None  # refuse larger images from their header (None: DEFAULT_MAX_PIXELS)
    depth_convention: str = "geometric"  # panoramas: geometric | upstream (see inference.depth)
    model: nn.Module | None = field(default=None, compare=False)  # an already loaded model


@dataclass
class PredictResult:
    path: Path
    outputs: dict[str, Path] = field(default_factory=dict)
    camera: str | None = None
    camera_reason: str | None = None  # why auto mode chose `camera` (e.g. "XMP ProjectionType=...")
    note: str | None = None
    error: str | None = None
    meta: dict | None = None  # what `<stem>_meta.json` records

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class _Item:
    result: PredictResult
    stem: str
    image: np.ndarray
    right: np.ndarray | None
    plan: Plan


def check_request(req: PredictRequest) -> None:
    check_save_kinds(req.save)
    if req.batch_size < 1:
        raise PanoconvError(f"batch size must be at least 1, got {req.batch_size}")
    if req.baseline is not None and req.baseline <= 0:
        raise PanoconvError(f"baseline must be positive, got {req.baseline}")
    if req.depth_convention not in DEPTH_CONVENTIONS:
        raise PanoconvError(f"--depth-convention takes {' or '.join(DEPTH_CONVENTIONS)}, "
                            f"got {req.depth_convention}")


def planned_outputs(out_dir: Path, stem: str, save: Iterable[str]) -> dict[str, Path]:
    """Output paths by kind; the `_meta.json` sidecar is always written."""
    return {kind: out_dir / f"{stem}{SUFFIX[kind]}" for kind in (*save, "meta")}


def predict(req: PredictRequest) -> list[PredictResult]:
    """Run the request; returns one result per input (failed ones carry `error` when `skip_bad`)."""
    check_request(req)
    device = resolve_device(req.device) if req.model is None else next(req.model.parameters()).device
    check_precision(req.precision, device)
    model = req.model if req.model is not None else _load(req, device)
    card = card_of(model, req.arch)
    if not card.fixed_size:
        check_net_width(req.layout, card.size_multiple)
    if card.stereo:
        pairs = gather_pairs(list(req.inputs), list(req.pairs), card.name)
        paths, rights = [left for left, _ in pairs], [right for _, right in pairs]
    else:
        if req.pairs:
            raise PanoconvError(f"{card.name} takes single images; --pair is for stereo networks")
        paths = gather_inputs(list(req.inputs))
        rights = [None] * len(paths)
    paths, rights = _unique_inputs(paths, rights)
    stems, renamed = output_stems(paths)
    for note in renamed:
        log.warning("%s", note)
    declared = declared_cameras(list(req.inputs)) if req.camera == "auto" else {}
    _check_outputs(req, stems, [*paths, *(r for r in rights if r is not None)])
    results: list[PredictResult] = []
    pending: list[_Item] = []
    from panoconv.progress import progress

    with progress(total=len(paths), desc="predict", unit="img", enabled=req.progress) as bar, \
            cudnn_benchmark(device):
        for path, right, stem in zip(paths, rights, stems):
            item = _load_item(path, right, stem, req, card, declared.get(path))
            if isinstance(item, _Item):
                results.append(item.result)
                pending.append(item)
            else:
                results.append(item)
                bar.update(1)
            if len(pending) >= req.batch_size:
                _run_batch(model, card, pending, req)
                bar.update(len(pending))
                pending = []
        if pending:
            _run_batch(model, card, pending, req)
            bar.update(len(pending))
    return results


def _unique_inputs(paths: list[Path], rights: list[Path | None]) -> tuple[list[Path], list[Path | None]]:
    """Drop inputs given twice (same file, however spelled), saying so."""
    seen: set[tuple[Path, Path | None]] = set()
    kept_paths, kept_rights = [], []
    for path, right in zip(paths, rights):
        key = (resolved(path), None if right is None else resolved(right))
        if key in seen:
            log.warning("%s: given twice; predicted once", path)
            continue
        seen.add(key)
        kept_paths.append(path)
        kept_rights.append(right)
    return kept_paths, kept_rights


def _check_outputs(req: PredictRequest, stems: list[str], images: list[Path]) -> None:
    """Before any work: no output may replace an input (even with --force), nor an existing file without it.

    The output folder may hold the input images (outputs are written beside them under other names), but
    it may not be a folder given as input: the next run would take the outputs for inputs.
    """
    inputs = {resolved(p) for p in [*images, req.weights, *req.inputs] if not Path(p).is_dir()}
    for folder in (p for p in req.inputs if Path(p).is_dir()):
        check_not_input(req.out_dir, [folder], "output folder", relations=("is",))
    check_not_input(req.out_dir, list(inputs), "output folder", relations=("is", "lies inside"))
    for stem in stems:
        for path in planned_outputs(req.out_dir, stem, req.save).values():
            if resolved(path) in inputs:
                raise OutputError(f"{path}: this output would replace an input of the same name; choose "
                                  "another output folder (--force never replaces an input)")
            if not req.force:
                check_can_write(path, force=False)


def _load(req: PredictRequest, device: torch.device) -> nn.Module:
    from panoconv.weights import load_model

    model = load_model(req.weights, architecture=req.arch, input_order=req.input_order)
    return prepare_model(model, device)


def _load_item(path: Path, right_path: Path | None, stem: str, req: PredictRequest,
               card: ArchCard, declared: tuple[str, str] | None = None) -> _Item | PredictResult:
    result = PredictResult(path)
    try:
        loaded = load_rgb(path, req.max_pixels)
        right = load_rgb(right_path, req.max_pixels).pixels if right_path is not None else None
        check_pair(card, loaded.pixels, right, str(path))
        h, w = loaded.pixels.shape[:2]
        if req.layout.band and req.camera == "auto":  # a band is a panorama strip by definition
            choice = CameraChoice("equirectangular", "--band")
        else:
            choice = choose_camera(req.camera, path, h, w, declared=declared and declared[0],
                                   declared_by=declared and declared[1],
                                   panorama_only=card.name if card.fixed_size else None)
        plan = make_plan(h, w, choice.camera, card, req.layout)
    except (ImageReadError, InputShapeError) as err:
        return _failed(result, str(err), req)
    if loaded.note:
        log.info("%s: %s", path, loaded.note)
    if choice.warning:
        log.warning("%s", choice.warning)
    log.info("%s: %s (%s), network input %dx%d", path, plan.camera, choice.reason, plan.net_size[1],
             plan.net_size[0])
    result.note, result.camera, result.camera_reason = loaded.note, plan.camera, choice.reason
    return _Item(result, stem, loaded.pixels, right, plan)


def _failed(result: PredictResult, error: str, req: PredictRequest) -> PredictResult:
    """Raise the one-line error, or with `skip_bad` report it and mark the result failed."""
    message = error if error.startswith(str(result.path)) else f"{result.path}: {error}"
    if not req.skip_bad:
        raise PanoconvError(message) from None
    log.warning("skipped %s", message)
    result.error = message
    return result


def _run_batch(model: nn.Module, card: ArchCard, items: list[_Item], req: PredictRequest) -> None:
    """Run items in groups that share camera and network size (ring padding is per model call)."""
    dtype = next(model.parameters()).dtype
    groups: dict[tuple, list[_Item]] = {}
    for item in items:
        groups.setdefault((item.plan.camera, item.plan.net_size), []).append(item)
    for group in groups.values():
        plan0 = group[0].plan
        configure_model(model, card, plan0)
        flip = card.flip_average and (plan0.camera == "equirectangular" or req.postprocess)
        batch = torch.stack([network_input(card, it.image, it.right, it.plan, dtype) for it in group])
        if next(model.parameters()).is_cuda:
            batch = batch.pin_memory()  # lets run_network's copy to the GPU be asynchronous
        out = run_network(model, batch, card, flip, [it.plan.flip_edge_blend for it in group], req.precision)
        for it, net_out in zip(group, out):
            bad = int((~torch.isfinite(net_out)).sum())
            if bad:  # never written as if it were a result (the NaN outside a panorama's band comes later)
                _failed(it.result, f"the network output holds {bad} non-finite values (NaN or inf) of "
                        f"{net_out.numel()}: nothing written (check the weights and the input)", req)
                continue
            _save(it, finish(net_out, it.plan, req.raw).numpy(), card, req)


def _save(item: _Item, values: np.ndarray, card: ArchCard, req: PredictRequest) -> None:
    paths = planned_outputs(req.out_dir, item.stem, req.save)
    disp = values if card.output_kind == "disparity" else None
    depth = values if card.output_kind == "depth" else None
    it = interpretation_of(item.plan, baseline=req.baseline, focal=req.focal,
                           depth_convention=req.depth_convention)
    if depth is None and ("depth" in paths or "ply" in paths):
        depth = disparity_to_depth(disp, it)
    if "upstream-npy" in paths:
        if disp is None or item.plan.panorama is None:
            log.warning("%s: upstream-npy is upstream's panorama disparity array; not written for this %s",
                        item.result.path, "depth network" if disp is None else "rectilinear image")
        else:
            p = item.plan.panorama
            saved = depth_mod.upstream_saved(disp, p.width, p.net_width, it.baseline)
            save_npy(paths["upstream-npy"], saved)
    if "disp" in paths:
        if disp is None:
            log.warning("%s: %s predicts depth, no disparity to save", item.result.path, card.name)
        else:
            save_npy(paths["disp"], disp)
    if "depth" in paths:
        save_npy(paths["depth"], depth)
    if "png" in paths:
        if disp is not None:
            shown, quantity, units = disp, "disparity", "fraction of image width"
        else:
            shown, quantity, units = 1.0 / np.maximum(depth, 1e-6), "inverse depth", "1/m"
        scale = save_png(paths["png"], shown, req.cmap, value_range=req.value_range,
                         with_colorbar=req.colorbar, quantity=quantity, units=units)
        log.debug("%s: PNG colour range %s", item.result.path, scale.describe())
    if "ply" in paths:
        points, colors = point_cloud(depth, item.image, it, req.layout)
        write_ply(paths["ply"], points, colors, ply_comments(item.result.path, card, it))
    files = {kind: path.name for kind, path in paths.items() if kind != "meta"}
    item.result.meta = output_metadata(item.result.path, card, it, req.layout, output_shape=values.shape,
                                       files=files)
    with atomic_file(paths["meta"], "w") as f:
        f.write(json.dumps(item.result.meta, indent=2) + "\n")
    item.result.outputs = {k: p for k, p in paths.items() if p.exists()}
