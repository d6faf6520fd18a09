"""Synthetic dual-energy X-ray holdings (cargo and parcels) for the demo, tests and benchmarks.

Images are computed with Beer-Lambert attenuation from a small material table, so the two energy
channels differ the way real ones do; objects come from an HS-code category table and are
annotated in COCO. Deterministic: the same arguments give byte-identical files. See
docs/formats.md for the folder layout.
"""

from catalog.synth._holding import SynthSummary, generate_holding

__all__ = ["SynthSummary", "generate_holding"]
