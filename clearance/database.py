"""Engine creation and Alembic migrations, applied on start."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from access import InvalidInput

__all__ = ["make_engine", "migrate", "open_database"]

_MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


#: SQLite's own files: the database and its rollback journal, write-ahead log and shared memory.
_SQLITE_SUFFIXES = ("", "-journal", "-wal", "-shm")


def _private_sqlite_file(url: str) -> None:
    """Create the SQLite database file 0600 before SQLite opens it (SQLite would create it 0644
    under the usual umask, and gives its -wal/-shm/-journal files the database's mode), and
    tighten existing ones."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for suffix in _SQLITE_SUFFIXES:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.chmod(companion, 0o600)


#: A NUL character, raw or as the JSON escape a JSON column's text would carry.
_NUL = ("\x00", "\\u0000")


def _carries_nul(parameters: Any) -> bool:
    if isinstance(parameters, dict):
        parameters = parameters.values()
    elif not isinstance(parameters, list | tuple):
        return False
    for value in parameters:
        if isinstance(value, str):
            if any(nul in value for nul in _NUL):
                return True
        elif isinstance(value, dict | list | tuple) and _carries_nul(value):
            return True
    return False


def _refuse_nul(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool
) -> None:
    """PostgreSQL cannot store a NUL in text or jsonb: its driver raises a DataError (a 500) for
    any id, name or purpose a client sent with one. Refused here, for every statement on both
    databases, so that one rule covers every route and column: a 400, and nothing written."""
    if _carries_nul(parameters):
        raise InvalidInput("text may not contain NUL characters", code="invalid-text")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    event.listen(engine, "before_cursor_execute", _refuse_nul)
    return engine


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    command.upgrade(_alembic_config(engine), "head")


def open_database(url: str) -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(url)
    migrate(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)
