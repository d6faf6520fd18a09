"""Settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearance.settings import Settings


def test_embedded_default_is_one_data_folder(tmp_path: Path) -> None:
    settings = Settings.from_env({"CLEARANCE_DATA": str(tmp_path / "d")})
    assert settings.database_url == f"sqlite:///{tmp_path / 'd' / 'clearance.db'}"
    assert settings.blob_dir == tmp_path / "d" / "blobs"
    settings.prepare()
    assert (tmp_path / "d" / "keys").is_dir()
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o700


def test_postgres_url_and_node_id(tmp_path: Path) -> None:
    env = {
        "CLEARANCE_DATA": str(tmp_path),
        "CLEARANCE_DATABASE_URL": "postgresql+psycopg://u@h/db",
        "CLEARANCE_NODE_ID": "urn:clearance:node:nld-1",
    }
    settings = Settings.from_env(env)
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.node_id == "urn:clearance:node:nld-1"


def test_other_database_urls_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="CLEARANCE_DATABASE_URL"):
        Settings.from_env({"CLEARANCE_DATA": str(tmp_path), "CLEARANCE_DATABASE_URL": "mysql://x"})
