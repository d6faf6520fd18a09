"""Settings from the environment.

``CLEARANCE_DATA`` is the data folder (default ``./var/data``). The embedded default keeps all
in it: ``clearance.db`` (SQLite), ``blobs/`` (local blob store) and ``keys/`` (0600 key files).
``CLEARANCE_DATABASE_URL`` switches the database to PostgreSQL (``postgresql+psycopg://...``).
``CLEARANCE_NODE_ID`` names this node: it is the audience of the tokens it accepts.
``CLEARANCE_STORAGE_PASSPHRASE``, when set, locks the node's storage key file (Crypt4GH, scrypt).
``CLEARANCE_S3_BUCKET`` switches the blob store to S3, with ``CLEARANCE_S3_ENDPOINT`` (empty: AWS),
``CLEARANCE_S3_REGION`` (default us-east-1), ``CLEARANCE_S3_ACCESS_KEY``,
``CLEARANCE_S3_SECRET_KEY`` and ``CLEARANCE_S3_PREFIX`` (a key prefix, default none).
``CLEARANCE_UPLOAD_MAX_BYTES`` caps the archive size of one resumable upload (default 64 GiB).
Request limits (body caps and timeouts, server limits, login flood control) are described in
``clearance.limits``.
``work/`` in the data folder holds a completing upload while it is unpacked and published.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from clearance.limits import RequestLimits

__all__ = ["S3Settings", "Settings"]

_DEFAULT_NODE = "urn:clearance:node:default"
_DEFAULT_UPLOAD_MAX = 64 << 30


@dataclass(frozen=True)
class S3Settings:
    bucket: str
    endpoint_url: str | None
    region: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    prefix: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> S3Settings | None:
        bucket = env.get("CLEARANCE_S3_BUCKET", "")
        if not bucket:
            return None
        access, secret = env.get("CLEARANCE_S3_ACCESS_KEY", ""), env.get("CLEARANCE_S3_SECRET_KEY")
        if not access or not secret:
            raise ValueError("CLEARANCE_S3_BUCKET needs CLEARANCE_S3_ACCESS_KEY and _SECRET_KEY")
        return cls(
            bucket=bucket,
            endpoint_url=env.get("CLEARANCE_S3_ENDPOINT") or None,
            region=env.get("CLEARANCE_S3_REGION") or "us-east-1",
            access_key=access,
            secret_key=secret,
            prefix=env.get("CLEARANCE_S3_PREFIX", ""),
        )


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    node_id: str = _DEFAULT_NODE
    storage_passphrase: str | None = field(default=None, repr=False)
    s3: S3Settings | None = None
    upload_max_bytes: int = _DEFAULT_UPLOAD_MAX
    limits: RequestLimits = field(default_factory=RequestLimits)

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

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
            data_dir=data_dir,
            database_url=url,
            node_id=env.get("CLEARANCE_NODE_ID", _DEFAULT_NODE),
            storage_passphrase=env.get("CLEARANCE_STORAGE_PASSPHRASE") or None,
            s3=S3Settings.from_env(env),
            upload_max_bytes=_positive(env, "CLEARANCE_UPLOAD_MAX_BYTES", _DEFAULT_UPLOAD_MAX),
            limits=RequestLimits.from_env(env),
        )

    def prepare(self) -> None:
        """Create the data folder (0700: it holds keys) and its sub-folders."""
        for path in (self.data_dir, self.blob_dir, self.keys_dir, self.work_dir):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name} must be a positive whole number of bytes, got {text!r}")
    return int(text)
