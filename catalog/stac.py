"""Build the STAC Collection and Items of a holding with pystac (``xray:``, ``sec:``, ``label:``,
``file:`` fields), plus the promoted columns the store indexes.

Pure: takes the validated ``Holding`` read by ``catalog.ingest`` and the publish options, returns
documents. Asset hrefs point to the transfer route of each asset's encrypted object; bytes are
only ever served by the transfer service, under a grant.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pystac

from access import ALL_PARTNERS, Discovery, Handling, Level
from catalog.ingest import Holding, Scan
from catalog.sites import Site, site
from catalog.store import ClassStat, HoldingRecord, ItemRecord
from catalog.validation import COLLECTION_EXTENSIONS, ITEM_EXTENSIONS
from transfer import object_href

__all__ = ["HoldingOptions", "build_holding", "build_item"]

_LABEL_DESCRIPTION = "Objects annotated with bounding boxes, classed by HS code (COCO JSON asset)."
_ROLES = {"high": ["data", "energy-high"], "low": ["data", "energy-low"],
          "original": ["source"], "annotations": ["labels", "metadata"]}  # fmt: skip


@dataclass(frozen=True)
class HoldingOptions:
    holding_id: str
    admin: str
    admin_name: str
    title: str
    description: str
    level: Level
    marking: str
    releasable_to: frozenset[str]
    handling: Handling
    discovery: Discovery
    withhold_geometry: bool = False  # no point, no bbox, no xray:site on any item


def _checksum(sha256_hex: str) -> str:
    return "1220" + sha256_hex  # multihash: sha2-256 (0x12), 32 bytes (0x20)


def _classes(scan: Scan, holding: Holding) -> dict[str, int]:
    counts: Counter[str] = Counter(
        holding.categories[a.category_id].hs_code for a in scan.annotations
    )
    return dict(sorted(counts.items()))


def _taxonomy_codes(holding: Holding) -> list[str]:
    return sorted({c.hs_code for c in holding.categories.values()})


def _taxonomy(holding: Holding) -> str:
    editions = sorted({c.hs_edition for c in holding.categories.values()})
    return editions[0] if len(editions) == 1 else ",".join(editions)


def _properties(scan: Scan, holding: Holding, options: HoldingOptions) -> dict[str, Any]:
    classes, side = _classes(scan, holding), scan.sidecar
    return {
        "xray:modality": side.modality,
        "xray:conveyance": side.conveyance,
        "xray:container_type": side.container_type,
        "xray:energy_profile": side.energy_profile,
        "xray:energies_kv": [e.kv for e in scan.energies],
        "xray:scanner": f"{side.scanner_manufacturer} {side.scanner_model}",
        "xray:pixel_spacing_mm": list(side.pixel_spacing_mm),
        "xray:views": list(side.views),
        "xray:source_format": side.source_format,
        "xray:label_taxonomy": _taxonomy(holding),
        "xray:inspection_outcome": side.inspection_outcome,
        "xray:synthetic": side.synthetic,
        "xray:object_count": len(scan.annotations),
        "xray:declared_hs_codes": list(side.declared_hs_codes),
        "label:type": "vector",
        "label:properties": ["hs_code"],
        "label:description": _LABEL_DESCRIPTION,
        "label:tasks": ["detection"],
        "label:methods": ["manual"],
        # label:classes lists the values the label can take (the holding's taxonomy);
        # label:overviews counts what this scan actually contains.
        "label:classes": [{"name": "hs_code", "classes": _taxonomy_codes(holding)}],
        "label:overviews": [
            {
                "property_key": "hs_code",
                "counts": [{"name": c, "count": n} for c, n in classes.items()],
            }
        ],
        "sec:level": options.level.name,
    }


def _site(scan: Scan, options: HoldingOptions) -> Site | None:
    code = scan.sidecar.site
    return None if code is None or options.withhold_geometry else site(code)


def build_item(
    scan: Scan, holding: Holding, options: HoldingOptions, object_ids: Mapping[str, str]
) -> ItemRecord:
    """The item of ``scan``; ``object_ids`` maps each asset key to its encrypted object's id."""
    side, place = scan.sidecar, _site(scan, options)
    properties = _properties(scan, holding, options)
    if place is not None:
        properties["xray:site"] = place.code
    item = pystac.Item(
        id=scan.id,
        geometry=None if place is None else place.geometry(),
        bbox=None if place is None else [place.lon, place.lat, place.lon, place.lat],
        datetime=side.datetime,
        properties=properties,
        stac_extensions=list(ITEM_EXTENSIONS),
        collection=options.holding_id,
    )
    for asset in scan.assets:
        item.add_asset(
            asset.key,
            pystac.Asset(
                href=object_href(options.holding_id, object_ids[asset.key]),
                media_type=asset.media_type,
                roles=_ROLES[asset.key],
                extra_fields={
                    "file:size": asset.size,
                    "file:checksum": _checksum(asset.sha256_hex),
                },
            ),
        )
    document = item.to_dict(include_self_link=False, transform_hrefs=False)
    # STAC 1.1 wants a "collection" link beside the field; responses replace links anyway.
    document["links"] = [
        {
            "rel": "collection",
            "href": f"/collections/{options.holding_id}",
            "type": "application/json",
        }
    ]
    names = [holding.categories[a.category_id].name for a in scan.annotations]
    classes = _classes(scan, holding)
    text = " ".join([scan.id, side.modality, side.conveyance, side.inspection_outcome,
                     side.scanner_manufacturer, side.scanner_model, *classes, *names,
                     *([] if place is None else [place.code, place.name])])  # fmt: skip
    return ItemRecord(
        id=scan.id,
        datetime=side.datetime,
        level=int(options.level),
        modality=side.modality,
        conveyance=side.conveyance,
        container_type=side.container_type,
        energy_profile=side.energy_profile,
        scanner=f"{side.scanner_manufacturer} {side.scanner_model}",
        source_format=side.source_format,
        inspection_outcome=side.inspection_outcome,
        synthetic=side.synthetic,
        object_count=len(scan.annotations),
        search_text=text.lower(),
        document=document,
        classes=classes,
        site=None if place is None else place.code,
        lon=None if place is None else place.lon,
        lat=None if place is None else place.lat,
    )


def _stats(holding: Holding, items: Sequence[ItemRecord]) -> tuple[ClassStat, ...]:
    names = {c.hs_code: c.name for c in holding.categories.values()}
    images: Counter[tuple[str, str]] = Counter()
    objects: Counter[tuple[str, str]] = Counter()
    for item in items:
        for code, n in item.classes.items():
            images[(code, item.modality)] += 1
            objects[(code, item.modality)] += n
    return tuple(
        ClassStat(code, modality, names[code], images[(code, modality)], objects[(code, modality)])
        for code, modality in sorted(images)
    )


def _summaries(holding: Holding, items: Sequence[ItemRecord]) -> dict[str, Any]:
    def distinct(key: str) -> list[Any]:
        return sorted({i.document["properties"].get(key) for i in items} - {None})

    sites = {"xray:site": distinct("xray:site")} if any(i.site for i in items) else {}
    return {
        **sites,
        "xray:modality": distinct("xray:modality"),
        "xray:conveyance": distinct("xray:conveyance"),
        "xray:energy_profile": distinct("xray:energy_profile"),
        "xray:source_format": distinct("xray:source_format"),
        "label:classes": [{"name": "hs_code", "classes": _taxonomy_codes(holding)}],
    }


def spatial_extent(items: Sequence[ItemRecord]) -> tuple[float, float, float, float] | None:
    """West, south, east, north over the items' sites; None when no item has a place."""
    points = [(i.lon, i.lat) for i in items if i.lon is not None and i.lat is not None]
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


def _extent(items: Sequence[ItemRecord]) -> pystac.Extent:
    times = sorted(i.datetime for i in items)
    interval = [[times[0], times[-1]]] if times else [[None, None]]
    box = spatial_extent(items)
    return pystac.Extent(
        pystac.SpatialExtent([list(box) if box else [-180.0, -90.0, 180.0, 90.0]]),
        pystac.TemporalExtent(interval),  # type: ignore[arg-type]
    )


def _sec_fields(options: HoldingOptions) -> dict[str, Any]:
    rel = sorted(options.releasable_to)
    return {
        "sec:level": options.level.name,
        "sec:national_marking": options.marking,
        "sec:releasable_to": [ALL_PARTNERS] if ALL_PARTNERS in rel else rel,
        "sec:handling": options.handling.value,
        "sec:discovery": options.discovery.value,
        "sec:owner": options.admin,
    }


def build_holding(
    holding: Holding, options: HoldingOptions, items: Sequence[ItemRecord]
) -> HoldingRecord:
    collection = pystac.Collection(
        id=options.holding_id,
        title=options.title,
        description=options.description,
        extent=_extent(items),
        license="other",  # STAC 1.1: an SPDX id or "other"; the terms are the sec: fields
        keywords=["x-ray", "customs", "annotated", *sorted({i.conveyance for i in items})],
        providers=[pystac.Provider(options.admin_name, roles=[pystac.ProviderRole.PRODUCER,
                                                              pystac.ProviderRole.LICENSOR])],
        summaries=pystac.Summaries(_summaries(holding, items)),
        extra_fields=_sec_fields(options),
        stac_extensions=list(COLLECTION_EXTENSIONS),
    )  # fmt: skip
    document = collection.to_dict(include_self_link=False, transform_hrefs=False)
    document["links"] = []
    stats = _stats(holding, items)
    text = " ".join([options.holding_id, options.title, options.description, options.admin,
                     *(f"{s.hs_code} {s.class_name}" for s in stats)])  # fmt: skip
    return HoldingRecord(
        id=options.holding_id,
        owner=options.admin,
        title=options.title,
        level=int(options.level),
        national_marking=options.marking,
        handling=options.handling.value,
        discovery=options.discovery.value,
        releasable_to=options.releasable_to,
        search_text=text.lower(),
        document=document,
        stats=stats,
        extent=spatial_extent(items),
        span=(min(i.datetime for i in items), max(i.datetime for i in items)) if items else None,
    )
