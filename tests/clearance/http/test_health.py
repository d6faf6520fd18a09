"""GET /healthz and GET /readyz against real databases and blob stores (clearance.http.health).

Readiness is shown with the real parts and with each part made unreachable: a PostgreSQL
database dropped under the node, a port where nothing listens, a listener that never answers
(the probe's deadline), an S3 endpoint that is down or refuses the credentials, and a local blob
folder that disappeared. The answers never carry a URL, host, password or exception text.
"""

from __future__ import annotations

import dataclasses
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from clearance.http.app import create_app
from clearance.http.serving import free_port
from clearance.node import Node, open_node
from clearance.settings import S3Settings, Settings
from tests.transfer.world import s3_env


def _client(node: Node) -> TestClient:
    return TestClient(create_app(node))


def _assert_discreet(response: Any, *secrets: str) -> None:
    """Only the fixed words: no URL, host, port, password, driver or exception text."""
    body = response.text
    for secret in secrets:
        assert secret not in body
    for word in ("postgresql", "psycopg", "sqlite", "http://", "Error", "Traceback", "bucket"):
        assert word not in body
    assert response.headers["cache-control"] == "no-store"


def test_healthz_and_readyz_public_and_ready(node: Node) -> None:
    with _client(node) as client:
        live = client.get("/healthz")
        ready = client.get("/readyz")
        head = client.head("/readyz")
    assert live.status_code == 200
    assert live.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "blob-store": "ok"}}
    assert head.status_code == 200
    _assert_discreet(ready)


def test_a_bearer_token_is_neither_needed_nor_looked_at(node: Node) -> None:
    with _client(node) as client:
        response = client.get("/readyz", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 200


@pytest.mark.postgres
def test_readyz_503_when_the_database_is_dropped(tmp_path: Path, pg_url_factory: Any) -> None:
    url = pg_url_factory()
    node = open_node(Settings(data_dir=tmp_path / "data", database_url=url))
    with _client(node) as client:
        assert client.get("/readyz").status_code == 200
        parsed = make_url(url)
        node.engine.dispose()
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{parsed.database}" WITH (FORCE)'))
        admin.dispose()
        time.sleep(1.2)  # past the reuse of the last (good) answer
        response = client.get("/readyz")
        live = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not-ready",
        "checks": {"database": "unavailable", "blob-store": "ok"},
    }
    assert live.status_code == 200  # liveness does no I/O: a lost database kills no process
    password = parsed.password or "no-password"
    _assert_discreet(response, password, str(parsed.database), str(parsed.port))
    node.engine.dispose()


def _with_engine(node: Node, url: str, **options: Any) -> Node:
    return dataclasses.replace(node, engine=create_engine(url, **options))


def test_readyz_503_when_nothing_listens_at_the_database(node: Node) -> None:
    port = free_port()
    password = "s3cret-pw-7f3a"
    broken = _with_engine(node, f"postgresql+psycopg://clr:{password}@127.0.0.1:{port}/clr")
    with _client(broken) as client:
        response = client.get("/readyz")
        assert client.get("/healthz").status_code == 200
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "unavailable", "blob-store": "ok"}
    _assert_discreet(response, password, str(port), "127.0.0.1")
    broken.engine.dispose()


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word (a blackholed database)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


def test_readyz_answers_within_its_deadline_when_the_database_hangs(
    node: Node, silent_listener: int
) -> None:
    broken = _with_engine(node, f"postgresql+psycopg://clr:pw@127.0.0.1:{silent_listener}/clr")
    before = {t.ident for t in threading.enumerate() if t.name.startswith("readyz")}
    with _client(broken) as client:
        started = time.monotonic()
        first = client.get("/readyz")
        second = client.get("/readyz")  # the hung probe is awaited again, not started twice
        elapsed = time.monotonic() - started
    assert first.status_code == second.status_code == 503
    assert first.json()["checks"]["database"] == "unavailable"
    assert elapsed < 8.0  # two requests, each bounded by the 2 s deadline
    started_now = [
        t for t in threading.enumerate() if t.name.startswith("readyz") and t.ident not in before
    ]
    assert len(started_now) <= 2  # one probe per part, never one per request


def test_readyz_probes_at_most_once_per_second(node: Node) -> None:
    probes: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        if statement.strip() == "SELECT 1":
            probes.append(statement)

    event.listen(node.engine, "before_cursor_execute", count)
    try:
        with _client(node) as client:
            answers = [client.get("/readyz").status_code for _ in range(25)]
    finally:
        event.remove(node.engine, "before_cursor_execute", count)
    assert answers == [200] * 25
    assert 1 <= len(probes) <= 3  # 25 calls within about a second: one probe, reused


def test_readyz_503_when_the_local_blob_folder_is_gone_and_200_when_it_is_back(
    node: Node,
) -> None:
    blob_dir = node.settings.blob_dir
    with _client(node) as client:
        assert client.get("/readyz").status_code == 200
        shutil.rmtree(blob_dir)
        time.sleep(1.2)
        gone = client.get("/readyz")
        blob_dir.mkdir(mode=0o700)
        time.sleep(1.2)
        back = client.get("/readyz")
    assert gone.status_code == 503
    assert gone.json()["checks"] == {"database": "ok", "blob-store": "unavailable"}
    _assert_discreet(gone, str(blob_dir))
    assert back.status_code == 200


def _s3_node(tmp_path: Path, **overrides: str) -> tuple[Node, dict[str, str]]:
    env = s3_env()
    values = {
        "endpoint_url": env["ENDPOINT"],
        "access_key": env["ACCESS_KEY"],
        "secret_key": env["SECRET_KEY"],
        "bucket": env["BUCKET"],
        **overrides,
    }
    s3 = S3Settings(
        bucket=values["bucket"],
        endpoint_url=values["endpoint_url"],
        region=env["REGION"],
        access_key=values["access_key"],
        secret_key=values["secret_key"],
        prefix=f"readyz-{tmp_path.name}"[:60],
    )
    data = tmp_path / "data"
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'c.db'}", s3=s3)
    return open_node(settings), values


@pytest.mark.s3
def test_readyz_with_the_real_s3_server(tmp_path: Path) -> None:
    node, _ = _s3_node(tmp_path)
    with _client(node) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "blob-store": "ok"}


@pytest.mark.s3
def test_readyz_503_when_the_s3_endpoint_is_down(tmp_path: Path) -> None:
    port = free_port()
    node, values = _s3_node(tmp_path, endpoint_url=f"http://127.0.0.1:{port}")
    with _client(node) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "blob-store": "unavailable"}
    _assert_discreet(response, values["secret_key"], values["access_key"], str(port))


@pytest.mark.s3
@pytest.mark.parametrize("override", ["secret_key", "bucket"])
def test_readyz_503_when_s3_refuses_the_credentials_or_lacks_the_bucket(
    tmp_path: Path, override: str
) -> None:
    wrong = {"secret_key": "wrong-secret-0123456789abcdef", "bucket": "no-such-bucket-readyz"}
    node, values = _s3_node(tmp_path, **{override: wrong[override]})
    with _client(node) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "blob-store": "unavailable"}
    _assert_discreet(response, values["secret_key"], values["access_key"], values["bucket"])
