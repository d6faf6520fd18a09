"""The one HTTP client of the CLI's client side: every client command, ``upload`` and ``pull``.

The node and token come from ``--url``/``--token`` or ``CLEARANCE_URL``/``CLEARANCE_TOKEN``
(for ``pull`` the token is the grant). Errors from the node arrive as ``{"code",
"description"}`` and :func:`error_from` alone decodes them, into one :class:`ClientError` with
``status``, ``code``, ``description``, the response ``headers`` and a ``hint`` for a person;
a node that cannot be reached is status 0, code ``unreachable``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from httpx._client import UseClientDefault

from clearance.errors import ClientSideError

__all__ = ["ClientError", "NodeClient", "error_from", "unreachable"]

_HINTS = {
    0: "check the node URL and that the node is running",
    401: "the token (or grant) is not accepted: expired, revoked or for another node? "
    "Log in again with `clearance login`",
    403: "your role, clearance or grant does not allow this",
    404: "nothing there that you may see",
    409: "the state changed: look again and retry",
    413: "the request is larger than the node accepts",
    429: "the node asks you to slow down: retry later",
}


class ClientError(ClientSideError):
    """A request to the node failed: ``status`` (0 when no answer), the node's ``code`` and
    ``description``, the response ``headers`` and a ``hint`` for a person (or ``None``)."""

    def __init__(
        self,
        status: int,
        code: str,
        description: str,
        headers: Mapping[str, str] | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(f"{description} ({code}, HTTP {status})")
        self.status, self.code, self.description = status, code, description
        self.headers: Mapping[str, str] = headers or {}
        self.hint = hint if hint is not None else _HINTS.get(status)


def error_from(response: httpx.Response) -> ClientError:
    """The node's error answer as a :class:`ClientError` (the body read, if streamed)."""
    response.read()
    try:
        data = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    status = response.status_code
    return ClientError(
        status,
        str(data.get("code", f"http-{status}")),
        str(data.get("description", response.reason_phrase)),
        response.headers,
    )


def unreachable(exc: httpx.TransportError) -> ClientError:
    return ClientError(0, "unreachable", f"cannot reach the node: {exc}")


class NodeClient:
    """The node at ``url`` as the bearer of ``token`` (None: public routes only). ``call`` and
    ``send`` raise :class:`ClientError`; ``http`` is the underlying client, for streamed bodies."""

    def __init__(
        self,
        url: str,
        token: str | None,
        transport: httpx.BaseTransport | None = None,
        *,
        timeout: float | httpx.Timeout = 30,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ClientError(0, "bad-url", f"node URL must be http(s)://…, got {url!r}")
        self.http = httpx.Client(
            base_url=url.rstrip("/"),
            headers={} if token is None else {"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
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
        timeout: float | UseClientDefault | None = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        """One request; the response when it succeeded, else ``ClientError`` (with headers)."""
        try:
            response = self.http.request(
                method, path, json=body, content=content, headers=headers, timeout=timeout
            )
        except httpx.TransportError as exc:
            raise unreachable(exc) from None
        if response.is_error:
            raise error_from(response)
        return response

    def close(self) -> None:
        self.http.close()
