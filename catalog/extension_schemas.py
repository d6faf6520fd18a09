"""Our STAC extension schemas (``xray``, ``sec``), served by the node at stable public paths.

``https://clearance.example/...`` can never resolve, so a deployment names its schemas under its
own URL (``CLEARANCE_SCHEMA_BASE_URL``, default: the node's own), and the node serves them at
``/stac/extensions/{name}/{version}/schema.json``. The set served is exactly the shipped files
under ``catalog/schemas/clearance.example/stac/``, found once; a request for anything else is a
404 without touching the file system. Each schema's ``$id`` and its ``stac_extensions``
constant are rewritten to the deployment's URL, so a document and its schema agree.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from catalog.links import CANONICAL_EXTENSIONS, extension_url

__all__ = ["VERSION", "extension_schema", "known_extensions"]

_ROOT = Path(__file__).parent / "schemas" / "clearance.example" / "stac"
VERSION = re.compile(r"^v[0-9]+\.[0-9]+\.[0-9]+$")


@cache
def known_extensions() -> MappingProxyType[tuple[str, str], str]:
    """(name, version) -> the shipped schema's text."""
    found = {}
    for path in sorted(_ROOT.glob("*/v*/schema.json")):
        name, version = path.parent.parent.name, path.parent.name
        if VERSION.fullmatch(version):
            found[(name, version)] = path.read_text(encoding="utf-8")
    return MappingProxyType(found)


def extension_schema(name: str, version: str, schema_base: str) -> dict[str, Any] | None:
    """The schema as this deployment publishes it, or None for one that is not shipped."""
    text = known_extensions().get((name, version))
    if text is None:
        return None
    canonical = f"{CANONICAL_EXTENSIONS}{name}/{version}/schema.json"
    published = text.replace(canonical, extension_url(canonical, schema_base))
    schema: dict[str, Any] = json.loads(published)
    return schema
