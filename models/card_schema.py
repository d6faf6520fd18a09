"""Offline validation of a model's STAC item against the MLM extension schema (v1.5.2).

The schema and the three it references (classification, processing and raster v1.1.0) are
shipped in ``models/schemas/`` at the host/path of their URL, as ``catalog/schemas/`` does for
the catalogue: the registry holds those files and nothing else, so a reference to anything not
shipped fails instead of being fetched. Reading package data is the only I/O here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Final

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

__all__ = ["FILE_SCHEMA_URL", "MLM_SCHEMA_URL", "mlm_errors"]

MLM_SCHEMA_URL: Final = "https://stac-extensions.github.io/mlm/v1.5.2/schema.json"
#: Listed by the item for its ``file:`` asset fields; validated by the catalogue's own copy.
FILE_SCHEMA_URL: Final = "https://stac-extensions.github.io/file/v2.1.0/schema.json"
_MAX_ERRORS: Final = 5


def _walk(folder: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for entry in folder.iterdir():
        name = f"{prefix}/{entry.name}" if prefix else entry.name
        if entry.is_dir():
            yield from _walk(entry, name)
        elif entry.name.endswith(".json"):
            yield name, entry


@cache
def _shipped() -> Mapping[str, Resource[Any]]:
    """Shipped schema files by URL: ``schemas/<host>/<path>`` is ``https://<host>/<path>``."""
    root = resources.files("models").joinpath("schemas")
    return {
        f"https://{relative}": Resource.from_contents(
            json.loads(entry.read_text(encoding="utf-8")), default_specification=DRAFT7
        )
        for relative, entry in _walk(root, "")
    }


@cache
def _validator() -> jsonschema.Draft7Validator:
    registry: Registry[Any] = Registry().with_resources(_shipped().items()).crawl()
    schema = _shipped()[MLM_SCHEMA_URL].contents
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, registry=registry)


def mlm_errors(item: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``item`` by the MLM schema, as ``path: message`` (at most five);
    an empty list when it is valid."""
    found = sorted(_validator().iter_errors(item), key=lambda e: list(map(str, e.absolute_path)))
    out = []
    for error in found[:_MAX_ERRORS]:
        path = ".".join(str(p) for p in error.absolute_path) or "(root)"
        message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
        out.append(f"{path}: {message}")
    return out
