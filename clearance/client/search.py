"""Item search for the CLI: a STAC ``GET /search`` walked page by page through its next links.

A next link is followed only when it points at the node the user named (same scheme, host and
port): the bearer token goes with every request, so a link elsewhere is refused, not followed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from clearance.client.http import ClientError, NodeClient

__all__ = ["HoldingQuery", "ItemQuery", "holdings_table", "items_table", "search_holdings",
           "search_items"]  # fmt: skip

MAX_PAGE = 1000  # the node's largest page


@dataclass(frozen=True)
class ItemQuery:
    collections: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    bbox: str | None = None
    datetime: str | None = None
    cql2_text: str | None = None
    sortby: str | None = None
    limit: int = 10  # items in all, over as many pages as it takes
    page_size: int = MAX_PAGE

    def params(self) -> dict[str, str]:
        found = {
            "collections": ",".join(self.collections),
            "ids": ",".join(self.ids),
            "bbox": self.bbox or "",
            "datetime": self.datetime or "",
            "filter": self.cql2_text or "",
            "sortby": self.sortby or "",
        }
        params = {k: v for k, v in found.items() if v}
        if self.cql2_text:
            params["filter-lang"] = "cql2-text"
        params["limit"] = str(min(self.limit, self.page_size))
        return params


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _next_href(page: Mapping[str, Any], base: str) -> str | None:
    for link in page.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "next":
            href = str(link.get("href", ""))
            if link.get("method", "GET") != "GET" or _origin(href) != _origin(base):
                raise ClientError(0, "bad-next-link", f"the node's next link is not on {base}")
            return href
    return None


def search_items(client: NodeClient, base: str, query: ItemQuery) -> Iterator[dict[str, Any]]:
    """Up to ``query.limit`` items, in the node's order."""
    page = client.call("GET", "/search?" + urlencode(query.params()))
    left = query.limit
    while True:
        for feature in page.get("features") or []:
            if left == 0:
                return
            left -= 1
            yield feature
        href = _next_href(page, base) if left else None
        if href is None:
            return
        page = client.call("GET", href)


def items_table(features: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[object]]]:
    headers = ["collection", "id", "datetime", "site", "modality", "conveyance", "objects"]
    rows: list[list[object]] = []
    for f in features:
        p = f.get("properties") or {}
        rows.append([f.get("collection", ""), f.get("id", ""), p.get("datetime", ""),
                     p.get("xray:site", "-"), p.get("xray:modality", ""),
                     p.get("xray:conveyance", ""), p.get("xray:object_count", "")])  # fmt: skip
    return headers, rows


@dataclass(frozen=True)
class HoldingQuery:
    """Collection search: ``GET /collections`` with q, bbox, datetime, a CQL2 filter."""

    q: str | None = None
    bbox: str | None = None
    datetime: str | None = None
    cql2_text: str | None = None
    limit: int = 100

    def params(self) -> dict[str, str]:
        found = {"q": self.q or "", "bbox": self.bbox or "", "datetime": self.datetime or "",
                 "filter": self.cql2_text or ""}  # fmt: skip
        params = {k: v for k, v in found.items() if v}
        if self.cql2_text:
            params["filter-lang"] = "cql2-text"
        params["limit"] = str(min(self.limit, MAX_PAGE))
        return params


def search_holdings(client: NodeClient, base: str, query: HoldingQuery) -> Iterator[dict[str, Any]]:
    """Up to ``query.limit`` holdings the caller may discover that match, by id."""
    page = client.call("GET", "/collections?" + urlencode(query.params()))
    left = query.limit
    while True:
        for collection in page.get("collections") or []:
            if left == 0:
                return
            left -= 1
            yield collection
        href = _next_href(page, base) if left else None
        if href is None:
            return
        page = client.call("GET", href)


def holdings_table(
    collections: Sequence[Mapping[str, Any]],
) -> tuple[list[str], list[list[object]]]:
    headers = ["id", "owner", "level", "handling", "conveyance", "title"]
    rows: list[list[object]] = []
    for c in collections:
        conveyances = (c.get("summaries") or {}).get("xray:conveyance") or []
        rows.append([c.get("id", ""), c.get("sec:owner", ""), c.get("sec:level", ""),
                     c.get("sec:handling", ""), ",".join(map(str, conveyances)),
                     str(c.get("title", ""))[:40]])  # fmt: skip
    return headers, rows
