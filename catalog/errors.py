"""Exceptions of the catalogue.

    CatalogError
     ├── NotFound          no such holding or item — or one the caller may not discover:
     │                     the two are deliberately indistinguishable
     ├── InvalidQuery      a search parameter, CQL2 filter, sort or field the client sent is wrong
     │    └── FilterNotParsed  the isolated CQL2 parser crashed or overran its time on the filter
     ├── PublishError      a holding could not be published (ingest or validation), nothing visible
     │    └── HoldingIdNotOwned  a new holding id must name its owner: ``<ADMIN>-...``
     └── Conflict          the holding id belongs to another administration

Messages are safe to show to the caller.
"""

from __future__ import annotations

__all__ = [
    "CatalogError",
    "Conflict",
    "FilterNotParsed",
    "HoldingIdNotOwned",
    "InvalidQuery",
    "NotFound",
    "PublishError",
]


class CatalogError(Exception):
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
