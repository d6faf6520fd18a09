"""Shared fixtures: a node on SQLite and on the real PostgreSQL started by ``make test``.

Each test module that asks for ``node`` gets a fresh database: a new SQLite file, or a new
PostgreSQL database created (and dropped afterwards) on the throw-away cluster.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from clearance.node import Node, open_node
from clearance.settings import Settings

BACKENDS = ["sqlite", "postgresql"]


def _require_services() -> bool:
    return os.environ.get("CLEARANCE_REQUIRE_SERVICES") == "1"


def pg_admin_url() -> str | None:
    url = os.environ.get("CLEARANCE_TEST_PG_URL")
    if url is None and _require_services():
        pytest.fail("CLEARANCE_TEST_PG_URL is not set but services are required")
    return url


@pytest.fixture(scope="session")
def pg_url_factory() -> Iterator[object]:
    """Creates throw-away PostgreSQL databases; drops them at the end of the session."""
    base = pg_admin_url()
    created: list[str] = []

    def make() -> str:
        if base is None:
            pytest.skip("no PostgreSQL: run the suite with `make test`")
        name = f"t_{secrets.token_hex(6)}"
        engine = create_engine(base, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        created.append(name)
        return make_url(base).set(database=name).render_as_string(hide_password=False)

    yield make
    if base is not None and created:
        # Best effort: the whole throw-away cluster is deleted by `make test` anyway, and
        # FORCE may not terminate an autovacuum worker the test role does not own.
        engine = create_engine(base, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in created:
                with contextlib.suppress(DBAPIError):
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def make_node(backend: str, data_dir: Path, pg_url_factory: object) -> Node:
    if backend == "sqlite":
        url = f"sqlite:///{data_dir / 'clearance.db'}"
    else:
        assert callable(pg_url_factory)
        url = pg_url_factory()
    return open_node(Settings(data_dir=data_dir, database_url=url))


@pytest.fixture(params=BACKENDS)
def node(request: pytest.FixtureRequest, tmp_path: Path, pg_url_factory: object) -> Iterator[Node]:
    created = make_node(request.param, tmp_path / "data", pg_url_factory)
    yield created
    created.engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg_url_factory: object
) -> Iterator[object]:
    """A node with three administrations' published synthetic holdings (tests/catalog/seeded)."""
    from tests.catalog.seeded import seed

    root = tmp_path_factory.mktemp(f"seeded-{request.param}")
    node = make_node(request.param, root / "data", pg_url_factory)
    yield seed(node, root / "sources")
    node.engine.dispose()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright drives Debian's Chromium (never a downloaded browser); as root it needs
    --no-sandbox, and this machine's closed network wants no background connections."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"],
    }  # fmt: skip
