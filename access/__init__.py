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

from typing import TYPE_CHECKING

from access.lazy import lazy_face as lazy_face

# --- public face: a name another package needs goes here (and into __all__) ---
if TYPE_CHECKING:
    from access.audit_chain import EntryFields as EntryFields
    from access.audit_log import AuditError as AuditError
    from access.audit_log import AuditLog as AuditLog
    from access.audit_log import Decision as Decision
    from access.audit_log import read_public_jwk as read_public_jwk
    from access.audit_view import AuditQuery as AuditQuery
    from access.audit_view_store import AuditReader as AuditReader
    from access.clock import Clock as Clock
    from access.clock import FixedClock as FixedClock
    from access.clock import SystemClock as SystemClock
    from access.clock import utcnow as utcnow
    from access.db import Base as Base
    from access.db import JsonDoc as JsonDoc
    from access.db import UtcDateTime as UtcDateTime
    from access.directory import Directory as Directory
    from access.directory import UserInfo as UserInfo
    from access.encoding import StrictJsonError as StrictJsonError
    from access.encoding import exact_members as exact_members
    from access.encoding import json_object as json_object
    from access.encoding import strict_json as strict_json
    from access.encoding import utc_text as utc_text
    from access.errors import AccessError as AccessError
    from access.errors import AuthenticationError as AuthenticationError
    from access.errors import BodyTimeout as BodyTimeout
    from access.errors import BodyTooLarge as BodyTooLarge
    from access.errors import ClearanceError as ClearanceError
    from access.errors import Conflict as Conflict
    from access.errors import InvalidInput as InvalidInput
    from access.errors import NotFound as NotFound
    from access.errors import PermissionDenied as PermissionDenied
    from access.errors import TooManyRequests as TooManyRequests
    from access.es256 import P256_ORDER as P256_ORDER
    from access.es256 import sign_raw as sign_raw
    from access.es256 import verify_raw as verify_raw
    from access.grant_policy import AllOf as AllOf
    from access.grant_policy import AllowsOperation as AllowsOperation
    from access.grant_policy import AnyOf as AnyOf
    from access.grant_policy import Audience as Audience
    from access.grant_policy import BoundTo as BoundTo
    from access.grant_policy import UnsafeNoRevocationCheck as UnsafeNoRevocationCheck
    from access.grant_policy import read_jwks as read_jwks
    from access.grant_policy import trusted_keys as trusted_keys
    from access.grant_policy import verify as verify
    from access.grant_service import GrantService as GrantService
    from access.grants import MAX_SKEW as MAX_SKEW
    from access.grants import Grant as Grant
    from access.grants import GrantDenied as GrantDenied
    from access.grants import GrantError as GrantError
    from access.grants import (
        UNSAFE_decode_without_verification as UNSAFE_decode_without_verification,
    )
    from access.grants import audience_owner as audience_owner
    from access.grants import enclave_audience as enclave_audience
    from access.grants import item_set_hash as item_set_hash
    from access.grants import sign_grant as sign_grant
    from access.grants import transfer_audience as transfer_audience
    from access.grants import verify_grant as verify_grant
    from access.jws import ALLOWED_ALGORITHMS as ALLOWED_ALGORITHMS
    from access.jws import JwsError as JwsError
    from access.jws import canonical_json as canonical_json
    from access.jws import sign_compact as sign_compact
    from access.jws import verify_compact as verify_compact
    from access.keys import SigningKey as SigningKey
    from access.keys import generate_signing_key as generate_signing_key
    from access.keys import jwk_thumbprint as jwk_thumbprint
    from access.policy import NODE as NODE
    from access.policy import Action as Action
    from access.policy import EnclaveResource as EnclaveResource
    from access.policy import EvaluationResource as EvaluationResource
    from access.policy import HeldGrant as HeldGrant
    from access.policy import HoldingResource as HoldingResource
    from access.policy import ModelResource as ModelResource
    from access.policy import NewHoldingResource as NewHoldingResource
    from access.policy import Principal as Principal
    from access.policy import Resource as Resource
    from access.policy import decide as decide
    from access.policy import holding_id_owner as holding_id_owner
    from access.policy import may_discover as may_discover
    from access.recipient_key_store import RecipientKeyStore as RecipientKeyStore
    from access.request_service import RequestService as RequestService
    from access.request_states import Conditions as Conditions
    from access.request_states import Mode as Mode
    from access.request_states import NewRequest as NewRequest
    from access.request_states import PurposeCode as PurposeCode
    from access.request_store import HoldingCatalog as HoldingCatalog
    from access.request_store import RequestStore as RequestStore
    from access.tables import AdministrationRow as AdministrationRow
    from access.tables import AuditEntryRow as AuditEntryRow
    from access.throttle import LoginThrottle as LoginThrottle
    from access.throttle import RateWindow as RateWindow
    from access.throttle import parse_rate as parse_rate
    from access.tokens import TrustedKey as TrustedKey
    from access.tokens import admin_from_issuer as admin_from_issuer
    from access.tokens import verify_token as verify_token
    from access.vocabulary import ALL_PARTNERS as ALL_PARTNERS
    from access.vocabulary import PARTNERS as PARTNERS
    from access.vocabulary import Discovery as Discovery
    from access.vocabulary import Handling as Handling
    from access.vocabulary import Level as Level
    from access.vocabulary import Role as Role
    from access.vocabulary import parse_admin_code as parse_admin_code
    from access.vocabulary import parse_rel_to as parse_rel_to

_LAZY: dict[str, str] = {
    "ALLOWED_ALGORITHMS": "access.jws",
    "ALL_PARTNERS": "access.vocabulary",
    "PARTNERS": "access.vocabulary",
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
    "AuditQuery": "access.audit_view",
    "AuditReader": "access.audit_view_store",
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
    "UserInfo": "access.directory",
    "Discovery": "access.vocabulary",
    "EntryFields": "access.audit_chain",
    "FixedClock": "access.clock",
    "Grant": "access.grants",
    "GrantDenied": "access.grants",
    "GrantError": "access.grants",
    "GrantService": "access.grant_service",
    "Handling": "access.vocabulary",
    "EnclaveResource": "access.policy",
    "EvaluationResource": "access.policy",
    "HeldGrant": "access.policy",
    "HoldingCatalog": "access.request_store",
    "HoldingResource": "access.policy",
    "InvalidInput": "access.errors",
    "JsonDoc": "access.db",
    "JwsError": "access.jws",
    "Level": "access.vocabulary",
    "LoginThrottle": "access.throttle",
    "MAX_SKEW": "access.grants",
    "Mode": "access.request_states",
    "ModelResource": "access.policy",
    "NODE": "access.policy",
    "NewHoldingResource": "access.policy",
    "NewRequest": "access.request_states",
    "NotFound": "access.errors",
    "P256_ORDER": "access.es256",
    "sign_raw": "access.es256",
    "verify_raw": "access.es256",
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
    "jwk_thumbprint": "access.keys",
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

__all__ = ["lazy_face", *sorted(_LAZY)]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_face(__name__, _LAZY, globals(), __all__)

# --- end of the public face ---
