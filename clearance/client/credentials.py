"""Where ``clearance login`` keeps its tokens: one 0600 file in a 0700 folder, per node URL.

The folder is ``$CLEARANCE_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/clearance``, else
``~/.config/clearance``; the file is ``logins.json``::

    {"version": 1, "nodes": {"https://node.example": {"user": "alice", "token": "eyJ…",
                                                      "expires": "2026-12-06T18:00:00+00:00"}}}

A token's expiry is read from its own ``exp`` claim, without verifying it: the client only uses
it to say "log in again" before the node would refuse it; the node verifies every token. The file
is written atomically (a 0600 temporary file in the same folder, fsynced, renamed), and a file or
folder that others can read is refused, as ssh refuses a readable private key.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clearance.client.http import ClientError

__all__ = ["Login", "config_dir", "forget", "load", "resolve_token", "save", "token_expiry"]

_FILE = "logins.json"
_MAX_FILE = 1 << 20  # a few hundred logins; anything bigger is not ours
_MAX_TOKEN = 16 << 10


@dataclass(frozen=True)
class Login:
    url: str
    user: str
    token: str
    expires: datetime


def config_dir() -> Path:
    explicit = os.environ.get("CLEARANCE_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else Path.home() / ".config") / "clearance"


def node_key(url: str) -> str:
    return url.rstrip("/")


def token_expiry(token: str) -> datetime:
    """The ``exp`` claim of a JWT, unverified (see the module docstring)."""
    parts = token.split(".")
    if len(token) > _MAX_TOKEN or len(parts) != 3:
        raise ClientError(0, "bad-token", "the node answered with something that is not a token")
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (ValueError, KeyError, TypeError, OverflowError, binascii.Error):
        raise ClientError(0, "bad-token", "the node's token carries no valid expiry") from None


def _check_private(path: Path, what: str) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ClientError(
            0, "config-not-private", f"{what} {path} can be read by others: refusing to use it",
            hint=f"chmod {'700' if what == 'folder' else '600'} {path}",
        )  # fmt: skip


def _read(folder: Path) -> dict[str, Any]:
    path = folder / _FILE
    if not path.exists():
        return {}
    _check_private(folder, "folder")
    _check_private(path, "file")
    with path.open("rb") as handle:
        raw = handle.read(_MAX_FILE + 1)
    try:
        data = json.loads(raw) if len(raw) <= _MAX_FILE else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
        raise ClientError(
            0, "config-unreadable", f"{path} is not a logins file",
            hint=f"remove it and log in again: rm {path}",
        )  # fmt: skip
    return dict(data["nodes"])


def _write(folder: Path, nodes: dict[str, Any]) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _check_private(folder, "folder")
    body = json.dumps({"version": 1, "nodes": nodes}, indent=2, sort_keys=True).encode()
    fd, temporary = tempfile.mkstemp(prefix=".logins-", dir=folder)  # mkstemp: 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, folder / _FILE)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save(url: str, user: str, token: str, folder: Path | None = None) -> Login:
    login = Login(node_key(url), user, token, token_expiry(token))
    folder = folder or config_dir()
    nodes = _read(folder)
    nodes[login.url] = {"user": user, "token": token, "expires": login.expires.isoformat()}
    _write(folder, nodes)
    return login


def load(url: str, folder: Path | None = None) -> Login | None:
    entry = _read(folder or config_dir()).get(node_key(url))
    if not isinstance(entry, dict):
        return None
    try:
        return Login(node_key(url), str(entry["user"]), str(entry["token"]),
                     datetime.fromisoformat(str(entry["expires"])))  # fmt: skip
    except (KeyError, ValueError):
        return None


def forget(url: str, folder: Path | None = None) -> bool:
    folder = folder or config_dir()
    nodes = _read(folder)
    if nodes.pop(node_key(url), None) is None:
        return False
    _write(folder, nodes)
    return True


def resolve_token(url: str, token: str | None, now: datetime, folder: Path | None = None) -> str:
    """``token`` when given (``--token``/``CLEARANCE_TOKEN``), else the stored login for ``url``."""
    if token:
        return token
    login = load(url, folder)
    if login is None:
        raise ClientError(
            0, "not-logged-in", f"not logged in to {node_key(url)}",
            hint=f"log in with: clearance login --url {node_key(url)}",
        )  # fmt: skip
    if now >= login.expires:
        raise ClientError(
            0, "login-expired",
            f"your login to {login.url} as {login.user} expired at "
            f"{login.expires:%Y-%m-%d %H:%M} UTC",
            hint=f"log in again with: clearance login --url {login.url}",
        )  # fmt: skip
    return login.token
