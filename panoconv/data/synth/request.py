"""`SynthRequest`: everything that determines a synthetic data set (same request -> same bytes)."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, replace
from pathlib import Path

from panoconv.data.synth.textures import FAMILIES
from panoconv.errors import PanoconvError
from panoconv.geometry.constants import KITTI_BASELINE_M, KITTI_FOV_DEG, PANORAMA_FOV_DEG, THREED60_BASELINE_M

KINDS = ("rectilinear", "equirect", "panorama")
#: stereo baseline defaults in metres: KITTI's for the street kinds, 3D60's for panoramas
DEFAULT_BASELINE = {"rectilinear": KITTI_BASELINE_M, "equirect": KITTI_BASELINE_M,
                    "panorama": THREED60_BASELINE_M}
DEFAULT_FOV = {"rectilinear": KITTI_FOV_DEG, "equirect": KITTI_FOV_DEG, "panorama": PANORAMA_FOV_DEG}
GENERATOR_VERSION = "panoconv-synth/1"


@dataclass(frozen=True)
class SynthRequest:
    out: Path
    _: KW_ONLY
    kind: str = "rectilinear"
    count: int = 20
    height: int = 256
    width: int = 512
    seed: int = 0
    baseline: float | None = None  # metres; None -> DEFAULT_BASELINE[kind]
    fov_deg: float | None = None  # horizontal; None -> DEFAULT_FOV[kind]; panorama is always 360
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    force: bool = False
    progress: bool = True
    textures: str = "mixed"  # texture family (textures.FAMILIES): same seed, same scenes, other surfaces

    def resolved(self) -> SynthRequest:
        """Validate and fill the kind-dependent defaults; raises PanoconvError on bad input."""
        if self.kind not in KINDS:
            raise PanoconvError(f"unknown kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.textures not in FAMILIES:
            raise PanoconvError(f"unknown texture family {self.textures!r}; expected one "
                                f"of {', '.join(FAMILIES)}")
        if self.count < 1:
            raise PanoconvError(f"--count must be at least 1, got {self.count}")
        if self.height < 8 or self.width < 8:
            raise PanoconvError(f"image size must be at least 8x8, got {self.width}x{self.height}")
        baseline = DEFAULT_BASELINE[self.kind] if self.baseline is None else float(self.baseline)
        if not 0.0 < baseline < 5.0:
            raise PanoconvError(f"--baseline must be in (0, 5) metres, got {baseline}")
        fov = DEFAULT_FOV[self.kind] if self.fov_deg is None else float(self.fov_deg)
        if self.kind == "panorama" and fov != 360.0:
            raise PanoconvError("--fov does not apply to panoramas (always 360 degrees)")
        if self.kind == "panorama" and self.width != 2 * self.height:
            raise PanoconvError(f"a 360x180 panorama needs width = 2 x height, "
                                f"got {self.width}x{self.height}")
        if self.kind == "rectilinear" and not 1.0 <= fov < 179.0:
            raise PanoconvError(f"--fov must be in [1, 179) for rectilinear images, got {fov}")
        if self.kind == "equirect" and not 1.0 <= fov < 180.0:
            raise PanoconvError(f"--fov must be in [1, 180) for equirect crops, got {fov}")
        if self.kind == "equirect" and self.height / self.width * fov >= 180.0:
            raise PanoconvError(f"{self.width}x{self.height} at fov {fov} spans more than 180 degrees "
                                "vertically")
        if not (0 <= self.val_fraction < 1 and 0 <= self.test_fraction < 1
                and self.val_fraction + self.test_fraction < 1):
            raise PanoconvError("split fractions must be in [0, 1) and sum to less than 1")
        return replace(self, out=Path(self.out), count=int(self.count), height=int(self.height),
                       width=int(self.width), seed=int(self.seed), baseline=baseline, fov_deg=fov)

    def split_sizes(self) -> dict[str, int]:
        """train / val / test sizes; val and test get at least one scene once count >= 3."""
        n = self.count
        n_val = max(1, round(n * self.val_fraction)) if n >= 3 and self.val_fraction > 0 else 0
        n_test = max(1, round(n * self.test_fraction)) if n >= 3 and self.test_fraction > 0 else 0
        return {"train": n - n_val - n_test, "val": n_val, "test": n_test}
