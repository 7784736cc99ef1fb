"""Procedural synthetic stereo data (rectilinear, equirect crops, 3D60-style panoramas) with exact depth.

    from panoconv.data.synth import SynthRequest, generate
    root = generate(SynthRequest(out=Path("synth"), kind="panorama", count=20))
"""

from panoconv.data.synth.generate import generate
from panoconv.data.synth.request import KINDS, SynthRequest

__all__ = ["KINDS", "SynthRequest", "generate"]
