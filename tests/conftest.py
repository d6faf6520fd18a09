"""Shared fixtures: a node on SQLite and on the real PostgreSQL started by ``make test``.

Each test that asks for ``node`` gets a fresh database: a new SQLite file, or a new
PostgreSQL database created (and dropped afterwards) on the throw-away cluster, each a copy of a
database migrated once per session. Each module that asks for ``seeded`` gets a node of its own,
a copy of one seeded once per session. Built once and copied, rather than built again and again:
the copies are what building would give, and no test sees another's changes.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import functools
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from clearance.database import make_engine, migrate
from clearance.node import Node, open_node
from clearance.settings import Settings
from tests.catalog.seeded import Seeded, seed

if TYPE_CHECKING:
    from models.demo_models import DemoModel

BACKENDS = ["sqlite", "postgresql"]


def _require_services() -> bool:
    return os.environ.get("CLEARANCE_REQUIRE_SERVICES") == "1"


def pg_admin_url() -> str | None:
    url = os.environ.get("CLEARANCE_TEST_PG_URL")
    if url is None and _require_services():
        pytest.fail("CLEARANCE_TEST_PG_URL is not set but services are required")
    return url


class PgDatabases:
    """Throw-away PostgreSQL databases on the suite's server. Called, it creates an empty one;
    ``migrated()`` gives one that starts as a copy of a database migrated once per session
    (``CREATE DATABASE ... TEMPLATE``: PostgreSQL copies the files, in milliseconds, where
    migrating each new database took about 0.1 s, hundreds of times per run)."""

    def __init__(self, base: str | None) -> None:
        self.base = base
        self.created: list[str] = []
        self._template: str | None = None

    def create(self, template: str | None = None) -> str:
        """A new database's name: empty, or a copy of ``template``."""
        if self.base is None:
            pytest.skip("no PostgreSQL: run the suite with `make test`")
        name = f"t_{secrets.token_hex(6)}"
        engine = create_engine(self.base, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            copied = f' TEMPLATE "{template}"' if template is not None else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{copied}'))
        engine.dispose()
        self.created.append(name)
        return name

    def url(self, name: str) -> str:
        assert self.base is not None
        return make_url(self.base).set(database=name).render_as_string(hide_password=False)

    def __call__(self) -> str:
        return self.url(self.create())

    def migrated(self) -> str:
        """A new database at the newest migration, as ``open_node`` would leave an empty one."""
        if self._template is None:
            template = self.create()
            engine = make_engine(self.url(template))
            migrate(engine)
            engine.dispose()  # a template may have no open connections while it is copied
            self._template = template
        return self.url(self.create(self._template))


@pytest.fixture(scope="session")
def pg_url_factory() -> Iterator[PgDatabases]:
    """Creates throw-away PostgreSQL databases; drops them at the end of the session."""
    databases = PgDatabases(pg_admin_url())
    yield databases
    if databases.base is not None and databases.created:
        # Best effort: the whole throw-away cluster is deleted by `make test` anyway, and
        # FORCE may not terminate an autovacuum worker the test role does not own.
        engine = create_engine(databases.base, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in databases.created:
                with contextlib.suppress(DBAPIError):
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@functools.cache
def _migrated_sqlite_file() -> Path:
    """A SQLite database file migrated once per process (copied by ``make_node``)."""
    folder = Path(tempfile.mkdtemp(prefix="clearance-sqlite-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # closes the last connection: SQLite checkpoints and removes the -wal file
    assert not path.with_name(path.name + "-wal").exists()
    return path


def make_node(backend: str, data_dir: Path, pg_url_factory: object) -> Node:
    """A node on a new database of its own. The database starts as a copy of one migrated
    earlier in the session (the same migrations, run once: a copy has the very schema migrating
    would give); ``open_node`` still runs them and finds nothing to do. Migrating an empty
    database still happens wherever a test opens a node on one (``pg_url_factory()``, a new
    SQLite file, ``clearance init``: tests/transfer/world.py, tests/clearance/cli, ...)."""
    if backend == "sqlite":
        database = data_dir / "clearance.db"
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_migrated_sqlite_file(), database)
        url = f"sqlite:///{database}"
    else:
        assert isinstance(pg_url_factory, PgDatabases)
        url = pg_url_factory.migrated()
    return open_node(Settings(data_dir=data_dir, database_url=url))


@pytest.fixture(params=BACKENDS)
def node(request: pytest.FixtureRequest, tmp_path: Path, pg_url_factory: object) -> Iterator[Node]:
    created = make_node(request.param, tmp_path / "data", pg_url_factory)
    yield created
    created.engine.dispose()


class SeededImages:
    """tests/catalog/seeded's node, seeded once per session and backend and then copied: each
    copy is a node of its own (its own data folder, sources and database) in the very state
    seeding leaves, so a module that changes its node changes no other module's."""

    def __init__(self, root: Path, databases: PgDatabases) -> None:
        self._root = root
        self._databases = databases
        self._images: dict[str, tuple[Path, str | None, dict[str, str]]] = {}

    def _image(self, backend: str) -> tuple[Path, str | None, dict[str, str]]:
        if backend not in self._images:
            folder = self._root / f"image-{backend}"
            template = None
            if backend == "sqlite":
                node = make_node(backend, folder / "data", self._databases)
            else:
                template = self._databases.create()
                url = self._databases.url(template)
                node = open_node(Settings(data_dir=folder / "data", database_url=url))
            tokens = seed(node, folder / "sources").tokens
            node.engine.dispose()  # SQLite: no -wal file left; PostgreSQL: a template is unused
            self._images[backend] = (folder, template, tokens)
        return self._images[backend]

    def copy(self, backend: str, root: Path) -> Seeded:
        """A seeded node of its own in ``root`` (an empty or new folder)."""
        folder, template, tokens = self._image(backend)
        shutil.copytree(folder / "data", root / "data")
        shutil.copytree(folder / "sources", root / "sources")
        if template is None:
            url = f"sqlite:///{root / 'data' / 'clearance.db'}"
        else:
            url = self._databases.url(self._databases.create(template))
        node = open_node(Settings(data_dir=root / "data", database_url=url))
        return Seeded(node, root / "sources", dict(tokens))


@pytest.fixture(scope="session")
def seeded_images(
    tmp_path_factory: pytest.TempPathFactory, pg_url_factory: PgDatabases
) -> SeededImages:
    return SeededImages(tmp_path_factory.mktemp("seeded-images"), pg_url_factory)


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    seeded_images: SeededImages,
) -> Iterator[Seeded]:
    """A node with three administrations' published synthetic holdings (tests/catalog/seeded),
    a copy of the session's seeded node for each module."""
    copied = seeded_images.copy(request.param, tmp_path_factory.mktemp(f"seeded-{request.param}"))
    yield copied
    copied.node.engine.dispose()


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


@pytest.fixture(scope="session")
def trained_demo_detector() -> DemoModel:
    """The demo detector, trained once per session rather than once per module (about 15 s
    each). Training is deterministic: the synthetic holding (tests/catalog/synth) and the build
    (tests/models/test_demo_models.py) give the same bytes every time. Take it through
    ``demo_detector``."""
    from models.demo_training import train_on_synthetic  # numpy and onnx: only when needed

    return train_on_synthetic()


@pytest.fixture(scope="module")
def demo_detector(trained_demo_detector: DemoModel) -> DemoModel:
    """The session's trained demo detector, with a card of the module's own (a dict: no test can
    change another module's)."""
    from models.demo_models import DemoModel

    return DemoModel(trained_demo_detector.onnx, copy.deepcopy(trained_demo_detector.card))
