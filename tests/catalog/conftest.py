"""Module-scoped seeded nodes (SQLite and PostgreSQL) for the catalogue integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.catalog.seeded import Seeded, seed
from tests.conftest import BACKENDS, make_node


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg_url_factory: object
) -> Iterator[Seeded]:
    root = tmp_path_factory.mktemp(f"seeded-{request.param}")
    node = make_node(request.param, root / "data", pg_url_factory)
    yield seed(node, root / "sources")
    node.engine.dispose()
