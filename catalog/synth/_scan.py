"""One synthetic scan: images, annotated objects and sidecar metadata, all from one generator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from catalog.sites import sites_of
from catalog.synth import _cargo, _parcel
from catalog.synth._declaration import declare
from catalog.synth._objects import Draft, Placed, draw, place
from catalog.synth._physics import LineIntegrals, expose
from catalog.synth._setup import Kind, Region, Setup, choose_setup

EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
SPAN_MINUTES = (366 + 365) * 24 * 60  # 2024 and 2025
UFF_SHARE = 0.2  # of the scans that are not DICOS
KIND_STREAM = {"cargo": 0, "parcel": 1}
_SITE_STREAM = 1  # the site's own random stream, beside each scan's main one


@dataclass(frozen=True)
class Scan:
    id: str
    setup: Setup
    acquired: dt.datetime
    high: NDArray[np.uint16]
    low: NDArray[np.uint16]
    objects: list[Placed]
    sidecar: dict[str, Any]


def scan_id(admin: str, kind: Kind, index: int) -> str:
    return f"{admin}-{'C' if kind == 'cargo' else 'P'}-{index:06d}"


def scan_rng(seed: int, kind: Kind, index: int) -> np.random.Generator:
    """Each scan draws from its own stream: its images and objects do not depend on the count."""
    return np.random.Generator(np.random.PCG64([seed, KIND_STREAM[kind], index]))


def scan_site(seed: int, kind: Kind, admin: str, index: int, conveyance: str) -> str | None:
    """A plausible site of ``admin`` for ``conveyance`` (ports for containers, borders for road,
    airports and parcel hubs for parcels and post), drawn from a stream of its own so that adding
    sites changed no image; None for an administration with no sites in the table."""
    choices = sites_of(admin, conveyance)
    if not choices:
        return None
    rng = np.random.Generator(np.random.PCG64([seed, KIND_STREAM[kind], index, _SITE_STREAM]))
    return choices[int(rng.integers(len(choices)))].code


def make_scan(seed: int, kind: Kind, admin: str, index: int, dicos: bool) -> Scan:
    rng = scan_rng(seed, kind, index)
    setup = choose_setup(kind, rng)
    acquired = EPOCH + dt.timedelta(minutes=int(rng.integers(SPAN_MINUTES)))
    drafts = draw(setup, rng)
    lines, inside = _scene(setup, drafts, rng)
    objects = place(drafts, inside, lines, rng)
    high, low = expose(lines, rng)
    del lines  # the two float32 images are the biggest thing a scan holds
    declared, outcome = declare(setup, [o.category for o in objects], rng)
    source = "DICOS-v03" if dicos else "UFF-2.0" if rng.random() < UFF_SHARE else "TIFF16"
    sid = scan_id(admin, kind, index)
    sidecar = _sidecar(sid, setup, acquired, source, declared, outcome)
    sidecar["site"] = scan_site(seed, kind, admin, index, setup.conveyance)
    return Scan(sid, setup, acquired, high, low, objects, sidecar)


def _scene(
    setup: Setup, drafts: list[Draft], rng: np.random.Generator
) -> tuple[LineIntegrals, Region]:
    if setup.kind == "cargo":
        return _cargo.build(setup, rng)
    need = (max((d.height for d in drafts), default=0), max((d.width for d in drafts), default=0))
    return _parcel.build(setup, need, rng)


def _sidecar(
    sid: str,
    setup: Setup,
    acquired: dt.datetime,
    source: str,
    declared: list[str],
    outcome: str,
) -> dict[str, Any]:
    """The scan.json of docs/formats.md, keys in the documented order."""
    high_kv, low_kv = setup.scanner.kv
    return {
        "id": sid,
        "datetime": acquired.strftime("%Y-%m-%dT%H:%M:00Z"),
        "modality": "transmission-dual-energy",
        "conveyance": setup.conveyance,
        "container_type": setup.container.code if setup.container else None,
        "energy_profile": setup.beam.profile,
        "energies": [
            {"channel": "high", "kv": high_kv, "file": "high.tiff"},
            {"channel": "low", "kv": low_kv, "file": "low.tiff"},
        ],
        "scanner": {"manufacturer": setup.scanner.manufacturer, "model": setup.scanner.model},
        "pixel_spacing_mm": list(setup.spacing),
        "views": ["side"],
        "source_format": source,
        "original": "original.dcm" if source == "DICOS-v03" else None,
        "declared_hs_codes": declared,
        "inspection_outcome": outcome,
        "synthetic": True,
    }
