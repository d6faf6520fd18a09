"""Administrations, users, roles, restrictedness policy, requests, grants, keys and the audit log.

The base layer: it also holds the few primitives every other package shares (clock, ids, keys,
the SQLAlchemy declarative base). It imports no other Clearance package.

Public face. Other packages import from ``access`` only; its modules are private by
convention. The names load on first use (PEP 562), so importing one name does not load the rest (a
client command importing an error does not load SQLAlchemy or FastAPI). Route modules are not part
of the face: ``access.guard``, ``access.route_policy``, ``access.routes`` are imported by module
path by the composition root (``clearance``) and by other packages' routes only, the one allowed
exception.

Exceptions::

    ClearanceError(Exception)
    └── AccessError
        ├── AuditError
        ├── AuthenticationError
        │   └── GrantError
        ├── BodyTimeout
        ├── BodyTooLarge
        ├── Conflict
        ├── InvalidInput
        ├── JwsError
        ├── NotFound
        ├── PermissionDenied
        │   └── GrantDenied
        ├── StrictJsonError
        └── TooManyRequests
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# --- public face: a name another package needs goes here (and into __all__) ---
if TYPE_CHECKING:
    from access.audit_chain import EntryFields
    from access.audit_log import AuditError, AuditLog, Decision, read_public_jwk
    from access.clock import Clock, FixedClock, SystemClock, utcnow
    from access.db import Base, JsonDoc, UtcDateTime
    from access.directory import Directory
    from access.encoding import StrictJsonError, exact_members, json_object, strict_json, utc_text
    from access.errors import (
        AccessError,
        AuthenticationError,
        BodyTimeout,
        BodyTooLarge,
        ClearanceError,
        Conflict,
        InvalidInput,
        NotFound,
        PermissionDenied,
        TooManyRequests,
    )
    from access.es256 import P256_ORDER
    from access.grant_policy import (
        AllOf,
        AllowsOperation,
        AnyOf,
        Audience,
        BoundTo,
        UnsafeNoRevocationCheck,
        read_jwks,
        trusted_keys,
        verify,
    )
    from access.grant_service import GrantService
    from access.grants import (
        MAX_SKEW,
        Grant,
        GrantDenied,
        GrantError,
        UNSAFE_decode_without_verification,
        audience_owner,
        enclave_audience,
        item_set_hash,
        sign_grant,
        transfer_audience,
        verify_grant,
    )
    from access.jws import (
        ALLOWED_ALGORITHMS,
        JwsError,
        canonical_json,
        sign_compact,
        verify_compact,
    )
    from access.keys import SigningKey, generate_signing_key
    from access.policy import (
        NODE,
        Action,
        HoldingResource,
        NewHoldingResource,
        Principal,
        Resource,
        decide,
        holding_id_owner,
        may_discover,
    )
    from access.recipient_key_store import RecipientKeyStore
    from access.request_service import RequestService
    from access.request_states import Conditions, Mode, NewRequest, PurposeCode
    from access.request_store import RequestStore
    from access.tables import AdministrationRow, AuditEntryRow
    from access.throttle import LoginThrottle, RateWindow, parse_rate
    from access.tokens import TrustedKey, admin_from_issuer, verify_token
    from access.vocabulary import (
        ALL_PARTNERS,
        Discovery,
        Handling,
        Level,
        Role,
        parse_admin_code,
        parse_rel_to,
    )

_LAZY: dict[str, str] = {
    "ALLOWED_ALGORITHMS": "access.jws",
    "ALL_PARTNERS": "access.vocabulary",
    "AccessError": "access.errors",
    "Action": "access.policy",
    "AdministrationRow": "access.tables",
    "AllOf": "access.grant_policy",
    "AllowsOperation": "access.grant_policy",
    "AnyOf": "access.grant_policy",
    "Audience": "access.grant_policy",
    "AuditEntryRow": "access.tables",
    "AuditError": "access.audit_log",
    "AuditLog": "access.audit_log",
    "AuthenticationError": "access.errors",
    "Base": "access.db",
    "BodyTimeout": "access.errors",
    "BodyTooLarge": "access.errors",
    "BoundTo": "access.grant_policy",
    "ClearanceError": "access.errors",
    "Clock": "access.clock",
    "Conditions": "access.request_states",
    "Conflict": "access.errors",
    "Decision": "access.audit_log",
    "Directory": "access.directory",
    "Discovery": "access.vocabulary",
    "EntryFields": "access.audit_chain",
    "FixedClock": "access.clock",
    "Grant": "access.grants",
    "GrantDenied": "access.grants",
    "GrantError": "access.grants",
    "GrantService": "access.grant_service",
    "Handling": "access.vocabulary",
    "HoldingResource": "access.policy",
    "InvalidInput": "access.errors",
    "JsonDoc": "access.db",
    "JwsError": "access.jws",
    "Level": "access.vocabulary",
    "LoginThrottle": "access.throttle",
    "MAX_SKEW": "access.grants",
    "Mode": "access.request_states",
    "NODE": "access.policy",
    "NewHoldingResource": "access.policy",
    "NewRequest": "access.request_states",
    "NotFound": "access.errors",
    "P256_ORDER": "access.es256",
    "PermissionDenied": "access.errors",
    "Principal": "access.policy",
    "PurposeCode": "access.request_states",
    "RateWindow": "access.throttle",
    "RecipientKeyStore": "access.recipient_key_store",
    "RequestService": "access.request_service",
    "RequestStore": "access.request_store",
    "Resource": "access.policy",
    "Role": "access.vocabulary",
    "SigningKey": "access.keys",
    "StrictJsonError": "access.encoding",
    "SystemClock": "access.clock",
    "TooManyRequests": "access.errors",
    "TrustedKey": "access.tokens",
    "UNSAFE_decode_without_verification": "access.grants",
    "UnsafeNoRevocationCheck": "access.grant_policy",
    "UtcDateTime": "access.db",
    "admin_from_issuer": "access.tokens",
    "audience_owner": "access.grants",
    "canonical_json": "access.jws",
    "decide": "access.policy",
    "enclave_audience": "access.grants",
    "exact_members": "access.encoding",
    "generate_signing_key": "access.keys",
    "holding_id_owner": "access.policy",
    "item_set_hash": "access.grants",
    "json_object": "access.encoding",
    "may_discover": "access.policy",
    "parse_admin_code": "access.vocabulary",
    "parse_rate": "access.throttle",
    "parse_rel_to": "access.vocabulary",
    "read_jwks": "access.grant_policy",
    "read_public_jwk": "access.audit_log",
    "sign_compact": "access.jws",
    "sign_grant": "access.grants",
    "strict_json": "access.encoding",
    "transfer_audience": "access.grants",
    "trusted_keys": "access.grant_policy",
    "utc_text": "access.encoding",
    "utcnow": "access.clock",
    "verify": "access.grant_policy",
    "verify_compact": "access.jws",
    "verify_grant": "access.grants",
    "verify_token": "access.tokens",
}

__all__ = [
    "ALLOWED_ALGORITHMS",
    "ALL_PARTNERS",
    "MAX_SKEW",
    "NODE",
    "P256_ORDER",
    "AccessError",
    "Action",
    "AdministrationRow",
    "AllOf",
    "AllowsOperation",
    "AnyOf",
    "Audience",
    "AuditEntryRow",
    "AuditError",
    "AuditLog",
    "AuthenticationError",
    "Base",
    "BodyTimeout",
    "BodyTooLarge",
    "BoundTo",
    "ClearanceError",
    "Clock",
    "Conditions",
    "Conflict",
    "Decision",
    "Directory",
    "Discovery",
    "EntryFields",
    "FixedClock",
    "Grant",
    "GrantDenied",
    "GrantError",
    "GrantService",
    "Handling",
    "HoldingResource",
    "InvalidInput",
    "JsonDoc",
    "JwsError",
    "Level",
    "LoginThrottle",
    "Mode",
    "NewHoldingResource",
    "NewRequest",
    "NotFound",
    "PermissionDenied",
    "Principal",
    "PurposeCode",
    "RateWindow",
    "RecipientKeyStore",
    "RequestService",
    "RequestStore",
    "Resource",
    "Role",
    "SigningKey",
    "StrictJsonError",
    "SystemClock",
    "TooManyRequests",
    "TrustedKey",
    "UNSAFE_decode_without_verification",
    "UnsafeNoRevocationCheck",
    "UtcDateTime",
    "admin_from_issuer",
    "audience_owner",
    "canonical_json",
    "decide",
    "enclave_audience",
    "exact_members",
    "generate_signing_key",
    "holding_id_owner",
    "item_set_hash",
    "json_object",
    "may_discover",
    "parse_admin_code",
    "parse_rate",
    "parse_rel_to",
    "read_jwks",
    "read_public_jwk",
    "sign_compact",
    "sign_grant",
    "strict_json",
    "transfer_audience",
    "trusted_keys",
    "utc_text",
    "utcnow",
    "verify",
    "verify_compact",
    "verify_grant",
    "verify_token",
]

if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))

# --- end of the public face ---
