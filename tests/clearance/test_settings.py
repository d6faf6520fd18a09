"""Settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearance.database import open_database
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


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_prepare_creates_private_folders_and_tightens_existing_ones(tmp_path: Path) -> None:
    fresh = Settings.from_env({"CLEARANCE_DATA": str(tmp_path / "new")})
    old = Settings.from_env({"CLEARANCE_DATA": str(tmp_path / "old")})
    for path in (old.data_dir, old.blob_dir, old.keys_dir / "_node" / "audit", old.work_dir):
        path.mkdir(parents=True)
        path.chmod(0o755)  # e.g. made by hand or by an older version
    for settings in (fresh, old):
        settings.prepare()
        folders = [settings.data_dir, settings.blob_dir, settings.keys_dir, settings.work_dir]
        for path in folders:
            assert _mode(path) == 0o700, path
    assert _mode(old.keys_dir / "_node" / "audit") == 0o700
    assert _mode(old.keys_dir / "_node") == 0o700


def test_the_sqlite_database_and_its_companions_are_0600(tmp_path: Path) -> None:
    settings = Settings.from_env({"CLEARANCE_DATA": str(tmp_path / "d")})
    settings.prepare()
    engine, _ = open_database(settings.database_url)  # creates, migrates: WAL and SHM exist
    try:
        database = settings.data_dir / "clearance.db"
        files = [p for p in settings.data_dir.iterdir() if p.name.startswith("clearance.db")]
        assert database in files and len(files) >= 2, files  # -wal and -shm while open
        for path in files:
            assert _mode(path) == 0o600, path
    finally:
        engine.dispose()


def test_an_existing_wider_database_file_is_tightened(tmp_path: Path) -> None:
    settings = Settings.from_env({"CLEARANCE_DATA": str(tmp_path / "d")})
    settings.prepare()
    engine, _ = open_database(settings.database_url)
    engine.dispose()
    database = settings.data_dir / "clearance.db"
    for path in settings.data_dir.iterdir():
        path.chmod(0o644)
    engine, _ = open_database(settings.database_url)
    try:
        assert _mode(database) == 0o600
    finally:
        engine.dispose()


def test_the_grant_rate_is_checked(tmp_path: Path) -> None:
    env = {"CLEARANCE_DATA": str(tmp_path)}
    assert Settings.from_env(env).grant_rate == "3000/minute"
    assert Settings.from_env({**env, "CLEARANCE_GRANT_RATE": "50 per 1 second"}).grant_rate == (
        "50 per 1 second"
    )
    for bad in ("fast", "0/minute", "-1/second"):
        with pytest.raises(ValueError, match="CLEARANCE_GRANT_RATE"):
            Settings.from_env({**env, "CLEARANCE_GRANT_RATE": bad})


def test_enclave_settings_from_the_environment() -> None:
    from clearance.settings import EnclaveSettings

    got = EnclaveSettings.from_env(
        {"CLEARANCE_ENCLAVE_ISOLATION": "relaxed", "CLEARANCE_ENCLAVE_MEMORY_MIB": "512",
         "CLEARANCE_ENCLAVE_CPU_SECONDS": "5", "CLEARANCE_ENCLAVE_WALL_SECONDS": "9",
         "CLEARANCE_ENCLAVE_THREADS": "2"}
    )  # fmt: skip
    assert got == EnclaveSettings("relaxed", 512, 5, 9, 2)
    assert EnclaveSettings.from_env({}) == EnclaveSettings()
    with pytest.raises(ValueError, match="strict or relaxed"):
        EnclaveSettings.from_env({"CLEARANCE_ENCLAVE_ISOLATION": "off"})
    with pytest.raises(ValueError, match="CLEARANCE_ENCLAVE_MEMORY_MIB"):
        EnclaveSettings.from_env({"CLEARANCE_ENCLAVE_MEMORY_MIB": "-1"})


def test_s3_credentials_are_a_key_pair_or_the_role_never_both(tmp_path: Path) -> None:
    base = {"CLEARANCE_DATA": str(tmp_path), "CLEARANCE_S3_BUCKET": "blobs-1"}
    key = {"CLEARANCE_S3_ACCESS_KEY": "AKIAEXAMPLE", "CLEARANCE_S3_SECRET_KEY": "s3cret-value"}
    keyed = Settings.from_env({**base, **key}).s3
    assert keyed is not None and (keyed.access_key, keyed.secret_key) == (
        "AKIAEXAMPLE",
        "s3cret-value",
    )
    assert "s3cret-value" not in repr(keyed)
    role = Settings.from_env({**base, "CLEARANCE_S3_CREDENTIALS": "role"}).s3
    assert role is not None and role.access_key is None and role.secret_key is None
    refused = [
        ({**base}, "needs CLEARANCE_S3_ACCESS_KEY and _SECRET_KEY"),
        ({**base, "CLEARANCE_S3_ACCESS_KEY": "AKIAEXAMPLE"}, "needs CLEARANCE_S3_ACCESS_KEY"),
        ({**base, **key, "CLEARANCE_S3_CREDENTIALS": "role"}, "unset CLEARANCE_S3_ACCESS_KEY"),
        ({**base, "CLEARANCE_S3_SECRET_KEY": "x", "CLEARANCE_S3_CREDENTIALS": "role"}, "unset"),
        ({**base, "CLEARANCE_S3_CREDENTIALS": "instance"}, "must be key or role"),
    ]
    for env, message in refused:
        with pytest.raises(ValueError, match=message) as caught:
            Settings.from_env(env)
        assert "s3cret-value" not in str(caught.value)
