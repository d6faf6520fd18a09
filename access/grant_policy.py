"""Verifying a grant on the client side: trusted keys built one way, the rest as policy values.

In the style of sigstore-python's verification policies, what a client requires of a grant is a
value composed of small policies, each of which refuses what it should with the code
:mod:`access.grants` documents::

    policy = AllOf(
        Audience(transfer_audience(owner)),
        AllowsOperation("download"),
        BoundTo(my_public_key),
        UnsafeNoRevocationCheck(),  # the node checks revocation on every request
    )
    grant = verify(token, keys=trusted_keys(jwks, owner), now=now, policy=policy)

:func:`verify` runs the envelope, issuer, time and body checks of :func:`access.grants.verify_grant`
(steps 1–7, the audience excepted) and then the policy. A policy that says nothing about
revocation does not verify: :class:`AllOf` requires exactly one revocation stance among its
members, :class:`NotRevoked` (a lookup) or :class:`UnsafeNoRevocationCheck` (the named bypass,
for a client that cannot know and relies on the node to check).

Policies raise :class:`~access.grants.GrantError` (the grant is not for us: 401 codes) or
:class:`~access.grants.GrantDenied` (a genuine grant that does not cover this: 403 codes).
The node's own check stays :func:`access.grants.verify_grant`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from access.encoding import strict_json
from access.grants import (
    OPERATIONS,
    Grant,
    GrantDenied,
    GrantError,
    _authentic_grant,
    audience_owner,
)
from access.keys import public_key_from_jwk
from access.tokens import TrustedKey

__all__ = [
    "AllOf",
    "AllowsOperation",
    "AnyOf",
    "Audience",
    "BoundTo",
    "ForHolding",
    "GrantPolicy",
    "Issuer",
    "NotRevoked",
    "UnsafeNoRevocationCheck",
    "read_jwks",
    "trusted_keys",
    "verify",
]

MAX_JWKS_BYTES = 1 << 20


class GrantPolicy(Protocol):
    """Something a grant must satisfy; ``verify`` raises ``GrantError``/``GrantDenied`` if not."""

    def verify(self, grant: Grant) -> None: ...


class _RevocationStance:
    """Marks the policies that say how revocation is handled (exactly one per verification)."""


@dataclass(frozen=True)
class NotRevoked(_RevocationStance):
    """``check(jti)`` must return exactly ``False`` (fails closed; its exceptions propagate)."""

    check: Callable[[str], bool]

    def verify(self, grant: Grant) -> None:
        if self.check(grant.jti) is not False:
            raise GrantDenied("grant has been revoked", code="grant-revoked")


@dataclass(frozen=True)
class UnsafeNoRevocationCheck(_RevocationStance):
    """No revocation check at all: for a client that cannot know, when the node it talks to
    checks revocation on every request. Named so that the bypass is visible where it is used."""

    def verify(self, grant: Grant) -> None:
        return None


@dataclass(frozen=True)
class Issuer:
    """Issued (and signed) by the administration ``admin``."""

    admin: str

    def verify(self, grant: Grant) -> None:
        if grant.issuer_admin != self.admin:
            raise GrantError(
                "grant is not issued by the expected administration", code="grant-wrong-issuer"
            )


@dataclass(frozen=True)
class Audience:
    """Addressed to the service ``audience`` (``urn:clearance:transfer:<ADMIN>`` …)."""

    audience: str

    def __post_init__(self) -> None:
        if audience_owner(self.audience) is None:
            raise ValueError("audience must be a transfer or enclave service audience")

    def verify(self, grant: Grant) -> None:
        if grant.audience != self.audience:
            raise GrantError("grant is not addressed to this service", code="grant-wrong-audience")


@dataclass(frozen=True)
class ForHolding:
    """Covers the holding ``holding``."""

    holding: str

    def verify(self, grant: Grant) -> None:
        if grant.holding != self.holding:
            raise GrantDenied("grant does not cover this holding", code="grant-wrong-holding")


@dataclass(frozen=True)
class AllowsOperation:
    """Allows ``operation`` (``download`` or ``evaluate``)."""

    operation: str

    def __post_init__(self) -> None:
        if self.operation not in OPERATIONS:
            raise ValueError(f"operation must be one of {OPERATIONS}")

    def verify(self, grant: Grant) -> None:
        if self.operation not in grant.operations:
            raise GrantDenied(
                f"grant does not allow {self.operation!r}", code="grant-operation-not-allowed"
            )


@dataclass(frozen=True)
class BoundTo:
    """Bound (``cnf``) to the Crypt4GH public key ``recipient_key``: data under it is only ever
    encrypted to that key, so a grant bound to another is of no use to us."""

    recipient_key: bytes

    def verify(self, grant: Grant) -> None:
        if grant.recipient_key != self.recipient_key:
            raise GrantDenied(
                "the grant is bound to another Crypt4GH key than the one given",
                code="grant-other-key",
            )


class AllOf:
    """Every policy, in order; the first refusal stands. Exactly one member (at the top level)
    must state how revocation is handled: :class:`NotRevoked` or
    :class:`UnsafeNoRevocationCheck`."""

    def __init__(self, *policies: GrantPolicy) -> None:
        if not policies:
            raise ValueError("AllOf needs at least one policy")
        stances = [p for p in policies if isinstance(p, _RevocationStance)]
        if len(stances) != 1:
            raise ValueError(
                "say once how revocation is handled: NotRevoked(check) or UnsafeNoRevocationCheck()"
            )
        self.policies = policies

    def verify(self, grant: Grant) -> None:
        for policy in self.policies:
            policy.verify(grant)


class AnyOf:
    """At least one policy; when none holds, the first one's refusal stands."""

    def __init__(self, *policies: GrantPolicy) -> None:
        if not policies:
            raise ValueError("AnyOf needs at least one policy")
        self.policies = policies

    def verify(self, grant: Grant) -> None:
        first: GrantError | GrantDenied | None = None
        for policy in self.policies:
            try:
                policy.verify(grant)
            except (GrantError, GrantDenied) as exc:
                first = first or exc
                continue
            return
        assert first is not None
        raise first


def verify(token: str, *, keys: Mapping[str, TrustedKey], now: datetime, policy: AllOf) -> Grant:
    """The grant ``token`` carries, once it verifies against ``keys`` at ``now`` and satisfies
    ``policy``; ``GrantError``/``GrantDenied`` otherwise."""
    if not isinstance(policy, AllOf):
        raise TypeError("the policy must be an AllOf(...) that states how revocation is handled")
    grant = _authentic_grant(token, keys, now, None)
    policy.verify(grant)
    return grant


def trusted_keys(jwks: Mapping[str, Any], owner: str) -> dict[str, TrustedKey]:
    """The usable signing keys of ``owner`` in a JWKS (``{"keys": [...]}``) by ``kid``; entries
    that are not an ES256 public key with a ``kid`` are left out (the result may be empty)."""
    keys: dict[str, TrustedKey] = {}
    entries = jwks.get("keys", []) if isinstance(jwks, Mapping) else []
    for jwk in entries if isinstance(entries, list) else []:
        try:
            keys[str(jwk["kid"])] = TrustedKey(str(jwk["kid"]), owner, public_key_from_jwk(jwk))
        except (KeyError, TypeError, ValueError):
            continue
    return keys


def read_jwks(path: Path) -> dict[str, Any]:
    """A JWKS file (a pinned copy of an owner's keys), read as strict JSON."""
    value = strict_json(path.read_bytes(), max_bytes=MAX_JWKS_BYTES)
    if not isinstance(value, dict):
        raise ValueError(f"{path} is not a JWKS (a JSON object with a 'keys' list)")
    return value
