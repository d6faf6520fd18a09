"""The error table: each row's status, headers and body for a sample error; what no row names is
a 500 that carries an incident id and nothing of the error's own text."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import access as access_errors
import catalog as catalog_errors
import models as models_errors
import transfer as blob_errors
import transfer as transfer_errors
from access import AuditError, GrantError, JwsError
from catalog import StacValidationError
from catalog.ingest import IngestError
from clearance.http.errors import TABLE, Row, install_error_handlers, row_of, status_of
from transfer import ManifestError

#: Headers some row sets: a row that does not name one must not send it.
SPECIAL = ("www-authenticate", "retry-after", "cache-control", "content-range", "upload-offset",
           "connection")  # fmt: skip
NO_STORE = {"cache-control": "no-store"}
CLOSE = {"connection": "close"}

# (sample error, status, headers, code, description)
CASES: list[tuple[Exception, int, dict[str, str], str, str]] = [
    (access_errors.AuthenticationError("bad token"), 401, {"www-authenticate": "Bearer"},
     "unauthenticated", "bad token"),
    (GrantError("expired", code="grant-expired"), 401, {"www-authenticate": "Bearer"},
     "grant-expired", "expired"),
    (access_errors.PermissionDenied("no", code="role-lacks-action"), 403, {}, "role-lacks-action",
     "no"),
    (access_errors.NotFound("no such user"), 404, {}, "not-found", "no such user"),
    (access_errors.Conflict("exists"), 409, {}, "conflict", "exists"),
    (access_errors.InvalidInput("bad id"), 400, {}, "invalid-input", "bad id"),
    (access_errors.BodyTooLarge("over 10 bytes"), 413, CLOSE, "body-too-large", "over 10 bytes"),
    (access_errors.BodyTimeout("too slow"), 408, CLOSE, "body-timeout", "too slow"),
    (access_errors.TooManyRequests("wait", retry_after=7), 429,
     {"retry-after": "7", **NO_STORE}, "rate-limited", "wait"),
    (catalog_errors.NotFound("no such holding"), 404, {}, "not-found", "no such holding"),
    (catalog_errors.InvalidQuery("limit: bad"), 400, {}, "invalid-query", "limit: bad"),
    (catalog_errors.FilterNotParsed("filter: crashed"), 400, {}, "filter-unparseable",
     "filter: crashed"),
    (catalog_errors.PublishError("bad folder"), 422, {}, "publish-failed", "bad folder"),
    (IngestError("scan.json", "views", "empty"), 422, {}, "publish-failed",
     "scan.json: views: empty"),
    (catalog_errors.Conflict("taken"), 409, {}, "conflict", "taken"),
    (transfer_errors.GrantRequired("needs a grant"), 403, {}, "grant-required", "needs a grant"),
    (transfer_errors.ObjectNotFound("no object"), 404, {}, "not-found", "no object"),
    (transfer_errors.StaleGrant("republished"), 409, {}, "holding-version-changed", "republished"),
    (transfer_errors.InvalidRange("bad range"), 400, {}, "range-malformed", "bad range"),
    (transfer_errors.InvalidObjectList("bad list"), 400, {}, "invalid-object-list", "bad list"),
    (transfer_errors.RangeNotSatisfiable("past the end", size=10), 416,
     {"content-range": "bytes */10"}, "range-not-satisfiable", "past the end"),
    (transfer_errors.TooManyRequests("slow down", retry_after=3), 429,
     {"retry-after": "3", **NO_STORE}, "too-many-requests", "slow down"),
    (transfer_errors.UploadNotFound("no upload"), 404, {}, "not-found", "no upload"),
    (transfer_errors.InvalidUpload("bad header"), 400, {}, "invalid-upload", "bad header"),
    (transfer_errors.PartDigestMismatch("digest"), 400, {}, "part-digest-mismatch", "digest"),
    (transfer_errors.UploadTooLarge("too big"), 413, CLOSE, "too-large", "too big"),
    (transfer_errors.OffsetMismatch("resume", offset=5), 409,
     {"upload-offset": "5", **NO_STORE}, "offset-mismatch", "resume"),
    (transfer_errors.UploadBusy("busy"), 409, {}, "upload-busy", "busy"),
    (transfer_errors.ArchiveDigestMismatch("sha"), 422, {}, "archive-digest-mismatch", "sha"),
    (transfer_errors.ArchiveError("unsafe member", member="../x"), 422, {}, "archive-refused",
     "unsafe member"),
    (blob_errors.BlobNotFound("holdings/NLD/secret-key"), 404, {}, "not-found",
     "object not found in the blob store"),
    (blob_errors.BlobRangeError("S3 get of 'k': /internal/range"), 416, {},
     "range-not-satisfiable", "range not satisfiable"),
    (models_errors.InvalidEvaluation("bad split"), 400, {}, "invalid-evaluation", "bad split"),
    (models_errors.EvaluationNotFound("no holding"), 404, {}, "not-found", "no holding"),
    (models_errors.EvaluationConflict("not awaiting review"), 409, {}, "evaluation-conflict",
     "not awaiting review"),
    (models_errors.BudgetExhausted(20, 20), 409, {}, "release-budget-exhausted",
     "the release budget is spent (20 of 20); nothing is released"),
    (models_errors.ModelNotFound(), 404, {}, "model-not-found", "no such model"),
    (models_errors.CardInvalid("mlm:name: bad"), 422, {}, "invalid-model-card", "mlm:name: bad"),
    (models_errors.AdmissionRefused("domain", "custom op"), 422, {}, "model-refused",
     "domain: custom op"),
    (models_errors.RecipeError("bands"), 422, {}, "invalid-input-recipe", "bands"),
]  # fmt: skip

INTERNAL = "/var/lib/clearance/internal detail"
#: Errors no row names: each is a 500 that says nothing of its text.
UNNAMED: list[Exception] = [
    transfer_errors.UploadError(INTERNAL),
    transfer_errors.TransferError(INTERNAL),
    blob_errors.BlobStoreError(INTERNAL),
    blob_errors.ChecksumMismatch(INTERNAL),
    ManifestError("manifest-bad", INTERNAL),
    JwsError("malformed", INTERNAL),
    StacValidationError("item", INTERNAL, []),
    AuditError(INTERNAL),
    access_errors.AccessError(INTERNAL),
    catalog_errors.CatalogError(INTERNAL),
    models_errors.LeaseLost(INTERNAL),
    models_errors.ModelsError(INTERNAL),
    RuntimeError(INTERNAL),
]


def _client(exc: Exception) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fail")
    def fail() -> None:
        raise exc

    return TestClient(app, raise_server_exceptions=False)


def test_every_row_has_a_case() -> None:
    covered = {row_of(exc) for exc, *_ in CASES}
    assert covered == set(TABLE)


@pytest.mark.parametrize(("exc", "status", "headers", "code", "description"), CASES,
                         ids=[type(case[0]).__name__ for case in CASES])  # fmt: skip
def test_row(
    exc: Exception, status: int, headers: dict[str, str], code: str, description: str
) -> None:
    response = _client(exc).get("/fail")
    assert response.status_code == status == status_of(exc)
    assert response.json() == {"code": code, "description": description}
    sent = {name: response.headers[name] for name in SPECIAL if name in response.headers}
    assert sent == headers


@pytest.mark.parametrize("exc", UNNAMED, ids=[type(exc).__name__ for exc in UNNAMED])
def test_an_error_no_row_names_is_a_500_without_its_text(exc: Exception) -> None:
    assert row_of(exc) is None and status_of(exc) == 500
    response = _client(exc).get("/fail")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal-error"
    assert re.fullmatch(r"internal error \(incident [0-9a-f]{16}\)", body["description"])
    assert "internal detail" not in response.text
    assert not any(name in response.headers for name in SPECIAL)


def test_a_row_answers_only_a_4xx() -> None:
    with pytest.raises(ValueError):
        Row(transfer_errors.UploadError, 500)


def _error_statuses(tree: ast.AST) -> list[int]:
    """Line numbers where code sets an HTTP error status itself or raises ``HTTPException``."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in ("status_code", "status"):
            value = node.value
            if (
                isinstance(value, ast.Constant)
                and isinstance(value.value, int)
                and value.value >= 400
            ):
                lines.append(value.lineno)
        if isinstance(node, ast.Name | ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name == "HTTPException":
                lines.append(node.lineno)
    return lines


def test_no_route_sets_its_own_error_status() -> None:
    """Errors reach the caller only through the table: a route raises a domain error."""
    root = Path(__file__).resolve().parents[3]
    table = root / "clearance" / "http" / "errors.py"
    found = {
        str(path.relative_to(root)): lines
        for package in ("access", "catalog", "transfer", "models", "clearance")
        for path in sorted((root / package).rglob("*.py"))
        if path != table and (lines := _error_statuses(ast.parse(path.read_text())))
    }
    assert found == {}
