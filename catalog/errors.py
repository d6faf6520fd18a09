"""Exceptions of the catalogue.

    CatalogError          under ``access.errors.ClearanceError``, the one coded base
     ├── NotFound          no such holding or item — or one the caller may not discover:
     │                     the two are deliberately indistinguishable
     ├── InvalidQuery      a search parameter, CQL2 filter, sort or field the client sent is wrong
     │    └── FilterNotParsed  the isolated CQL2 parser crashed or overran its time on the filter
     ├── PublishError      a holding could not be published (ingest or validation), nothing visible
     │    ├── HoldingIdNotOwned  a new holding id must name its owner: ``<ADMIN>-...``
     │    └── IngestError        a holding folder is invalid (``catalog.ingest.errors``); also a
     │         │                 ``ValueError``
     │         └── IngestErrors  every problem found in one folder
     ├── Conflict          the holding id belongs to another administration
     ├── FilterError       a CQL2 filter that cannot be used (``catalog.cql2sql``); a ``ValueError``
     │    └── FilterUnparseable  the isolated parser crashed or overran its time
     ├── ParserCrashed     the CQL2 parser worker died or overran (``catalog.parser_pool``)
     ├── UnknownSite       a scan-site code that is malformed or not in ``catalog.sites``; a
     │                     ``ValueError`` (ingest reports it as the sidecar's problem)
     └── StacValidationError  a STAC object does not validate (``catalog.validation``); a
                          ``ValueError``

The routes turn ``FilterError`` into ``InvalidQuery`` and publishing turns
``StacValidationError`` into ``PublishError``; what the table in ``clearance/http/errors.py``
does not name is a 500. Messages are safe to show to the caller.
"""

from __future__ import annotations

from access import ClearanceError

__all__ = [
    "CatalogError",
    "Conflict",
    "FilterNotParsed",
    "HoldingIdNotOwned",
    "InvalidQuery",
    "NotFound",
    "PublishError",
]


class CatalogError(ClearanceError):
    """Root of the catalogue's errors."""

    code = "catalog-error"


class NotFound(CatalogError):
    code = "not-found"


class InvalidQuery(CatalogError):
    code = "invalid-query"


class FilterNotParsed(InvalidQuery):
    code = "filter-unparseable"


class PublishError(CatalogError):
    code = "publish-failed"


class HoldingIdNotOwned(PublishError):
    code = "holding-id-not-owned"


class Conflict(CatalogError):
    code = "conflict"
