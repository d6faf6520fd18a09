"""HS-code category table: what each kind of goods is made of and how big it looks in a scan.

Ids are fixed (the table order) so that COCO files of different holdings agree; the whole table is
written to every annotations.json, used or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

HS_EDITION = "HS2022"

Shape = Literal[
    "box", "ellipsoid", "cylinder", "cartons", "cartridges", "pills", "pistol", "vehicle"
]
Range = tuple[float, float]


@dataclass(frozen=True)
class Fit:
    """How one category looks in one kind of scan. Sizes in mm; depth runs along the beam."""

    shape: Shape
    length_mm: Range
    height_mm: Range
    depth_mm: Range
    fill: Range  # solid fraction of the bounding volume (bulk goods are mostly air)
    weight: float  # relative draw frequency
    grounded: bool = False  # rests on the container floor (vehicles, pallets)


@dataclass(frozen=True)
class Category:
    id: int
    hs_code: str
    name: str
    material: str
    contraband: bool  # seized when found undeclared
    cargo: Fit | None
    parcel: Fit | None

    def fit(self, kind: str) -> Fit | None:
        return self.cargo if kind == "cargo" else self.parcel

    def coco(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "supercategory": self.hs_code[:2],  # HS chapter
            "hs_code": self.hs_code,
            "hs_edition": HS_EDITION,
        }


# A pallet seen from the side: about 1.1 m long, stacked 1-1.6 m, one or two pallets deep.
_PALLET_L, _PALLET_H, _PALLET_D = (1000.0, 1200.0), (1000.0, 1600.0), (1000.0, 2200.0)


def _pallet(fill: Range, weight: float) -> Fit:
    return Fit("cartons", _PALLET_L, _PALLET_H, _PALLET_D, fill, weight, grounded=True)


# A table, one category per block: keep it aligned.
# fmt: off
_ROWS: tuple[tuple[str, str, str, bool, Fit | None, Fit | None], ...] = (
    ("0303", "Fish, frozen", "water", False,
        _pallet((0.45, 0.6), 1.0),
        None),
    ("2208", "Spirits and liqueurs", "water", False,
        _pallet((0.25, 0.35), 0.8),
        Fit("cylinder", (250, 330), (70, 90), (70, 90), (0.8, 0.9), 0.6)),
    ("2402", "Cigars and cigarettes", "tobacco", True,
        _pallet((0.25, 0.35), 1.0),
        Fit("cartons", (260, 280), (80, 260), (45, 55), (0.3, 0.4), 1.0)),
    ("2403", "Tobacco, manufactured", "tobacco", True,
        Fit("box", (800, 1200), (600, 1000), (800, 1200), (0.3, 0.45), 0.6, grounded=True),
        Fit("ellipsoid", (150, 300), (100, 200), (30, 80), (0.35, 0.5), 0.8)),
    ("2939", "Alkaloids (cocaine)", "cocaine", True,
        Fit("cartons", (500, 900), (300, 500), (300, 500), (0.7, 0.85), 0.5),
        Fit("box", (100, 250), (80, 200), (20, 60), (0.8, 0.9), 0.6)),
    ("3004", "Medicaments (pills)", "pills", False,
        Fit("cartons", (800, 1200), (600, 1200), (800, 1000), (0.3, 0.45), 0.6, grounded=True),
        Fit("pills", (60, 150), (40, 100), (30, 60), (0.4, 0.6), 1.2)),
    ("4907", "Banknotes", "paper", True,
        Fit("box", (300, 600), (200, 400), (200, 400), (0.8, 0.9), 0.3),
        Fit("box", (150, 160), (60, 70), (20, 100), (0.85, 0.95), 0.4)),
    ("6403", "Footwear", "rubber", False,
        _pallet((0.08, 0.15), 1.2),
        Fit("ellipsoid", (250, 320), (90, 130), (90, 110), (0.35, 0.5), 1.2)),
    ("7108", "Gold", "gold", True,
        Fit("box", (100, 300), (40, 80), (40, 100), (0.9, 1.0), 0.3),
        Fit("box", (40, 120), (20, 50), (5, 15), (0.9, 1.0), 0.5)),
    ("8471", "Computers and laptops", "aluminium", False,
        _pallet((0.03, 0.06), 1.0),
        Fit("box", (300, 380), (200, 260), (15, 25), (0.35, 0.5), 0.8)),
    ("8517", "Telephones", "aluminium", False,
        _pallet((0.03, 0.05), 1.0),
        Fit("box", (140, 170), (65, 80), (7, 9), (0.6, 0.8), 1.2)),
    ("8703", "Motor cars", "steel", False,
        Fit("vehicle", (3800, 4800), (1400, 1600), (1700, 1900), (0.08, 0.1), 0.8, grounded=True),
        None),
    ("8711", "Motorcycles", "steel", False,
        Fit("vehicle", (1900, 2200), (1000, 1200), (700, 900), (0.1, 0.14), 0.6, grounded=True),
        None),
    ("9302", "Revolvers and pistols", "steel", True,
        Fit("pistol", (180, 250), (120, 160), (25, 35), (0.3, 0.45), 0.4),
        Fit("pistol", (180, 250), (120, 160), (25, 35), (0.3, 0.45), 0.5)),
    ("9306", "Munitions and cartridges", "brass", True,
        Fit("cartridges", (400, 600), (200, 350), (250, 400), (0.15, 0.25), 0.3),
        Fit("cartridges", (80, 120), (50, 80), (30, 50), (0.3, 0.45), 0.5)),
    ("9503", "Toys", "plastic", False,
        _pallet((0.05, 0.1), 1.2),
        Fit("ellipsoid", (100, 300), (80, 250), (50, 200), (0.2, 0.4), 1.2)),
)
# fmt: on

CATEGORIES: tuple[Category, ...] = tuple(
    Category(i, hs, name, material, contraband, cargo, parcel)
    for i, (hs, name, material, contraband, cargo, parcel) in enumerate(_ROWS, start=1)
)
