"""A small HTTP client for the node's API, used by the client commands of the CLI.

The node and token come from ``--url``/``--token`` or ``CLEARANCE_URL``/``CLEARANCE_TOKEN``.
Errors from the node arrive as ``{"code", "description"}`` and become one ``ClientError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from clearance.errors import ClientSideError

__all__ = ["ClientError", "NodeClient"]


class ClientError(ClientSideError):
    def __init__(
        self, status: int, code: str, description: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{description} ({code}, HTTP {status})")
        self.status, self.code = status, code
        self.headers: Mapping[str, str] = headers or {}


class NodeClient:
    def __init__(self, url: str, token: str, transport: httpx.BaseTransport | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise ClientError(0, "bad-url", f"node URL must be http(s)://…, got {url!r}")
        self._http = httpx.Client(
            base_url=url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            transport=transport,
        )

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.send(method, path, body=body)
        if response.status_code == 204:
            return None
        try:
            return response.json()
        except ValueError:
            return {}

    def send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = 30,
    ) -> httpx.Response:
        """One request; the response when it succeeded, else ``ClientError`` (with headers)."""
        try:
            response = self._http.request(
                method, path, json=body, content=content, headers=headers, timeout=timeout
            )
        except httpx.TransportError as exc:
            raise ClientError(0, "unreachable", f"cannot reach the node: {exc}") from None
        if not response.is_error:
            return response
        try:
            data = response.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        raise ClientError(
            response.status_code,
            str(data.get("code", "error")),
            str(data.get("description", response.reason_phrase)),
            response.headers,
        )
