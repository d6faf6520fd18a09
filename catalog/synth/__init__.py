"""Synthetic dual-energy X-ray holdings (cargo and parcels) for the demo, tests and benchmarks.

Images are computed with Beer-Lambert attenuation from a small material table, so the two energy
channels differ the way real ones do; objects come from an HS-code category table and are
annotated in COCO. Deterministic: the same arguments give byte-identical files. See
docs/formats.md for the folder layout.

Public face. Other packages import from ``catalog.synth`` only; its modules are private
by convention. The names load on first use (PEP 562), so importing one name does not load the rest
(a client command importing an error does not load SQLAlchemy or FastAPI).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from access import lazy_face
from catalog.synth._holding import SynthSummary, generate_holding

# --- public face: a name another package needs goes here (and into __all__) ---
if TYPE_CHECKING:
    from catalog.synth._categories import CATEGORIES as CATEGORIES
    from catalog.synth._categories import Category as Category

_LAZY: dict[str, str] = {
    "CATEGORIES": "catalog.synth._categories",
    "Category": "catalog.synth._categories",
}

__all__ = [
    "CATEGORIES",
    "Category",
    "SynthSummary",
    "generate_holding",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_face(__name__, _LAZY, globals(), __all__)

# --- end of the public face ---
