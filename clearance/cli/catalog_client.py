"""Client commands for analysts: search the catalogue of a node from the terminal.

    clearance search [--collection ID] [--bbox W,S,E,N] [--datetime I] [--filter CQL2] ...

Never imports the node side: it talks to ``--url`` over HTTP as the logged-in user.
"""

from __future__ import annotations

import json

import click

from clearance.cli.client import _client, _run, _token, _url
from clearance.client.search import (
    HoldingQuery,
    ItemQuery,
    holdings_table,
    items_table,
    search_holdings,
    search_items,
)
from clearance.client.text_tables import render_table

__all__ = ["holdings", "search"]


@click.command()
@_url
@_token
@click.option("--collection", "collections", multiple=True, help="Only this holding (repeat).")
@click.option("--id", "ids", multiple=True, help="Only this item id (repeat).")
@click.option("--bbox", help="West,south,east,north in degrees, e.g. 4.0,51.8,4.6,52.0.")
@click.option(
    "--datetime", "interval", help="RFC 3339 instant or interval, e.g. 2025-01-01T00:00:00Z/.."
)
@click.option("--filter", "cql2_text", help="""CQL2 text, e.g. "xray:conveyance = 'parcel'".""")
@click.option("--sort", "sortby", help="Sort keys, '-' for descending, e.g. -datetime,id.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100_000),
              help="Items to show in all (fetched page by page).")  # fmt: skip
@click.option("--page-size", default=100, show_default=True, type=click.IntRange(1, 1000),
              help="Items per request.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the items as a JSON array.")
@click.option("--geojson", is_flag=True, help="Print a GeoJSON FeatureCollection.")
def search(
    url: str, token: str | None, collections: tuple[str, ...], ids: tuple[str, ...],
    bbox: str | None, interval: str | None, cql2_text: str | None, sortby: str | None,
    limit: int, page_size: int, as_json: bool, geojson: bool,
) -> None:  # fmt: skip
    """Search the items (scans) of the holdings you may see on the node at --url."""
    if as_json and geojson:
        raise click.UsageError("choose one of --json and --geojson")
    query = ItemQuery(collections, ids, bbox, interval, cql2_text, sortby, limit, page_size)
    client = _client(url, token)
    features = _run(lambda: list(search_items(client, url, query)))
    if geojson:
        click.echo(json.dumps({"type": "FeatureCollection", "features": features}, indent=2))
    elif as_json:
        click.echo(json.dumps(features, indent=2))
    else:
        headers, rows = items_table(features)
        click.echo(render_table(headers, rows) if rows else "(no items match)")


@click.command()
@_url
@_token
@click.option("--q", "q", help="Free text: id, title, description, owner, label classes.")
@click.option("--bbox", help="West,south,east,north: holdings with scans in the box.")
@click.option("--datetime", "interval", help="RFC 3339 instant or interval the holding covers.")
@click.option(
    "--filter", "cql2_text", help="""CQL2 text over /collection-queryables: "sec:owner = 'NLD'"."""
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000),
              help="At most this many holdings (the node's pages are followed).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the collections as JSON.")
def holdings(
    url: str, token: str | None, q: str | None, bbox: str | None, interval: str | None,
    cql2_text: str | None, limit: int, as_json: bool,
) -> None:  # fmt: skip
    """Which holdings exist (that you may discover), e.g. of pills in parcels:
    --filter "label:classes = '3004' AND xray:conveyance = 'parcel'"."""
    query = HoldingQuery(q, bbox, interval, cql2_text, limit)
    client = _client(url, token)
    found = _run(lambda: list(search_holdings(client, url, query)))
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    headers, rows = holdings_table(found)
    click.echo(render_table(headers, rows) if rows else "(no holdings match)")
