"""Offline validation of a model's STAC item against the MLM extension schema (v1.5.2).

The schema and the three it references (classification, processing and raster v1.1.0) are
shipped in ``models/schemas/`` at the host/path of their URL, as ``catalog/schemas/`` does for
the catalogue: the registry holds those files and nothing else, so a reference to anything not
shipped fails instead of being fetched. Reading package data is the only I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Final

import jsonschema
from referencing import Registry, Resource

from catalog import schema_resources

__all__ = ["FILE_SCHEMA_URL", "MLM_SCHEMA_URL", "mlm_errors"]

MLM_SCHEMA_URL: Final = "https://stac-extensions.github.io/mlm/v1.5.2/schema.json"
#: Listed by the item for its ``file:`` asset fields; validated by the catalogue's own copy.
FILE_SCHEMA_URL: Final = "https://stac-extensions.github.io/file/v2.1.0/schema.json"
_MAX_ERRORS: Final = 5


@cache
def _shipped() -> Mapping[str, Resource[Any]]:
    return schema_resources(resources.files("models").joinpath("schemas"))


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
