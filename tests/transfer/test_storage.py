"""The node's storage key file: created 0600 in 0700 folders; a wider existing one is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from transfer.storage import StorageKey, storage_key_dir


def test_the_storage_key_is_0600_in_a_0700_folder(tmp_path: Path) -> None:
    StorageKey(tmp_path / "keys").private_key()
    folder = storage_key_dir(tmp_path / "keys")
    assert folder.stat().st_mode & 0o777 == 0o700
    assert (folder / "c4gh.sec").stat().st_mode & 0o777 == 0o600


def test_a_storage_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    StorageKey(tmp_path / "keys").private_key()
    secret = storage_key_dir(tmp_path / "keys") / "c4gh.sec"
    secret.chmod(0o644)
    with pytest.raises(PermissionError, match="readable by others"):
        StorageKey(tmp_path / "keys").private_key()
