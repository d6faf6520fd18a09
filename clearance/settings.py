"""Settings from the environment.

``CLEARANCE_DATA`` is the data folder (default ``./var/data``). The embedded default keeps all
in it: ``clearance.db`` (SQLite), ``blobs/`` (local blob store) and ``keys/`` (0600 key files).
``CLEARANCE_DATABASE_URL`` switches the database to PostgreSQL (``postgresql+psycopg://...``).
``CLEARANCE_NODE_ID`` names this node: it is the audience of the tokens it accepts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings"]

_DEFAULT_NODE = "urn:clearance:node:default"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    node_id: str = _DEFAULT_NODE

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("CLEARANCE_DATA", "var/data")).expanduser().resolve()
        url = env.get("CLEARANCE_DATABASE_URL") or f"sqlite:///{data_dir / 'clearance.db'}"
        if not url.startswith(("sqlite:", "postgresql")):
            raise ValueError("CLEARANCE_DATABASE_URL must be a sqlite: or postgresql URL")
        return cls(
            data_dir=data_dir, database_url=url, node_id=env.get("CLEARANCE_NODE_ID", _DEFAULT_NODE)
        )

    def prepare(self) -> None:
        """Create the data folder (0700: it holds keys) and its sub-folders."""
        for path in (self.data_dir, self.blob_dir, self.keys_dir):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
