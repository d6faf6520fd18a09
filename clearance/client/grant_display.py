"""``clearance grant show``: fetch a grant and verify it before printing it decoded.

Only a grant's subject may fetch its token; the owner's stewards and auditors get the grant's
metadata from the grant list instead (``verified`` is then ``None``: nothing was verified).

The owner's keys are fetched from the same node; that proves the grant was signed by the key the
node publishes for the owner, which is what a researcher can check. A transfer or enclave service
verifies against its pinned trust list instead.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from access import (
    AllOf,
    AnyOf,
    Audience,
    GrantError,
    UnsafeNoRevocationCheck,
    enclave_audience,
    transfer_audience,
    trusted_keys,
)
from access import verify as verify_grant
from clearance.client.http import ClientError, NodeClient

__all__ = ["fetch_and_verify"]

_SUBJECT_ONLY = "the token is for the grant's subject only (metadata shown)"


def _c4gh(public_key: bytes) -> str:
    """A Crypt4GH public key as everywhere else: the base64 of its 32 bytes (a .pub file's body,
    ``keys register``, the grant's ``cnf.c4gh_x25519``)."""
    return base64.b64encode(public_key).decode("ascii")


def _grant_json(grant: Any) -> dict[str, Any]:
    return {
        "jti": grant.jti,
        "issuer": grant.issuer,
        "subject": grant.subject,
        "audience": grant.audience,
        "holding": grant.holding,
        "holding_version": grant.holding_version,
        "items_sha256": grant.items_sha256,
        "operations": list(grant.operations),
        "request": grant.request,
        "conditions": dict(grant.conditions),
        "not_before": grant.not_before.isoformat(),
        "expires_at": grant.expires_at.isoformat(),
        "recipient_key": None if grant.recipient_key is None else _c4gh(grant.recipient_key),
    }


def fetch_and_verify(client: NodeClient, jti: str, now: datetime) -> dict[str, Any]:
    """The grant decoded and verified (its subject), or its listed metadata (the owner's
    stewards and auditors: the token itself is the subject's alone)."""
    listed = {g["jti"]: g for g in client.call("GET", "/access/grants")["grants"]}
    if jti not in listed:
        raise ClientError(404, "not-found", f"no grant {jti!r}")
    try:
        token = str(client.call("GET", f"/access/grants/{jti}")["token"])
    except ClientError as exc:
        if exc.code not in ("not-subject", "role-lacks-action"):
            raise
        return {**listed[jti], "verified": None, "token": None, "token_note": _SUBJECT_ONLY}
    status = listed[jti].get("status", "unknown")
    owner = str(listed[jti].get("owner", ""))
    jwks = client.call("GET", f"/administrations/{owner}/jwks.json")["keys"] if owner else []
    keys = trusted_keys({"keys": jwks}, owner)
    services = AnyOf(Audience(transfer_audience(owner)), Audience(enclave_audience(owner)))
    # Shown to its subject, who cannot know of a revocation; the grant list says its status.
    policy = AllOf(services, UnsafeNoRevocationCheck())
    try:
        grant = verify_grant(token, keys=keys, now=now, policy=policy)
    except GrantError as exc:
        if exc.code == "grant-wrong-audience":
            raise ClientError(
                0, "grant-wrong-audience", f"grant is not addressed to a service of {owner}"
            ) from None
        raise ClientError(0, exc.code, f"grant does NOT verify: {exc}") from None
    return {**_grant_json(grant), "verified": True, "status": status, "token": token}
