"""Per-scan acquisition set-up: what was scanned, by which scanner, at which pixel pitch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np

from catalog.synth._physics import Beam

T = TypeVar("T")
Kind = Literal["cargo", "parcel"]
KINDS: tuple[Kind, ...] = ("cargo", "parcel")

# Image size bounds (pixels, width x height) and pitch bounds (mm) per kind.
CARGO_WIDTH, CARGO_HEIGHT, CARGO_PITCH = (2400, 4100), (520, 860), (3.0, 5.0)
PARCEL_WIDTH, PARCEL_HEIGHT, PARCEL_PITCH = (600, 1200), (400, 900), (0.8, 1.5)

CAB_MM = 5800  # tractor unit plus the gap to the trailer
END_MARGIN_MM, TOP_MARGIN_MM = 300, 150


@dataclass(frozen=True)
class Scanner:
    manufacturer: str
    model: str
    kv: tuple[int, int]  # (high, low)
    hardness: float  # relative attenuation of its beam (harder beam: lower)


@dataclass(frozen=True)
class Container:
    code: str  # ISO 6346 size-and-type code
    length_mm: int
    height_mm: int
    reefer: bool


# Fictional vendors. Linac energies in kV as the sidecar wants them (6 MV = 6000).
CARGO_SCANNERS = (
    Scanner("Acme Imaging", "LX-6", (6000, 4000), 1.0),
    Scanner("Borealis Scanning Systems", "Portal 9M", (9000, 6000), 0.85),
    Scanner("Meridian Inspection", "MX-6 Mobile", (6000, 4000), 1.0),
)
PARCEL_SCANNERS = (
    Scanner("Acme Imaging", "PX-160", (160, 80), 1.0),
    Scanner("Halvorsen Detection", "HD-1080DV", (160, 80), 1.0),
    Scanner("Kestrel Screening", "K-160 Dual", (160, 80), 1.0),
)
# "45" is 40 ft long and 9'6" high (high cube); "42" 40 ft x 8'6"; "22" 20 ft x 8'6".
CONTAINERS = (
    (Container("22G1", 6058, 2591, False), 0.2),
    (Container("42G1", 12192, 2591, False), 0.3),
    (Container("45G1", 12192, 2896, False), 0.3),
    (Container("45R1", 12192, 2896, True), 0.15),
    (Container("42R1", 12192, 2591, True), 0.05),
)


@dataclass(frozen=True)
class Region:
    """Pixel box objects may occupy; `bottom` is the floor they stand on."""

    top: int
    bottom: int
    left: int
    right: int


@dataclass(frozen=True)
class Setup:
    kind: Kind
    conveyance: str
    container: Container | None
    with_cab: bool  # the tractor unit is in the image (road vehicle scanned whole)
    scanner: Scanner
    spacing: tuple[float, float]  # (x, y) mm per pixel
    width: int
    height: int

    def px_x(self, mm: float) -> int:
        return max(1, round(mm / self.spacing[0]))

    def px_y(self, mm: float) -> int:
        return max(1, round(mm / self.spacing[1]))

    @property
    def beam(self) -> Beam:
        if self.kind == "cargo":  # few photons per count at MV energies: noisier
            return Beam("linac", self.scanner.hardness, 60000.0, 6.0, 10.0, 0.004)
        return Beam("tube", self.scanner.hardness, 60000.0, 2.0, 6.0, 0.001)


def choose_setup(kind: Kind, rng: np.random.Generator) -> Setup:
    return _cargo(rng) if kind == "cargo" else _parcel(rng)


def _pick(rng: np.random.Generator, options: tuple[T, ...]) -> T:
    return options[int(rng.integers(len(options)))]


def _pitch(
    rng: np.random.Generator, extent_mm: float, pixels: tuple[int, int]
) -> tuple[float, int]:
    """A pitch within CARGO_PITCH that maps extent_mm onto a pixel count within `pixels`."""
    lo = max(CARGO_PITCH[0], extent_mm / pixels[1])
    hi = min(CARGO_PITCH[1], extent_mm / pixels[0])
    pitch = round(float(rng.uniform(lo, hi)), 2)
    return pitch, int(np.clip(round(extent_mm / pitch), *pixels))


def _cargo(rng: np.random.Generator) -> Setup:
    weights = np.array([w for _, w in CONTAINERS])
    box = CONTAINERS[int(rng.choice(len(CONTAINERS), p=weights / weights.sum()))][0]
    # A 20 ft box alone is too short for a 2400-pixel-wide image: it comes on a truck, cab and all.
    # Sea containers are scanned in cab-avoidance mode, so their images show the box only.
    with_cab = box.length_mm < 10000 or rng.random() < 0.2
    length = box.length_mm + 2 * END_MARGIN_MM + (CAB_MM if with_cab else 0)
    sx, width = _pitch(rng, length, CARGO_WIDTH)
    sy, height = _pitch(rng, box.height_mm + 2 * TOP_MARGIN_MM, CARGO_HEIGHT)
    conveyance = "road-vehicle" if with_cab else "sea-container"
    scanner = _pick(rng, CARGO_SCANNERS)
    return Setup("cargo", conveyance, box, with_cab, scanner, (sx, sy), width, height)


def _parcel(rng: np.random.Generator) -> Setup:
    conveyance = "post" if rng.random() < 0.3 else "parcel"
    pitch = round(float(rng.uniform(*PARCEL_PITCH)), 2)
    width = int(rng.integers(PARCEL_WIDTH[0], PARCEL_WIDTH[1] + 1))
    height = int(rng.integers(PARCEL_HEIGHT[0], PARCEL_HEIGHT[1] + 1))
    scanner = _pick(rng, PARCEL_SCANNERS)
    return Setup("parcel", conveyance, None, False, scanner, (pitch, pitch), width, height)
