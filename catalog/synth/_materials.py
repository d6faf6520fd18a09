"""Material table: density and effective mass attenuation at the two energies of each source.

Values are effective (mono-energetic) stand-ins for polychromatic beams, not a detector simulation.
Tube values follow NIST XCOM at about 70 keV (160 kV high channel) and 45 keV (80 kV low channel),
where the photoelectric effect makes metals attenuate the low channel far more than organics do.

Linac values are about 2 MeV (high) mass attenuation with a low/high ratio that grows with Z, so one
rule ("higher low/high log-attenuation ratio = heavier material") holds for both profiles. Real MV
beams are subtler: pair production flattens, and for heavy metals can invert, that ordering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Profile = Literal["linac", "tube"]
Family = Literal["organic", "inorganic"]


@dataclass(frozen=True)
class Material:
    """A solid material; bulk goods scale its thickness with a fill factor."""

    name: str
    family: Family
    density: float  # g/cm3
    tube: tuple[float, float]  # mass attenuation (high, low) in cm2/g, 160/80 kV tube
    linac: tuple[float, float]  # mass attenuation (high, low) in cm2/g, 6/4 MV linac

    def mu(self, profile: Profile) -> tuple[float, float]:
        """Linear attenuation coefficients (high, low) in 1/cm."""
        high, low = self.tube if profile == "tube" else self.linac
        return high * self.density, low * self.density


def _linac(high: float, ratio: float) -> tuple[float, float]:
    return high, round(high * ratio, 5)


_TABLE = (
    # organics: low Z, Compton-dominated, low/high ratio about 1.2-1.35 at tube energies
    Material("plastic", "organic", 0.95, (0.186, 0.225), _linac(0.0508, 1.10)),
    Material("paper", "organic", 0.90, (0.185, 0.232), _linac(0.0490, 1.10)),
    Material("wood", "organic", 0.60, (0.185, 0.230), _linac(0.0490, 1.10)),
    Material("tobacco", "organic", 1.00, (0.190, 0.240), _linac(0.0490, 1.10)),
    Material("cocaine", "organic", 1.20, (0.187, 0.232), _linac(0.0495, 1.10)),
    Material("water", "organic", 1.00, (0.193, 0.245), _linac(0.0494, 1.10)),
    Material("rubber", "organic", 1.10, (0.188, 0.228), _linac(0.0500, 1.10)),
    Material("pills", "organic", 1.30, (0.205, 0.275), _linac(0.0485, 1.11)),
    # inorganics: the photoelectric effect (~Z^4/E^3) lifts the low channel
    Material("aluminium", "inorganic", 2.70, (0.233, 0.460), _linac(0.0432, 1.15)),
    Material("steel", "inorganic", 7.87, (0.850, 2.700), _linac(0.0426, 1.22)),
    Material("brass", "inorganic", 8.50, (1.100, 3.600), _linac(0.0420, 1.25)),
    Material("lead", "inorganic", 11.35, (3.500, 10.90), _linac(0.0461, 1.35)),
    Material("gold", "inorganic", 19.30, (3.200, 9.800), _linac(0.0458, 1.35)),
)

MATERIALS: dict[str, Material] = {m.name: m for m in _TABLE}
