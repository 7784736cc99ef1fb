"""StereoListDataset: shapes, resize, reproducible augmentation per (seed, epoch, index), bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from panoconv.data.resize import resize_area
from panoconv.data.stereo import StereoDataError, StereoListDataset, collate_skip_none
from panoconv.errors import PanoconvError
from panoconv.io.images import ImageReadError


def _save(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)


@pytest.fixture
def root(tmp_path: Path, rng) -> Path:
    for i in range(4):
        _save(tmp_path / f"l{i}.png", rng.integers(0, 256, (20, 40, 3), dtype=np.uint8))
        _save(tmp_path / f"r{i}.png", rng.integers(0, 256, (20, 40, 3), dtype=np.uint8))
    (tmp_path / "list.txt").write_text("".join(f"l{i}.png r{i}.png\n" for i in range(4)))
    return tmp_path


def test_sample_shapes_types_and_resize(root: Path) -> None:
    ds = StereoListDataset(root / "list.txt", root, height=8, width=16)
    s = ds[2]
    assert s["left"].shape == (3, 8, 16) and s["right"].shape == (3, 8, 16) and s["index"] == 2
    assert s["left"].dtype == torch.float32 and s["left"].min() >= 0 and s["left"].max() <= 1
    src = np.asarray(Image.open(root / "l2.png"), np.float32) / 255
    np.testing.assert_allclose(s["left"].numpy().transpose(1, 2, 0), resize_area(src, 8, 16), atol=1e-6)
    assert len(ds) == 4 and ds.warp == "rectilinear" and ds.fov_deg == 82.5


def test_warp_and_fov_attributes() -> None:
    with pytest.raises(PanoconvError, match="unknown warp"):
        StereoListDataset("x", ".", warp="fisheye")


def test_augmentation_reproducible_per_seed_epoch_index(root: Path) -> None:
    a = StereoListDataset(root / "list.txt", root, 8, 16, augment=True, seed=3)
    b = StereoListDataset(root / "list.txt", root, 8, 16, augment=True, seed=3)  # e.g. a resumed run
    a.set_epoch(5)
    b.set_epoch(5)
    for i in (3, 0, 2):
        torch.testing.assert_close(a[i]["left"], b[i]["left"], rtol=0, atol=0)
        torch.testing.assert_close(a[i]["right"], b[i]["right"], rtol=0, atol=0)
    outs = []
    for epoch in range(6):
        a.set_epoch(epoch)
        outs.append(a[1]["left"])
    assert any(not torch.equal(outs[0], o) for o in outs[1:])


def test_mismatched_sizes_name_the_line(root: Path, rng) -> None:
    _save(root / "r1.png", rng.integers(0, 256, (21, 40, 3), dtype=np.uint8))
    ds = StereoListDataset(root / "list.txt", root, 8, 16)
    with pytest.raises(StereoDataError, match=r"list.txt:2: left 40x20 and right 40x21"):
        ds[1]


def test_unreadable_image_raises_or_is_skipped(root: Path) -> None:
    (root / "l2.png").write_bytes(b"not a png")
    with pytest.raises(ImageReadError, match=r"list.txt:3: .*l2.png"):
        StereoListDataset(root / "list.txt", root, 8, 16)[2]
    ds = StereoListDataset(root / "list.txt", root, 8, 16, skip_bad=True)
    assert ds[2] is None
    batches = list(DataLoader(ds, batch_size=4, collate_fn=collate_skip_none))
    assert batches[0]["left"].shape == (3, 3, 8, 16)
    assert batches[0]["index"].tolist() == [0, 1, 3]
    assert collate_skip_none([None, None]) is None


def test_from_synth_reads_warp_and_fov(synth_pano: Path, synth_rect: Path) -> None:
    pano = StereoListDataset.from_synth(synth_pano, "train", height=32, width=64)
    assert pano.warp == "panorama" and pano.fov_deg == 360.0
    assert pano[0]["left"].shape == (3, 32, 64)
    rect = StereoListDataset.from_synth(synth_rect, "val", height=32, width=64)
    assert rect.warp == "rectilinear" and rect.fov_deg == 82.5 and len(rect) == 1


def test_dataset_flip_swaps_and_mirrors_the_unaugmented_pair(root: Path) -> None:
    from panoconv.data.augment import draw_params, sample_rng

    plain = StereoListDataset(root / "list.txt", root, 8, 16)
    aug = StereoListDataset(root / "list.txt", root, 8, 16, augment=True, seed=1)
    found = 0
    for epoch in range(12):
        aug.set_epoch(epoch)
        for i in range(len(aug)):
            p = draw_params(sample_rng(1, epoch, i))
            if p.flip and not p.colour:
                torch.testing.assert_close(aug[i]["left"], plain[i]["right"].flip(-1), rtol=0, atol=0)
                torch.testing.assert_close(aug[i]["right"], plain[i]["left"].flip(-1), rtol=0, atol=0)
                found += 1
    assert found > 0
