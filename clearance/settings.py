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
``CLEARANCE_GRANT_RATE`` bounds the transfer requests of one grant (default ``3000/minute``; see
``transfer.throttle``).

The enclave's sandbox (``clearance worker``): ``CLEARANCE_ENCLAVE_ISOLATION`` is ``strict``
(default: a job whose child cannot take every confinement step fails) or ``relaxed`` (an operator's
opt-in on hosts without network namespaces; docs/enclave.md), ``CLEARANCE_ENCLAVE_MEMORY_MIB``
(address space of one child, default 2048), ``CLEARANCE_ENCLAVE_CPU_SECONDS`` (default 120),
``CLEARANCE_ENCLAVE_WALL_SECONDS`` (one job's deadline, default 300) and
``CLEARANCE_ENCLAVE_THREADS`` (onnxruntime's fixed pool, default 1).
``CLEARANCE_CORS_ORIGINS``: comma-separated browser origins (``https://browser.example``) allowed
to call the API cross-origin, or ``*``; none by default. Credentials (cookies) are never allowed
cross-origin: the API takes bearer tokens in the ``Authorization`` header.
``CLEARANCE_SCHEMA_BASE_URL``: the URL our STAC extension schemas are named under
(``{base}/stac/extensions/xray/v1.1.0/schema.json``); default: the URL the node is reached at.

Request limits (body caps and timeouts, server limits, login flood control) are described in
``clearance.limits``.
``work/`` in the data folder holds a completing upload while it is unpacked and published.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from clearance.limits import RequestLimits, rate_setting, whole_setting
from transfer import DEFAULT_GRANT_RATE

__all__ = ["EnclaveSettings", "S3Settings", "Settings"]

_DEFAULT_NODE = "urn:clearance:node:default"
_DEFAULT_UPLOAD_MAX = 64 << 30


@dataclass(frozen=True)
class S3Settings:
    """Where the blob store is and how requests to it are signed: with a static key pair
    (``CLEARANCE_S3_CREDENTIALS=key``, the default: any S3 server) or with what AWS gives the
    task or instance (``role``: boto3's credential chain, e.g. the ECS task role's temporary
    credentials, refreshed by boto3; no key to keep or rotate). ``role`` takes no key: a key
    left in the environment is refused rather than silently ignored or preferred."""

    bucket: str
    endpoint_url: str | None
    region: str
    access_key: str | None = field(repr=False)
    secret_key: str | None = field(repr=False)
    prefix: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> S3Settings | None:
        bucket = env.get("CLEARANCE_S3_BUCKET", "")
        if not bucket:
            return None
        access, secret = env.get("CLEARANCE_S3_ACCESS_KEY", ""), env.get("CLEARANCE_S3_SECRET_KEY")
        mode = env.get("CLEARANCE_S3_CREDENTIALS", "key")
        if mode == "role":
            if access or secret:
                raise ValueError(
                    "CLEARANCE_S3_CREDENTIALS=role signs with the role's credentials: "
                    "unset CLEARANCE_S3_ACCESS_KEY and _SECRET_KEY"
                )
        elif mode != "key":
            raise ValueError("CLEARANCE_S3_CREDENTIALS must be key or role")
        elif not access or not secret:
            raise ValueError(
                "CLEARANCE_S3_BUCKET needs CLEARANCE_S3_ACCESS_KEY and _SECRET_KEY "
                "(or CLEARANCE_S3_CREDENTIALS=role on AWS)"
            )
        return cls(
            bucket=bucket,
            endpoint_url=env.get("CLEARANCE_S3_ENDPOINT") or None,
            region=env.get("CLEARANCE_S3_REGION") or "us-east-1",
            access_key=access or None,
            secret_key=secret or None,
            prefix=env.get("CLEARANCE_S3_PREFIX", ""),
        )


@dataclass(frozen=True)
class EnclaveSettings:
    isolation: str = "strict"
    memory_mib: int = 2048
    cpu_seconds: int = 120
    wall_seconds: int = 300
    threads: int = 1

    def __post_init__(self) -> None:
        if self.isolation not in ("strict", "relaxed"):
            raise ValueError("CLEARANCE_ENCLAVE_ISOLATION must be strict or relaxed")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EnclaveSettings:
        return cls(
            isolation=env.get("CLEARANCE_ENCLAVE_ISOLATION", "strict"),
            memory_mib=whole_setting(env, "CLEARANCE_ENCLAVE_MEMORY_MIB", 2048),
            cpu_seconds=whole_setting(env, "CLEARANCE_ENCLAVE_CPU_SECONDS", 120),
            wall_seconds=whole_setting(env, "CLEARANCE_ENCLAVE_WALL_SECONDS", 300),
            threads=whole_setting(env, "CLEARANCE_ENCLAVE_THREADS", 1),
        )


_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def cors_origins(text: str) -> tuple[str, ...]:
    """``CLEARANCE_CORS_ORIGINS``: ``*`` alone, or origins (scheme, host, optional port)."""
    origins = tuple(o.strip() for o in text.split(",") if o.strip())
    if origins == ("*",):
        return origins
    for origin in origins:
        if not _ORIGIN.fullmatch(origin):
            raise ValueError(
                f"CLEARANCE_CORS_ORIGINS: {origin[:80]!r} is not an origin such as "
                "https://stac-browser.example (scheme, host, optional port; no path), or * alone"
            )
    return origins


_BASE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?")


def schema_base_url(text: str) -> str | None:
    """``CLEARANCE_SCHEMA_BASE_URL``: an http(s) URL without query or fragment, or unset."""
    if not text:
        return None
    if not _BASE_URL.fullmatch(text):
        raise ValueError(
            f"CLEARANCE_SCHEMA_BASE_URL: {text[:80]!r} is not a URL such as https://node.example"
        )
    return text.rstrip("/")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    node_id: str = _DEFAULT_NODE
    storage_passphrase: str | None = field(default=None, repr=False)
    s3: S3Settings | None = None
    upload_max_bytes: int = _DEFAULT_UPLOAD_MAX
    grant_rate: str = DEFAULT_GRANT_RATE
    cors_origins: tuple[str, ...] = ()  # browser origins allowed to call the API; none by default
    schema_base_url: str | None = None  # where our STAC extension schemas are named; None: the node

    limits: RequestLimits = field(default_factory=RequestLimits)
    enclave: EnclaveSettings = field(default_factory=EnclaveSettings)

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
            upload_max_bytes=whole_setting(env, "CLEARANCE_UPLOAD_MAX_BYTES", _DEFAULT_UPLOAD_MAX),
            grant_rate=rate_setting(env, "CLEARANCE_GRANT_RATE", DEFAULT_GRANT_RATE),
            cors_origins=cors_origins(env.get("CLEARANCE_CORS_ORIGINS", "")),
            schema_base_url=schema_base_url(env.get("CLEARANCE_SCHEMA_BASE_URL", "")),
            limits=RequestLimits.from_env(env),
            enclave=EnclaveSettings.from_env(env),
        )

    def prepare(self) -> None:
        """Create the data folder and its sub-folders 0700 (they hold keys, the database and
        plaintext while an upload completes), tightening any that already exist: ``mkdir``'s
        mode applies only to a folder it creates, and is further masked by the umask."""
        for path in (self.data_dir, self.blob_dir, self.keys_dir, self.work_dir):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(path, 0o700)
        for folder, _, _ in os.walk(self.keys_dir):  # small: a few folders of key files
            os.chmod(folder, 0o700)
