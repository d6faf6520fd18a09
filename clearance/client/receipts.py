"""Fetch what ``clearance receipt verify`` needs from a node: the issuing administration's JWKS.

The route is public (``/administrations/{admin}/jwks.json``); fetching it over HTTPS from the
issuer's own node is the online alternative to a pinned JWKS file.
"""

from __future__ import annotations

from typing import Any

import httpx

from clearance.client.http import ClientError, NodeClient

__all__ = ["fetch_issuer_jwks"]


def fetch_issuer_jwks(
    url: str, admin: str, transport: httpx.BaseTransport | None = None
) -> dict[str, Any]:
    """The JWKS of ``admin`` as the node at ``url`` publishes it; :class:`ClientError` else."""
    client = NodeClient(url, None, transport, timeout=30)
    try:
        jwks = client.call("GET", f"/administrations/{admin}/jwks.json")
    finally:
        client.close()
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise ClientError(0, "bad-jwks", f"the node at {url} sent no JWKS for {admin}")
    return jwks
