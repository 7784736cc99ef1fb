"""Images from anywhere: FIFOs and devices refused without blocking, sizes checked from the header
(a 50000 x 50000 PNG header refused at once with bounded memory), truncated data refused, EXIF
orientation applied; a seeded fuzz run over mutated images of five formats."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from panoconv.cli import main
from panoconv.io.images import ImageReadError, image_size, load_rgb
from tests.io._image_mutants import base_images, build_png, mutants, png_chunks, png_header

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def alarm():
    """Fail instead of hanging: anything that blocks for 10 s is interrupted."""
    def ring(*_):
        raise TimeoutError("blocked")
    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def test_fifo_is_refused_without_blocking(tmp_path, alarm):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    start = time.perf_counter()
    with pytest.raises(ImageReadError, match=r"pipe.png: is a FIFO \(named pipe\), not an image file"):
        load_rgb(fifo)
    assert time.perf_counter() - start < 2


def test_devices_and_folders_are_refused(tmp_path, alarm):
    with pytest.raises(ImageReadError, match="is a character device, not an image file"):
        load_rgb("/dev/zero")
    with pytest.raises(ImageReadError, match="is a folder, not an image file"):
        load_rgb(tmp_path)
    with pytest.raises(ImageReadError, match="no such file"):
        load_rgb(tmp_path / "missing.png")


def test_max_pixels_from_the_header(tmp_path):
    path = tmp_path / "a.png"
    Image.fromarray(np.zeros((100, 200, 3), np.uint8)).save(path)
    assert image_size(path, 20000) == (200, 100)
    assert load_rgb(path, 20000).pixels.shape == (100, 200, 3)
    with pytest.raises(ImageReadError, match=r"a.png: 200x100 image \(0.02 MP\) is larger than --max-pixels "
                                             r"0.019999 MP"):
        load_rgb(path, 19999)


_BOUNDED = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GiB: decoding 50000^2 RGB needs 7.5 GB
from panoconv.io.images import ImageReadError, load_rgb
start = time.perf_counter()
try:
    load_rgb(sys.argv[1], int(sys.argv[2]))
    print("LOADED")
except ImageReadError as err:
    print(f"REFUSED {time.perf_counter() - start:.3f} {err}")
"""


@pytest.mark.parametrize("limit", [100_000_000, 3_000_000_000])
def test_50000_square_png_header_is_refused_quickly_in_bounded_memory(tmp_path, limit):
    """At the default limit it is refused from the header; even allowed, PIL's decoder never gets the
    memory (1 GiB address-space cap) and the short pixel data is refused as truncated."""
    path = tmp_path / "huge.png"
    path.write_bytes(png_header(50000, 50000))
    assert path.stat().st_size < 200
    proc = subprocess.run([sys.executable, "-c", _BOUNDED, str(path), str(limit)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0 and proc.stdout.startswith("REFUSED"), proc.stdout + proc.stderr
    seconds = float(proc.stdout.split()[1])
    assert seconds < 1.0
    if limit == 100_000_000:
        assert "50000x50000 image (2500 MP) is larger than --max-pixels 100 MP" in proc.stdout


def test_short_idat_and_truncated_files_are_refused(tmp_path):
    data = base_images(np.random.default_rng(0))["PNG"]
    chunks = png_chunks(data)
    short = [(k, b[:len(b) // 2] if k == b"IDAT" else b) for k, b in chunks]  # CRCs recomputed: valid chunks
    (tmp_path / "short.png").write_bytes(build_png(short))
    with pytest.raises(ImageReadError, match=r"short.png: truncated or damaged pixel data"):
        load_rgb(tmp_path / "short.png")
    jpeg = base_images(np.random.default_rng(0))["JPEG"]
    (tmp_path / "cut.jpg").write_bytes(jpeg[:len(jpeg) // 2])
    with pytest.raises(ImageReadError, match=r"cut.jpg: truncated or damaged pixel data"):
        load_rgb(tmp_path / "cut.jpg")


@pytest.mark.parametrize("orientation, turn", [(3, lambda a: np.rot90(a, 2)), (6, lambda a: np.rot90(a, -1)),
                                               (8, lambda a: np.rot90(a, 1)), (2, lambda a: a[:, ::-1])])
def test_exif_orientation_is_applied_and_noted(tmp_path, orientation, turn):
    pixels = np.arange(6 * 10 * 3, dtype=np.uint8).reshape(6, 10, 3)
    img = Image.fromarray(pixels)
    exif = img.getexif()
    exif[0x0112] = orientation
    img.save(tmp_path / "photo.png", exif=exif)
    loaded = load_rgb(tmp_path / "photo.png")
    np.testing.assert_array_equal(np.rint(loaded.pixels * 255).astype(np.uint8), turn(pixels))
    assert loaded.note == f"EXIF orientation {orientation} applied"


def test_predict_max_pixels_option_is_one_line(tmp_path):
    import torch

    from panoconv.pt_model import create_model

    weights = tmp_path / "m.pt"
    torch.save(create_model("monodepth-vgg").state_dict(), weights)
    Image.fromarray(np.zeros((64, 128, 3), np.uint8)).save(tmp_path / "x.png")
    result = CliRunner().invoke(main, ["predict", "-w", str(weights), str(tmp_path / "x.png"), "-o",
                                       str(tmp_path / "o"), "--max-pixels", "1000"])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and "is larger than --max-pixels 0.001 MP" in lines[0]
    assert not (tmp_path / "o").exists()


# --- fuzz ----------------------------------------------------------------------------------------
FUZZ_CASES = int(os.environ.get("PANOCONV_FUZZ_IMAGES", "600"))  # opt-in long run: e.g. 5000
FUZZ_MAX_PIXELS = 4_000_000
CASE_SECONDS = 5.0


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_fuzz_mutated_images_library(tmp_path):
    """Every mutant loads as finite pixels in [0, 1] within the limit, or is one ImageReadError line."""
    rss_before = _peak_rss_mib()
    outcomes = {"loaded": 0, "refused": 0}
    for name, data in mutants(FUZZ_CASES, seed=12):
        path = tmp_path / name
        path.write_bytes(data)
        start = time.perf_counter()
        try:
            loaded = load_rgb(path, FUZZ_MAX_PIXELS)
        except ImageReadError as err:
            assert "\n" not in str(err) and str(err).startswith(str(path)), (name, str(err))
            outcomes["refused"] += 1
        else:
            h, w, c = loaded.pixels.shape
            assert c == 3 and h * w <= FUZZ_MAX_PIXELS and loaded.pixels.dtype == np.float32, name
            assert np.isfinite(loaded.pixels).all() and 0 <= loaded.pixels.min() <= loaded.pixels.max() <= 1
            outcomes["loaded"] += 1
        assert time.perf_counter() - start < CASE_SECONDS, name
        path.unlink()
    # 4 MP of float32 RGB is 48 MiB; decoding may hold a few copies
    assert _peak_rss_mib() - rss_before < 400, outcomes
    assert outcomes["refused"] > FUZZ_CASES // 4 and outcomes["loaded"] > 0, outcomes


def test_fuzz_mutated_images_through_the_cli(tmp_path):
    """A subset through `reproject` (the lightest image-reading command): exit 0 or 1, one stderr line,
    no traceback, nothing left but complete outputs."""
    good = tmp_path / "good.png"
    Image.fromarray(np.zeros((24, 40, 3), np.uint8)).save(good)
    runner = CliRunner()
    count = max(FUZZ_CASES // 5, 100)
    codes = {0: 0, 1: 0}
    for i, (name, data) in enumerate(mutants(count, seed=34)):
        case = tmp_path / f"c{i}"
        case.mkdir()
        (case / name).write_bytes(data)
        (case / "good.png").write_bytes(good.read_bytes())
        (case / "list.txt").write_text(f"{name} good.png\n")
        result = runner.invoke(main, ["reproject", str(case / "list.txt"), "--data-root", str(case), "-o",
                                      str(case / "out"), "--focal", "30", "--max-pixels",
                                      str(FUZZ_MAX_PIXELS)])
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.exit_code in (0, 1), (name, result.exit_code, result.stderr, result.exception)
        assert ("Traceback" not in result.stderr and result.exception is None) or result.exit_code == 1, name
        if result.exit_code == 1:
            assert len(lines) == 1 and lines[0].startswith("Error: "), (name, result.stderr)
            assert not (case / "out").exists(), name
        else:
            assert (case / "out" / "meta.json").is_file(), name
        assert sorted(p.name for p in case.iterdir() if p.name.startswith(".")) == [], name
        codes[result.exit_code] += 1
    assert codes[1] > 0 and codes[0] > 0, codes


def test_mutant_corpus_is_reproducible():
    a = [d for _, d in mutants(20, seed=5)]
    b = [d for _, d in mutants(20, seed=5)]
    assert a == b and len(set(a)) == 20
