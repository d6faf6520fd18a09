"""The metadata sidecar ``scans/<id>/scan.json`` (docs/formats.md), checked key by key.

:func:`parse_sidecar` reports every problem of one sidecar (missing, unknown or mistyped keys,
values outside their enumeration, cross-field contradictions) and returns a :class:`Sidecar`
only when there is none. :func:`file_refs` recovers, without reporting anything, the file names a
broken sidecar still names well, so that its images can be checked as well.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any, Literal, cast

from catalog.errors import CatalogError
from catalog.ingest.errors import Problems
from catalog.ingest.jsonio import is_number, json_type, show
from catalog.ingest.paths import check_name
from catalog.sites import UnknownSite, site

__all__ = [
    "HS_CODE",
    "SCAN_ID",
    "EnergyRef",
    "Sidecar",
    "file_refs",
    "parse_sidecar",
]

SCAN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
HS_CODE = re.compile(r"[0-9]{4}(?:[0-9]{2})?")
_CONTAINER_TYPE = re.compile(r"[0-9A-Z]{2}[A-Z][0-9A-Z]")
_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?")

ENUMS: Mapping[str, tuple[str, ...]] = {
    "modality": ("transmission-dual-energy", "transmission-single-energy", "backscatter", "ct"),
    "conveyance": ("sea-container", "road-vehicle", "rail-wagon", "air-cargo", "parcel", "post"),
    "energy_profile": ("linac", "tube"),
    "source_format": ("UFF-2.0", "DICOS-v03", "TIFF16"),
    "inspection_outcome": ("cleared", "seized", "further-inspection", "not-inspected"),
}
_CHANNELS = ("high", "low")
_VIEWS = ("side", "top", "oblique")


@dataclass(frozen=True)
class EnergyRef:
    """One ``energies`` entry: channel, kV, file name relative to the scan folder, position."""

    channel: Literal["high", "low"]
    kv: float
    name: PurePosixPath
    index: int


@dataclass(frozen=True)
class Sidecar:
    """A valid ``scan.json``; energies ordered high then low."""

    id: str
    datetime: datetime
    modality: str
    conveyance: str
    container_type: str | None
    energy_profile: str
    energies: tuple[EnergyRef, ...]
    scanner_manufacturer: str
    scanner_model: str
    pixel_spacing_mm: tuple[float, float]
    views: tuple[str, ...]
    source_format: str
    original: PurePosixPath | None
    declared_hs_codes: tuple[str, ...]
    inspection_outcome: str
    synthetic: bool
    site: str | None = None  # UN/LOCODE (catalog.sites); None: the scan's place is not given


class _Bad(CatalogError):
    """A value is wrong: ``field`` (under the key being parsed) and why."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def parse_sidecar(doc: object, rel: str, folder_name: str, problems: Problems) -> Sidecar | None:
    """Check a decoded ``scan.json``; report every problem; the Sidecar when there is none."""
    if not isinstance(doc, dict):
        problems.add(rel, None, f"expected a JSON object, got {json_type(doc)}")
        return None
    before = problems.count
    for key in sorted(set(doc) - set(_PARSERS)):
        problems.add(rel, key, f"unknown key (known keys: {', '.join(_PARSERS)})")
    values: dict[str, Any] = {}
    for key, parser in _PARSERS.items():
        if key not in doc:
            if key not in _OPTIONAL:
                problems.add(rel, key, "missing")
            continue
        try:
            values[key] = parser(doc[key])
        except _Bad as bad:
            problems.add(rel, bad.field or key, bad.message)
    _cross_check(values, rel, folder_name, problems)
    if problems.count != before or problems.full:
        return None
    return _build(values)


def file_refs(doc: object) -> tuple[list[EnergyRef], PurePosixPath | None]:
    """The well-formed energy entries and original name of a sidecar, silently skipping the rest."""
    if not isinstance(doc, dict):
        return [], None
    refs: list[EnergyRef] = []
    entries = doc.get("energies")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        try:
            refs.append(_energy(entry, index))
        except _Bad:
            continue
    try:
        original = _original(doc.get("original"))
    except _Bad:
        original = None
    unique: dict[str, EnergyRef] = {}
    for ref in refs:
        unique.setdefault(ref.channel, ref)
    return list(unique.values()), original


def _build(values: dict[str, Any]) -> Sidecar:
    manufacturer, model = values.pop("scanner")
    energies = tuple(sorted(values.pop("energies"), key=lambda e: _CHANNELS.index(e.channel)))
    return Sidecar(
        energies=energies, scanner_manufacturer=manufacturer, scanner_model=model, **values
    )


def _cross_check(values: dict[str, Any], rel: str, folder_name: str, problems: Problems) -> None:
    """Contradictions between keys that are each valid on their own."""
    if "id" in values and values["id"] != folder_name:
        problems.add(
            rel, "id", f"{values['id']!r} differs from the scan folder name {folder_name!r}"
        )
    if "energies" in values and "modality" in values:
        _check_channels(values["energies"], values["modality"], rel, problems)
    if values.get("source_format") == "DICOS-v03" and values.get("original", "") is None:
        message = "source_format is DICOS-v03 but there is no original DICOS file"
        problems.add(rel, "original", message)


def _check_channels(
    energies: tuple[EnergyRef, ...], modality: str, rel: str, problems: Problems
) -> None:
    channels = {energy.channel for energy in energies}
    if "high" not in channels:
        problems.add(rel, "energies", "has no 'high' channel")
    if modality == "transmission-dual-energy" and "low" not in channels:
        problems.add(rel, "energies", "a dual-energy scan needs a 'low' channel too")
    if modality != "transmission-dual-energy" and "low" in channels:
        problems.add(
            rel, "energies", f"a 'low' channel belongs to dual-energy scans, not {modality}"
        )


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise _Bad(f"expected a string, got {json_type(value)}")
    if not value.strip():
        raise _Bad("must not be empty")
    return value


def _scan_id(value: object) -> str:
    text = _text(value)
    if not SCAN_ID.fullmatch(text):
        raise _Bad(f"{text!r} is not a valid scan id (^[A-Za-z0-9][A-Za-z0-9._-]{{0,127}}$)")
    return text


def _enum(key: str) -> Callable[[object], str]:
    allowed = ENUMS[key]

    def parse(value: object) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise _Bad(f"{show(value)} is not one of {', '.join(allowed)}")
        return value

    return parse


def _datetime(value: object) -> datetime:
    text = _text(value)
    match = _RFC3339.fullmatch(text)
    if not match:
        raise _Bad(f"{text!r} is not an RFC 3339 date-time (e.g. 2024-03-01T00:00:00Z)")
    date, time, fraction, zone = match.groups()
    if zone is None:
        raise _Bad(f"{text!r} has no time zone; write UTC, e.g. {date}T{time}Z")
    zone = "+00:00" if zone in "Zz" else zone
    try:
        parsed = datetime.fromisoformat(f"{date}T{time}{(fraction or '')[:7]}{zone}")
    except ValueError:
        raise _Bad(f"{text!r} is not a valid date-time") from None
    return parsed.astimezone(UTC)


def _container_type(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _CONTAINER_TYPE.fullmatch(value):
        raise _Bad(f"{show(value)} is not an ISO 6346 size-and-type code (e.g. 45G1) or null")
    return value


def _positive(value: object, field: str | None = None) -> float:
    if not is_number(value) or cast(float, value) <= 0:
        raise _Bad(f"expected a number > 0, got {show(value)}", field)
    return float(cast(float, value))


def _energies(value: object) -> tuple[EnergyRef, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= len(_CHANNELS):
        raise _Bad(f"expected an array of 1 or 2 entries, got {show(value)}")
    energies = tuple(_energy(entry, index) for index, entry in enumerate(value))
    channels = [energy.channel for energy in energies]
    if len(set(channels)) != len(channels):
        raise _Bad(f"channel listed twice ({', '.join(channels)})")
    names = [energy.name for energy in energies]
    if len(set(names)) != len(names):
        raise _Bad(f"both channels name the same file {str(names[0])!r}")
    return energies


def _energy(entry: object, index: int) -> EnergyRef:
    field = f"energies[{index}]"
    if not isinstance(entry, dict):
        raise _Bad(f"expected an object, got {json_type(entry)}", field)
    unknown = sorted(set(entry) - {"channel", "kv", "file"})
    if unknown:
        raise _Bad("unknown key (known keys: channel, kv, file)", f"{field}.{unknown[0]}")
    for key in ("channel", "kv", "file"):
        if key not in entry:
            raise _Bad("missing", f"{field}.{key}")
    channel = entry["channel"]
    if channel not in _CHANNELS:
        raise _Bad(f"{show(channel)} is not one of high, low", f"{field}.channel")
    name = check_name(entry["file"])
    if isinstance(name, str):
        raise _Bad(name, f"{field}.file")
    kv = _positive(entry["kv"], f"{field}.kv")
    return EnergyRef(cast(Literal["high", "low"], channel), kv, name, index)


def _scanner(value: object) -> tuple[str, str]:
    if not isinstance(value, dict):
        raise _Bad(f"expected an object, got {json_type(value)}")
    unknown = sorted(set(value) - {"manufacturer", "model"})
    if unknown:
        raise _Bad("unknown key (known keys: manufacturer, model)", f"scanner.{unknown[0]}")
    parts = []
    for key in ("manufacturer", "model"):
        if key not in value:
            raise _Bad("missing", f"scanner.{key}")
        try:
            parts.append(_text(value[key]))
        except _Bad as bad:
            raise _Bad(bad.message, f"scanner.{key}") from None
    return parts[0], parts[1]


def _spacing(value: object) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise _Bad(f"expected [x, y], got {show(value)}")
    x, y = (_positive(item, f"pixel_spacing_mm[{i}]") for i, item in enumerate(value))
    return x, y


def _views(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _Bad(f"expected a non-empty array of {', '.join(_VIEWS)}, got {show(value)}")
    for i, item in enumerate(value):
        if item not in _VIEWS:
            raise _Bad(f"{show(item)} is not one of {', '.join(_VIEWS)}", f"views[{i}]")
    if len(set(value)) != len(value):
        raise _Bad(f"lists a view twice: {show(value)}")
    return tuple(value)


def _original(value: object) -> PurePosixPath | None:
    if value is None:
        return None
    name = check_name(value)
    if isinstance(name, str):
        raise _Bad(name)
    return name


def _hs_codes(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _Bad(f"expected an array of HS codes, got {json_type(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not HS_CODE.fullmatch(item):
            message = f"{show(item)} is not an HS code (4 or 6 digits, as a string)"
            raise _Bad(message, f"declared_hs_codes[{i}]")
    return tuple(value)


def _site(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Bad(f"expected a UN/LOCODE such as NLRTM, got {json_type(value)}")
    try:
        return site(value).code
    except UnknownSite as exc:
        raise _Bad(str(exc)) from None


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"expected true or false, got {show(value)}")
    return value


_PARSERS: dict[str, Callable[[object], Any]] = {
    "id": _scan_id,
    "datetime": _datetime,
    "modality": _enum("modality"),
    "conveyance": _enum("conveyance"),
    "container_type": _container_type,
    "energy_profile": _enum("energy_profile"),
    "energies": _energies,
    "scanner": _scanner,
    "pixel_spacing_mm": _spacing,
    "views": _views,
    "source_format": _enum("source_format"),
    "original": _original,
    "declared_hs_codes": _hs_codes,
    "inspection_outcome": _enum("inspection_outcome"),
    "synthetic": _boolean,
    "site": _site,
}
_OPTIONAL = frozenset({"site"})  # older sidecars have no site: their scans get no geometry
