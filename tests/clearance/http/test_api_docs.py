"""/api (OpenAPI, with what FastAPI cannot see) and /api.html (offline Swagger UI), and HEAD on
every GET route."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from clearance.http.api_docs import api_routes
from clearance.http.app import create_app
from tests.catalog.seeded import Seeded


@pytest.fixture(scope="module")
def client(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(seeded.node)) as created:
        yield created


def test_the_openapi_document_is_what_the_landing_page_says(client: TestClient) -> None:
    landing = client.get("/").json()
    desc = next(link for link in landing["links"] if link["rel"] == "service-desc")
    answer = client.get("/api", headers={"Accept": desc["type"]})
    assert answer.headers["content-type"] == desc["type"]
    document = answer.json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "A token from POST /auth/login (or a grant, for transfer routes).",
    }  # fmt: skip
    search = document["paths"]["/search"]["get"]
    names = {p["name"] for p in search["parameters"]}
    assert {"bbox", "intersects", "datetime", "limit", "token", "filter", "sortby"} <= names
    assert {"400", "401", "404"} <= set(search["responses"])
    assert search["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    conformance = document["paths"]["/conformance"]["get"]
    assert conformance["security"] == [] and "401" not in conformance["responses"]


def test_the_service_doc_page_works_offline(client: TestClient) -> None:
    landing = client.get("/").json()
    doc = next(link for link in landing["links"] if link["rel"] == "service-doc")
    page = client.get(doc["href"])
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    script_src = csp.split("script-src")[1].split(";")[0]
    assert script_src.strip() == "'self'"  # no inline script, nothing from elsewhere
    assert "<script>" not in page.text  # no inline script: every script is a file of the node
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources)  # nothing from another host
    for source in sources:
        assert client.get(source).status_code == 200, source


def test_every_get_route_answers_head_alike(client: TestClient, seeded: Seeded) -> None:
    client.headers["Authorization"] = f"Bearer {seeded.tokens['gbr']}"
    routes = api_routes(client.app.routes)  # type: ignore[attr-defined]
    paths = sorted({p for p, r in routes if "GET" in (r.methods or ()) and "{" not in p})
    assert "/search" in paths and "/collections" in paths
    for path in paths:
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        assert head.headers.get("content-type") == get.headers.get("content-type"), path
