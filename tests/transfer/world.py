"""A node with encrypted holdings and real grants, for the transfer tests.

NLD owns ``NLD-X`` (4 parcel scans) and ``NLD-Y`` (2), GBR owns ``GBR-Z`` (2); all R1, REL TO ALL,
downloadable. ``res`` (a GBR researcher) has a Crypt4GH key pair (the private key file locked with
PASSPHRASE) and gets grants through the real workflow: request, steward approval, signed grant.

Nodes run on SQLite or PostgreSQL, with the local blob store or the real S3 server of
``make test`` (CLEARANCE_TEST_S3_*; missing → skip, or fail with CLEARANCE_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from access import Clock, Conditions, Level, Mode, NewRequest, Principal, PurposeCode, Role
from catalog.synth import generate_holding
from clearance.node import Node, open_node
from clearance.publishing.folder import publish_folder
from clearance.settings import S3Settings, Settings
from transfer.crypt4gh import generate_keypair

PASSPHRASE = "researcher-passphrase"
HOLDINGS = (("NLD", "NLD-X", 4), ("NLD", "NLD-Y", 2), ("GBR", "GBR-Z", 2))
CONFIGS = [("sqlite", "local"), ("postgresql", "local"), ("sqlite", "s3"), ("postgresql", "s3")]
_S3_NAMES = ("ENDPOINT", "ACCESS_KEY", "SECRET_KEY", "BUCKET", "REGION")


def s3_env() -> dict[str, str]:
    values = {name: os.environ.get(f"CLEARANCE_TEST_S3_{name}", "") for name in _S3_NAMES}
    missing = [f"CLEARANCE_TEST_S3_{name}" for name, value in values.items() if not value]
    if missing:
        reason = f"no S3 server ({', '.join(missing)} not set): run `make test`"
        if os.environ.get("CLEARANCE_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return values


def _remove_prefix(env: dict[str, str], prefix: str) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=env["ENDPOINT"],
        region_name=env["REGION"],
        aws_access_key_id=env["ACCESS_KEY"],
        aws_secret_access_key=env["SECRET_KEY"],
        config=botocore.config.Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=env["BUCKET"], Prefix=prefix
    ):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=env["BUCKET"], Key=item["Key"])


@contextmanager
def transfer_node(
    backend: str, store: str, data_dir: Path, pg_url_factory: Any, clock: Clock | None = None
) -> Iterator[Node]:
    url = f"sqlite:///{data_dir / 'clearance.db'}" if backend == "sqlite" else pg_url_factory()
    s3 = None
    env: dict[str, str] = {}
    prefix = f"test-transfer/{secrets.token_hex(6)}"
    if store == "s3":
        env = s3_env()
        s3 = S3Settings(
            bucket=env["BUCKET"],
            endpoint_url=env["ENDPOINT"],
            region=env["REGION"],
            access_key=env["ACCESS_KEY"],
            secret_key=env["SECRET_KEY"],
            prefix=prefix,
        )
    node = open_node(Settings(data_dir=data_dir, database_url=url, s3=s3), clock=clock)
    try:
        yield node
    finally:
        node.engine.dispose()
        if store == "s3":
            _remove_prefix(env, prefix)


@dataclass
class World:
    node: Node
    root: Path
    sources: Path
    key: X25519PrivateKey
    key_file: Path
    researcher: Principal
    stewards: dict[str, Principal]

    def request_grant(self, holding: str, *, item_filter: str | None = None, days: int = 30) -> str:
        """A real grant for ``res`` on ``holding`` (request, approval, signed token)."""
        requests, grants = self.node.requests, self.node.grants
        owner = holding.split("-")[0]
        view = requests.create(
            self.researcher,
            NewRequest(
                holding_id=holding,
                purpose="train a detector",
                purpose_code=PurposeCode.MODEL_TRAINING,
                mode=Mode.DOWNLOAD,
                duration_days=days,
            ),
        )
        conditions = Conditions.from_json({"item_filter": item_filter})
        approved = requests.approve(self.stewards[owner], view.id, conditions, "fine")
        assert approved.grant is not None, approved
        return grants.grant_token(self.researcher, approved.grant)

    def jti(self, token: str) -> str:
        from access import UNSAFE_decode_without_verification

        return str(UNSAFE_decode_without_verification(token)["claims"]["jti"])

    def publish(self, holding: str, folder: Path | None = None) -> None:
        owner = holding.split("-")[0]
        publish_folder(
            self.node, folder or self.sources / holding, admin=owner, holding_id=holding,
            title=f"{holding} scans", description="", level="R1", marking="OFFICIAL",
            rel_to="ALL", handling="download", discovery="partners",
        )  # fmt: skip


def build_world(
    node: Node, root: Path, holdings: tuple[tuple[str, str, int], ...] = HOLDINGS
) -> World:
    directory = node.directory
    for code in ("NLD", "GBR"):
        directory.add_administration(code, f"{code} customs")
        directory.add_user(
            f"{code.lower()}-steward", admin=code, roles=[Role.STEWARD], clearance=Level.R3
        )
    directory.add_user("res", admin="GBR", roles=[Role.RESEARCHER], clearance=Level.R2)
    key_file = root / "res.sec"
    key = generate_keypair(key_file, root / "res.pub", PASSPHRASE)
    world = World(
        node=node,
        root=root,
        sources=root / "sources",
        key=key,
        key_file=key_file,
        researcher=directory.user("res").principal(),
        stewards={c: directory.user(f"{c.lower()}-steward").principal() for c in ("NLD", "GBR")},
    )
    import base64

    from transfer.crypt4gh import public_key_bytes

    node.recipient_keys.register(world.researcher, base64.b64encode(public_key_bytes(key)).decode())
    for seed, (_owner, holding, count) in enumerate(holdings, start=1):
        generate_holding(
            world.sources / holding, kind="parcel", count=count, seed=seed, admin=_owner
        )
        world.publish(holding)
    return world


def world_fixture(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_url_factory: Any,
    clock: Callable[[], Clock | None] = lambda: None,
) -> Iterator[World]:
    backend, store = request.param
    root = tmp_path_factory.mktemp(f"transfer-{backend}-{store}")
    with transfer_node(backend, store, root / "data", pg_url_factory, clock()) as node:
        yield build_world(node, root)
