"""The directory on SQLite and on PostgreSQL: administrations, keys, users, tokens, login."""

from __future__ import annotations

import base64
import io
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import select, update

import access.directory as directory_module
from access.clock import FixedClock
from access.directory import Directory, UserInfo
from access.errors import AuthenticationError, Conflict, InvalidInput, NotFound
from access.keys import generate_signing_key
from access.passwords import needs_rehash
from access.policy import Principal
from access.tables import RevokedTokenRow, UserRow
from access.tokens import issue_token
from access.vocabulary import Level, Role
from clearance.node import Node

AUD = "urn:clearance:node:default"
PASSWORD = "correct horse battery"


def _kid(token: str) -> str:
    kid = jwt.get_unverified_header(token)["kid"]
    assert isinstance(kid, str)
    return kid


def _auth_error(directory: Directory, token: str, audience: str = AUD) -> AuthenticationError:
    with pytest.raises(AuthenticationError) as info:
        directory.authenticate(token, audience=audience)
    return info.value


def test_add_administration_creates_a_0600_key_file_and_a_jwks_entry(node: Node) -> None:
    directory = node.directory
    kid = directory.add_administration("NLD", "  Douane Nederland  ")
    path = node.settings.data_dir / "keys" / "NLD" / f"{kid}.pem"
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    assert directory.administrations() == [("NLD", "Douane Nederland")]
    jwks = directory.jwks()
    assert [k["kid"] for k in jwks["keys"]] == [kid]
    (entry,) = jwks["keys"]
    assert entry["kty"] == "EC"
    assert entry["alg"] == "ES256"
    assert "d" not in entry
    assert directory.jwks("NLD") == jwks
    assert directory.jwks("GBR") == {"keys": []}
    assert directory.signing_key("NLD").kid == kid
    assert set(directory.trusted_keys()) == {kid}
    assert directory.trusted_keys()[kid].admin == "NLD"


def test_duplicate_administration_is_a_conflict_and_leaves_no_key_behind(node: Node) -> None:
    directory = node.directory
    kid = directory.add_administration("NLD", "Netherlands")
    with pytest.raises(Conflict):
        directory.add_administration("NLD", "Netherlands again")
    assert [p.name for p in (node.settings.keys_dir / "NLD").iterdir()] == [f"{kid}.pem"]
    assert [k["kid"] for k in directory.jwks()["keys"]] == [kid]
    assert directory.administrations() == [("NLD", "Netherlands")]


def test_add_administration_refuses_bad_input(node: Node) -> None:
    directory = node.directory
    for code in ("nld", "NL", "NLD1", ""):
        with pytest.raises(InvalidInput, match="three upper-case letters"):
            directory.add_administration(code, "x")
    for name in ("", "   ", "x" * 201):
        with pytest.raises(InvalidInput):
            directory.add_administration("NLD", name)
    assert directory.administrations() == []
    assert directory.jwks() == {"keys": []}
    assert not (node.settings.keys_dir / "NLD").exists() or not any(
        (node.settings.keys_dir / "NLD").iterdir()
    )


def test_users(node: Node) -> None:
    directory = node.directory
    directory.add_administration("NLD", "Netherlands")
    info = directory.add_user(
        "alice", admin="NLD", roles=[Role.STEWARD, Role.RESEARCHER], clearance=Level.R2
    )
    assert info == UserInfo("alice", "NLD", (Role.RESEARCHER, Role.STEWARD), Level.R2)
    assert directory.user("alice") == info
    assert info.principal() == Principal(
        "alice", "NLD", frozenset({Role.RESEARCHER, Role.STEWARD}), Level.R2
    )
    bob = directory.add_user("bob.2_x-y", admin="NLD", roles=[Role.AUDITOR], clearance=Level.R0)
    assert directory.users() == [info, bob]
    with pytest.raises(Conflict):
        directory.add_user("alice", admin="NLD", roles=[Role.AUDITOR], clearance=Level.R0)
    assert directory.user("alice") == info  # unchanged by the refused duplicate


def test_add_user_refuses_bad_input(node: Node) -> None:
    directory = node.directory
    directory.add_administration("NLD", "Netherlands")
    with pytest.raises(InvalidInput, match="R4"):
        directory.add_user("carol", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R4)
    with pytest.raises(InvalidInput, match="role"):
        directory.add_user("carol", admin="NLD", roles=[], clearance=Level.R1)
    for name in ("", "Alice", "-alice", ".alice", "a" * 65, "al ice", "alïce", "alice\n", "a/b"):
        with pytest.raises(InvalidInput, match="user name"):
            directory.add_user(name, admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R1)
    directory.add_user("a" * 64, admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R1)
    with pytest.raises(NotFound):
        directory.add_user("carol", admin="GBR", roles=[Role.RESEARCHER], clearance=Level.R1)
    assert [u.name for u in directory.users()] == ["a" * 64]


def test_not_found(node: Node) -> None:
    directory = node.directory
    with pytest.raises(NotFound):
        directory.user("nobody")
    with pytest.raises(NotFound):
        directory.rotate_key("GBR")
    with pytest.raises(NotFound):
        directory.retire_key("no-such-kid")
    with pytest.raises(NotFound):
        directory.signing_key("GBR")
    with pytest.raises(NotFound):
        directory.issue_token("nobody", audience=AUD)


def test_issue_token_and_authenticate(node: Node) -> None:
    directory = node.directory
    directory.add_administration("NLD", "Netherlands")
    directory.add_user("alice", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R3)
    token = directory.issue_token("alice", audience=AUD)
    assert directory.authenticate(token, audience=AUD) == Principal(
        "alice", "NLD", frozenset({Role.RESEARCHER}), Level.R3
    )
    assert _auth_error(directory, token, audience="urn:clearance:node:other").code == (
        "token-wrong-audience"
    )
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 8 * 3600  # the default lifetime


def test_tokens_expire_on_the_directory_clock(node: Node) -> None:
    clock = FixedClock(datetime(2026, 5, 1, 8, 0, tzinfo=UTC))
    directory = Directory(node.sessions, node.settings.keys_dir, clock)
    directory.add_administration("NLD", "Netherlands")
    directory.add_user("alice", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R1)
    token = directory.issue_token("alice", audience=AUD, ttl=timedelta(minutes=5))
    clock.advance(timedelta(minutes=5, seconds=59))
    assert directory.authenticate(token, audience=AUD).user == "alice"
    clock.advance(timedelta(seconds=2))
    assert _auth_error(directory, token).code == "token-expired"


def test_rotate_key_keeps_old_tokens_valid_and_signs_with_the_new_key(node: Node) -> None:
    directory = node.directory
    old_kid = directory.add_administration("NLD", "Netherlands")
    directory.add_user("alice", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R1)
    old_token = directory.issue_token("alice", audience=AUD)
    new_kid = directory.rotate_key("NLD")
    assert new_kid != old_kid
    assert directory.authenticate(old_token, audience=AUD).user == "alice"
    new_token = directory.issue_token("alice", audience=AUD)
    assert _kid(old_token) == old_kid
    assert _kid(new_token) == new_kid
    assert directory.authenticate(new_token, audience=AUD).user == "alice"
    assert {k["kid"] for k in directory.jwks("NLD")["keys"]} == {old_kid, new_kid}
    key_files = {p.name for p in (node.settings.keys_dir / "NLD").iterdir()}
    assert key_files == {f"{old_kid}.pem", f"{new_kid}.pem"}


def test_rotate_key_uses_the_new_key_even_when_the_clock_stands_still(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two keys whose kids sort so that the OLD one comes first: deterministic, not a coin toss.
    first, second = sorted((generate_signing_key(), generate_signing_key()), key=lambda k: k.kid)
    queue = [first, second]
    monkeypatch.setattr(directory_module, "generate_signing_key", lambda: queue.pop(0))
    directory = Directory(
        node.sessions, node.settings.keys_dir, FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    )
    directory.add_administration("NLD", "Netherlands")
    new_kid = directory.rotate_key("NLD")
    assert new_kid == second.kid
    assert directory.signing_key("NLD").kid == new_kid


def test_retire_key_rejects_its_tokens(node: Node) -> None:
    directory = node.directory
    old_kid = directory.add_administration("NLD", "Netherlands")
    directory.add_user("alice", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R1)
    old_token = directory.issue_token("alice", audience=AUD)
    new_kid = directory.rotate_key("NLD")
    directory.retire_key(old_kid)
    assert _auth_error(directory, old_token).code == "token-unknown-key"
    assert [k["kid"] for k in directory.jwks()["keys"]] == [new_kid]
    assert set(directory.trusted_keys()) == {new_kid}
    fresh = directory.issue_token("alice", audience=AUD)
    assert _kid(fresh) == new_kid
    assert directory.authenticate(fresh, audience=AUD).user == "alice"
    directory.retire_key(new_kid)
    with pytest.raises(NotFound):
        directory.signing_key("NLD")


def test_login(node: Node) -> None:
    directory = node.directory
    directory.add_administration("NLD", "Netherlands")
    directory.add_user(
        "alice", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R2, password=PASSWORD
    )
    directory.add_user("nopass", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R2)
    token = directory.login("alice", PASSWORD, audience=AUD)
    assert directory.authenticate(token, audience=AUD).user == "alice"

    failures = []
    for name, password in [
        ("alice", "wrong password, long enough"),
        ("alice", ""),
        ("mallory", PASSWORD),  # no such user
        ("nopass", PASSWORD),  # user without a password
        ("nopass", ""),
        ("Not A Valid Name", PASSWORD),
    ]:
        with pytest.raises(AuthenticationError) as info:
            directory.login(name, password, audience=AUD)
        failures.append((info.value.code, str(info.value)))
    assert set(failures) == {("login-failed", "user name or password is wrong")}


def _login_entries(node: Node) -> list[tuple[str, str, str, str]]:
    out = io.StringIO()
    node.audit.export(out)
    entries = [json.loads(line) for line in out.getvalue().splitlines()]
    return [(e["actor"], e["admin"], e["decision"], e["reason"]) for e in entries
            if e["action"] == "login"]  # fmt: skip


def test_logins_and_failed_logins_are_audited(node: Node) -> None:
    directory = node.directory
    directory.add_administration("NLD", "Netherlands")
    directory.add_user(
        "alice", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R2, password=PASSWORD
    )
    directory.login("alice", PASSWORD, audience=AUD)
    for name, password in [("alice", "wrong password, long enough"), ("mallory", PASSWORD),
                           ("hunter2 is my password", PASSWORD)]:  # fmt: skip
        with pytest.raises(AuthenticationError):
            directory.login(name, password, audience=AUD)
    wrong = "user name or password is wrong"
    assert _login_entries(node) == [
        ("alice", "NLD", "allow", "password accepted"),
        ("alice", "NLD", "deny", wrong),
        ("mallory", "", "deny", wrong),
        ("(not a user name)", "", "deny", wrong),  # it may be a mistyped password
    ]
    assert node.audit.verify().ok


def _legacy_hash(password: str) -> str:
    """A hash as the node made it before N was raised to 2^17 (N=2^14, r=8, p=1)."""
    salt = os.urandom(16)
    derived = Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(password.encode())
    b64 = base64.b64encode
    return f"scrypt$16384$8$1${b64(salt).decode()}${b64(derived).decode()}"


def _stored_hash(node: Node, name: str) -> str | None:
    with node.sessions() as session:
        return session.scalar(select(UserRow.password_hash).where(UserRow.name == name))


def test_login_rehashes_an_older_hash_once(node: Node) -> None:
    directory = node.directory
    directory.add_administration("NLD", "Netherlands")
    directory.add_user("alice", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R2)
    legacy = _legacy_hash(PASSWORD)
    with node.sessions.begin() as session:
        session.execute(update(UserRow).values(password_hash=legacy))
    with pytest.raises(AuthenticationError):
        directory.login("alice", "wrong password, long enough", audience=AUD)
    assert _stored_hash(node, "alice") == legacy  # a failed login changes nothing

    directory.login("alice", PASSWORD, audience=AUD)
    upgraded = _stored_hash(node, "alice")
    assert upgraded is not None and upgraded.startswith("scrypt$131072$8$1$")
    assert not needs_rehash(upgraded)
    directory.login("alice", PASSWORD, audience=AUD)  # the new hash verifies, and stays
    assert _stored_hash(node, "alice") == upgraded


def test_add_user_with_a_short_password_is_refused(node: Node) -> None:
    directory = node.directory
    directory.add_administration("NLD", "Netherlands")
    with pytest.raises(InvalidInput, match="at least 12"):
        directory.add_user(
            "alice", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R1, password="short"
        )
    with pytest.raises(NotFound):
        directory.user("alice")


def test_token_for_a_user_that_does_not_exist(node: Node) -> None:
    directory = node.directory
    directory.add_administration("NLD", "Netherlands")
    key = directory.signing_key("NLD")
    ghost = issue_token(
        key, user="ghost", admin="NLD", audience=AUD, now=node.clock.now(), ttl=timedelta(hours=1)
    )
    assert _auth_error(directory, ghost).code == "token-unknown-user"


def test_administration_cannot_vouch_for_a_user_of_another(node: Node) -> None:
    """NLD's key signs a token naming GBR's user: the user exists, but not under that issuer."""
    directory = node.directory
    directory.add_administration("NLD", "Netherlands")
    directory.add_administration("GBR", "United Kingdom")
    directory.add_user("gbr.officer", admin="GBR", roles=[Role.OPERATOR], clearance=Level.R3)
    forged = issue_token(
        directory.signing_key("NLD"),
        user="gbr.officer",
        admin="NLD",
        audience=AUD,
        now=node.clock.now(),
        ttl=timedelta(hours=1),
    )
    assert _auth_error(directory, forged).code == "token-unknown-user"
    # ... and claiming GBR as issuer with NLD's key is a wrong issuer
    mislabelled = issue_token(
        directory.signing_key("NLD"),
        user="gbr.officer",
        admin="GBR",
        audience=AUD,
        now=node.clock.now(),
        ttl=timedelta(hours=1),
    )
    assert _auth_error(directory, mislabelled).code == "token-wrong-issuer"
    genuine = directory.issue_token("gbr.officer", audience=AUD)
    assert directory.authenticate(genuine, audience=AUD).admin == "GBR"


def test_signing_key_refuses_a_key_file_others_can_read(node: Node) -> None:
    directory = node.directory
    kid = directory.add_administration("NLD", "Netherlands")
    path: Path = node.settings.keys_dir / "NLD" / f"{kid}.pem"
    path.chmod(0o644)
    with pytest.raises(PermissionError):
        directory.signing_key("NLD")


# --- signing out ----------------------------------------------------------------------------------


def _revoked(node: Node) -> list[str]:
    with node.sessions() as session:
        return sorted(session.scalars(select(RevokedTokenRow.jti)))


def test_a_revoked_token_is_refused_and_the_others_are_not(node: Node) -> None:
    directory = node.directory
    directory.add_administration("NLD", "Netherlands")
    directory.add_user("alice", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R1)
    ended, other = (directory.issue_token("alice", audience=AUD) for _ in range(2))
    assert directory.revoke_token(ended, audience=AUD).user == "alice"
    assert _auth_error(directory, ended).code == "token-revoked"
    assert directory.authenticate(other, audience=AUD).user == "alice"  # another login lives on
    assert _auth_error(directory, ended).code == "token-revoked"  # ending it again: refused
    with pytest.raises(AuthenticationError) as again:
        directory.revoke_token(ended, audience=AUD)
    assert again.value.code == "token-revoked"
    assert _revoked(node) == [jwt.decode(ended, options={"verify_signature": False})["jti"]]
    out = io.StringIO()
    node.audit.export(out)
    logouts = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(e["actor"], e["decision"]) for e in logouts if e["action"] == "logout"] == [
        ("alice", "allow")
    ]
    assert node.audit.verify().ok


def test_a_token_that_does_not_verify_cannot_be_revoked(node: Node) -> None:
    directory = node.directory
    directory.add_administration("NLD", "Netherlands")
    directory.add_user("alice", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R1)
    token = directory.issue_token("alice", audience=AUD)
    head, payload, signature = token.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    forged = f"{head}.{payload}.{flipped}"
    for bad, code in [(forged, "token-bad-signature"), ("nonsense", "token-malformed")]:
        with pytest.raises(AuthenticationError) as info:
            directory.revoke_token(bad, audience=AUD)
        assert info.value.code == code
    with pytest.raises(AuthenticationError) as elsewhere:
        directory.revoke_token(token, audience="urn:clearance:node:other")
    assert elsewhere.value.code == "token-wrong-audience"
    assert _revoked(node) == []
    assert directory.authenticate(token, audience=AUD).user == "alice"


def test_records_of_expired_tokens_are_purged_at_the_next_sign_out(node: Node) -> None:
    clock = FixedClock(datetime(2026, 5, 1, 8, 0, tzinfo=UTC))
    directory = Directory(node.sessions, node.settings.keys_dir, clock)
    directory.add_administration("NLD", "Netherlands")
    directory.add_user("alice", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R1)
    short = directory.issue_token("alice", audience=AUD, ttl=timedelta(minutes=5))
    long = directory.issue_token("alice", audience=AUD, ttl=timedelta(hours=2))
    directory.revoke_token(short, audience=AUD)
    clock.advance(timedelta(minutes=5, seconds=30))  # expired, but within the allowed skew
    assert _auth_error(directory, short).code == "token-revoked"
    later = directory.issue_token("alice", audience=AUD)
    directory.revoke_token(later, audience=AUD)
    assert len(_revoked(node)) == 2  # the short one is still accepted by signature: kept
    clock.advance(timedelta(minutes=1))
    directory.revoke_token(long, audience=AUD)
    assert _auth_error(directory, short).code == "token-expired"
    claims = [jwt.decode(t, options={"verify_signature": False})["jti"] for t in (later, long)]
    assert _revoked(node) == sorted(claims)
