"""Small synthetic data sets shared by the data tests (generated once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from panoconv.data.synth import SynthRequest, generate


def _make(tmp_path_factory, kind: str, **kw) -> Path:
    out = tmp_path_factory.mktemp(f"synth_{kind}") / "ds"
    return generate(SynthRequest(out=out, kind=kind, progress=False, **kw))


@pytest.fixture(scope="session")
def synth_rect(tmp_path_factory) -> Path:
    return _make(tmp_path_factory, "rectilinear", count=4, height=64, width=128)


@pytest.fixture(scope="session")
def synth_pano(tmp_path_factory) -> Path:
    return _make(tmp_path_factory, "panorama", count=3, height=64, width=128)
