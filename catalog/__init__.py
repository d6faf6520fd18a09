"""Holdings as STAC collections and items: synthetic data, ingest, search, who-has-what.

Public face. Other packages import from ``catalog`` only; its modules are private by
convention, its sub-packages ``catalog.ingest``, ``catalog.synth`` have their own faces. The names
load on first use (PEP 562), so importing one name does not load the rest (a client command
importing an error does not load SQLAlchemy or FastAPI). Route modules are not part of the face:
``catalog.routes`` are imported by module path by the composition root (``clearance``) and by other
packages' routes only, the one allowed exception.

Exceptions::

    StacValidationError(CatalogError, ValueError)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# --- public face: a name another package needs goes here (and into __all__) ---
if TYPE_CHECKING:
    from catalog.errors import (
        CatalogError,
        Conflict,
        FilterNotParsed,
        InvalidQuery,
        NotFound,
        PublishError,
    )
    from catalog.holdings import CatalogHoldings
    from catalog.parser_pool import ParserPool
    from catalog.publish import HOLDING_ID, PublishResult, publish_holding
    from catalog.stac import HoldingOptions
    from catalog.store import (
        ClassStat,
        HoldingRecord,
        ItemRecord,
        refresh_statistics,
        replace_holding,
    )
    from catalog.tables import CollectionRow, ItemRow
    from catalog.validation import StacValidationError
    from catalog.whohas import WhoHasRow, who_has

_LAZY: dict[str, str] = {
    "CatalogError": "catalog.errors",
    "CatalogHoldings": "catalog.holdings",
    "ClassStat": "catalog.store",
    "CollectionRow": "catalog.tables",
    "Conflict": "catalog.errors",
    "FilterNotParsed": "catalog.errors",
    "HOLDING_ID": "catalog.publish",
    "HoldingOptions": "catalog.stac",
    "HoldingRecord": "catalog.store",
    "InvalidQuery": "catalog.errors",
    "ItemRecord": "catalog.store",
    "ItemRow": "catalog.tables",
    "NotFound": "catalog.errors",
    "ParserPool": "catalog.parser_pool",
    "PublishError": "catalog.errors",
    "PublishResult": "catalog.publish",
    "StacValidationError": "catalog.validation",
    "WhoHasRow": "catalog.whohas",
    "publish_holding": "catalog.publish",
    "refresh_statistics": "catalog.store",
    "replace_holding": "catalog.store",
    "who_has": "catalog.whohas",
}

__all__ = [
    "HOLDING_ID",
    "CatalogError",
    "CatalogHoldings",
    "ClassStat",
    "CollectionRow",
    "Conflict",
    "FilterNotParsed",
    "HoldingOptions",
    "HoldingRecord",
    "InvalidQuery",
    "ItemRecord",
    "ItemRow",
    "NotFound",
    "ParserPool",
    "PublishError",
    "PublishResult",
    "StacValidationError",
    "WhoHasRow",
    "publish_holding",
    "refresh_statistics",
    "replace_holding",
    "who_has",
]

if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))

# --- end of the public face ---
