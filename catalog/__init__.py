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

from typing import TYPE_CHECKING

from access import lazy_face

# --- public face: a name another package needs goes here (and into __all__) ---
if TYPE_CHECKING:
    from catalog.browse import get_collection as get_collection
    from catalog.browse import get_item as get_item
    from catalog.browse import list_collections as list_collections
    from catalog.disclosure import disclose as disclose
    from catalog.errors import CatalogError as CatalogError
    from catalog.errors import Conflict as Conflict
    from catalog.errors import FilterNotParsed as FilterNotParsed
    from catalog.errors import InvalidQuery as InvalidQuery
    from catalog.errors import NotFound as NotFound
    from catalog.errors import PublishError as PublishError
    from catalog.holdings import CatalogHoldings as CatalogHoldings
    from catalog.links import OPENAPI_MEDIA_TYPE as OPENAPI_MEDIA_TYPE
    from catalog.paging import PagingKey as PagingKey
    from catalog.paging_store import load_paging_key as load_paging_key
    from catalog.parser_pool import ParserPool as ParserPool
    from catalog.publish import HOLDING_ID as HOLDING_ID
    from catalog.publish import Progress as Progress
    from catalog.publish import PublishResult as PublishResult
    from catalog.publish import publish_holding as publish_holding
    from catalog.search import SearchRequest as SearchRequest
    from catalog.search import run_search as run_search
    from catalog.sites import SITES as SITES
    from catalog.stac import HoldingOptions as HoldingOptions
    from catalog.store import ClassStat as ClassStat
    from catalog.store import HoldingRecord as HoldingRecord
    from catalog.store import ItemRecord as ItemRecord
    from catalog.store import refresh_statistics as refresh_statistics
    from catalog.store import replace_holding as replace_holding
    from catalog.tables import CollectionRow as CollectionRow
    from catalog.tables import ItemRow as ItemRow
    from catalog.validation import StacValidationError as StacValidationError
    from catalog.validation import schema_resources as schema_resources
    from catalog.whohas import WhoHasRow as WhoHasRow
    from catalog.whohas import who_has as who_has

_LAZY: dict[str, str] = {
    "get_collection": "catalog.browse",
    "get_item": "catalog.browse",
    "list_collections": "catalog.browse",
    "SearchRequest": "catalog.search",
    "run_search": "catalog.search",
    "SITES": "catalog.sites",
    "disclose": "catalog.disclosure",
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
    "OPENAPI_MEDIA_TYPE": "catalog.links",
    "PagingKey": "catalog.paging",
    "load_paging_key": "catalog.paging_store",
    "ParserPool": "catalog.parser_pool",
    "PublishError": "catalog.errors",
    "Progress": "catalog.publish",
    "PublishResult": "catalog.publish",
    "StacValidationError": "catalog.validation",
    "schema_resources": "catalog.validation",
    "WhoHasRow": "catalog.whohas",
    "publish_holding": "catalog.publish",
    "refresh_statistics": "catalog.store",
    "replace_holding": "catalog.store",
    "who_has": "catalog.whohas",
}

__all__ = [*sorted(_LAZY)]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_face(__name__, _LAZY, globals(), __all__)

# --- end of the public face ---
