"""Run the STAC community's ``stac-api-validator`` with no network: schemas from disk.

The validator (and stac-validator, stac-check and pystac under it) fetch JSON schemas by URL
with ``requests`` and with ``urllib``. This wrapper answers every such fetch from the shipped
schema folders (``../shared/stac-schemas`` first, then ``catalog/schemas``), lets requests to
loopback through (the node under test, including the extension schemas it serves), and refuses
anything else, recording it, so a test can assert that nothing tried to leave the machine.

Run as ``python -m tests.helpers.offline_stac_validator ARGS`` (the validator's own arguments);
the exit code is the validator's. Refused URLs are printed on stderr as ``OFFLINE-REFUSED url``.
"""

from __future__ import annotations

import email.message
import io
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
from requests.models import Response

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FOLDERS = (ROOT.parent / "shared" / "stac-schemas", ROOT / "catalog" / "schemas")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def local_schema(url: str) -> bytes | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    relative = parts.hostname + parts.path
    for folder in SCHEMA_FOLDERS:
        candidate = (folder / relative).resolve()
        if candidate.is_relative_to(folder.resolve()) and candidate.is_file():
            return candidate.read_bytes()
    return None


def _is_loopback(url: str) -> bool:
    return urlsplit(url).hostname in LOOPBACK


def _refuse(url: str) -> None:
    print(f"OFFLINE-REFUSED {url}", file=sys.stderr)


_send = requests.adapters.HTTPAdapter.send


def _offline_send(
    self: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any
) -> Response:
    url = request.url or ""
    if _is_loopback(url):
        return _send(self, request, **kwargs)
    body = local_schema(url)
    if body is None:
        _refuse(url)
        raise requests.ConnectionError(f"offline: {url} is not a shipped schema")
    response = Response()
    response.status_code = 200
    response._content = body
    response.headers["Content-Type"] = "application/json"
    response.url = url
    response.request = request
    return response


_open = urllib.request.OpenerDirector.open


def _offline_open(
    self: urllib.request.OpenerDirector, fullurl: Any, *args: Any, **kwargs: Any
) -> Any:
    url = fullurl.full_url if isinstance(fullurl, urllib.request.Request) else str(fullurl)
    if _is_loopback(url):
        return _open(self, fullurl, *args, **kwargs)
    body = local_schema(url)
    if body is None:
        _refuse(url)
        raise urllib.error.URLError(f"offline: {url} is not a shipped schema")
    headers = email.message.Message()
    headers["Content-Type"] = "application/json"
    return urllib.response.addinfourl(io.BytesIO(body), headers, url, 200)


def install() -> None:
    requests.adapters.HTTPAdapter.send = _offline_send  # type: ignore[method-assign]
    urllib.request.OpenerDirector.open = _offline_open  # type: ignore[method-assign]


def main() -> None:
    install()
    from stac_api_validator.__main__ import main as validator_main

    validator_main(prog_name="stac-api-validator")


if __name__ == "__main__":
    main()
