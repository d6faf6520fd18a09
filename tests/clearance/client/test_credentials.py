"""The client's stored logins: private files, expiry, refusal of readable or foreign files."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clearance.client.credentials import forget, load, resolve_token, save, token_expiry
from clearance.client.http import ClientError

URL = "https://node.example/"
EXPIRES = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)


def _jwt(claims: object) -> str:
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJFUzI1NiJ9.{body}.c2ln"


TOKEN = _jwt({"sub": "ann", "exp": int(EXPIRES.timestamp())})


def test_save_load_forget(tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    login = save(URL, "ann", TOKEN, folder)
    assert (login.url, login.user, login.expires) == ("https://node.example", "ann", EXPIRES)
    assert folder.stat().st_mode & 0o777 == 0o700
    assert (folder / "logins.json").stat().st_mode & 0o777 == 0o600
    assert load("https://node.example", folder) == login
    assert load("https://other.example", folder) is None
    assert [p.name for p in folder.iterdir()] == ["logins.json"]  # no temporary file left
    assert forget(URL, folder) is True
    assert forget(URL, folder) is False
    assert load(URL, folder) is None


def test_resolve_prefers_the_given_token_then_the_login(tmp_path: Path) -> None:
    save(URL, "ann", TOKEN, tmp_path)
    before = EXPIRES - timedelta(minutes=1)
    assert resolve_token(URL, "explicit", before, tmp_path) == "explicit"
    assert resolve_token(URL, None, before, tmp_path) == TOKEN
    with pytest.raises(ClientError) as info:
        resolve_token(URL, None, EXPIRES, tmp_path)
    assert info.value.code == "login-expired"
    assert info.value.hint == "log in again with: clearance login --url https://node.example"


def test_not_logged_in_says_how(tmp_path: Path) -> None:
    with pytest.raises(ClientError) as info:
        resolve_token(URL, None, EXPIRES, tmp_path)
    assert info.value.code == "not-logged-in"
    assert "clearance login --url https://node.example" in (info.value.hint or "")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    save(URL, "ann", TOKEN, tmp_path / "cfg")
    (tmp_path / "cfg" / "logins.json").chmod(mode)
    with pytest.raises(ClientError) as info:
        load(URL, tmp_path / "cfg")
    assert info.value.code == "config-not-private"
    assert info.value.hint == f"chmod 600 {tmp_path / 'cfg' / 'logins.json'}"


def test_a_folder_others_can_read_is_refused(tmp_path: Path) -> None:
    save(URL, "ann", TOKEN, tmp_path / "cfg")
    (tmp_path / "cfg").chmod(0o755)
    with pytest.raises(ClientError) as info:
        load(URL, tmp_path / "cfg")
    assert info.value.code == "config-not-private"


@pytest.mark.parametrize("content", [b"", b"[]", b'{"nodes": 3}', b"\xff\xfe", b"{" * 5000])
def test_a_file_that_is_not_ours_is_an_error_not_a_crash(tmp_path: Path, content: bytes) -> None:
    tmp_path.chmod(0o700)
    path = tmp_path / "logins.json"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(ClientError) as info:
        load(URL, tmp_path)
    assert info.value.code == "config-unreadable"


@pytest.mark.parametrize(
    "token",
    ["", "a.b", "a.b.c.d", "x." + "A" * 20000 + ".y", _jwt({"sub": "ann"}), _jwt(["exp"]),
     _jwt({"exp": "soon"}), _jwt({"exp": 10**20}), "a.!!!.c"],
)  # fmt: skip
def test_tokens_without_a_valid_expiry_are_refused(token: str) -> None:
    with pytest.raises(ClientError) as info:
        token_expiry(token)
    assert info.value.code == "bad-token"
