"""The image's entry point (clearance.container): the database URL from its parts, secrets from
files, key bundles in and out, the environment the node gets, and the queue-depth metric.

The command lines themselves run in tests/deploy/test_dockerfile.py.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import secrets
import stat
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from clearance.container import (
    ContainerError,
    bundle_of,
    database_url,
    install_bundles,
    prepared_environment,
    queue_metric,
    run,
)
from clearance.http.serving import free_port
from clearance.node import Node, open_node
from clearance.settings import Settings
from transfer import StorageKey

PARTS = {
    "CLEARANCE_DB_HOST": "db.internal",
    "CLEARANCE_DB_NAME": "clearance",
    "CLEARANCE_DB_USER": "clearance",
    "CLEARANCE_DB_PASSWORD": "p@ss:w/rd%?#",
}


def test_the_database_url_is_composed_from_its_parts_with_the_password_encoded() -> None:
    url = database_url(PARTS)
    assert url == (
        "postgresql+psycopg://clearance:p%40ss%3Aw%2Frd%25%3F%23@db.internal:5432/clearance"
        "?sslmode=require"
    )
    with_ca = database_url(
        {**PARTS, "CLEARANCE_DB_SSLMODE": "verify-full", "CLEARANCE_DB_SSLROOTCERT": "/ca/rds.pem",
         "CLEARANCE_DB_PORT": "6432"}
    )  # fmt: skip
    assert with_ca is not None
    assert with_ca.endswith(
        "@db.internal:6432/clearance?sslmode=verify-full&sslrootcert=/ca/rds.pem"
    )


def test_a_whole_url_wins_and_no_parts_means_no_url() -> None:
    assert database_url({**PARTS, "CLEARANCE_DATABASE_URL": "sqlite:///x.db"}) is None
    assert database_url({}) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"CLEARANCE_DB_NAME": ""}, "needs CLEARANCE_DB_NAME"),
        ({"CLEARANCE_DB_PORT": "54x"}, "port number"),
        ({"CLEARANCE_DB_HOST": "db/evil?x=1"}, "host name"),
        ({"CLEARANCE_DB_SSLMODE": "prefer"}, "CLEARANCE_DB_SSLMODE"),
    ],
)
def test_bad_parts_are_refused_without_showing_the_password(
    change: dict[str, str], message: str
) -> None:
    with pytest.raises(ContainerError, match=message) as caught:
        database_url({**PARTS, **change})
    assert PARTS["CLEARANCE_DB_PASSWORD"] not in str(caught.value)


def test_secrets_come_from_files_and_leave_the_environment(tmp_path: Path) -> None:
    password = tmp_path / "db_password"
    password.write_text("from-a-file\n")
    env = {
        **{k: v for k, v in PARTS.items() if k != "CLEARANCE_DB_PASSWORD"},
        "CLEARANCE_DB_PASSWORD_FILE": str(password),
        "CLEARANCE_DATA": str(tmp_path / "data"),
        "CLEARANCE_KEYS_BUNDLE_SIGNING": json.dumps({"version": 1, "files": {}}),
        "CLEARANCE_NODE_ID": "urn:clearance:node:test",
    }
    prepared = prepared_environment(env, install=True)
    assert prepared["CLEARANCE_DATABASE_URL"].startswith(
        "postgresql+psycopg://clearance:from-a-file@"
    )
    for gone in ("CLEARANCE_DB_PASSWORD", "CLEARANCE_DB_PASSWORD_FILE",
                 "CLEARANCE_KEYS_BUNDLE_SIGNING"):  # fmt: skip
        assert gone not in prepared
    assert prepared["CLEARANCE_NODE_ID"] == "urn:clearance:node:test"
    assert env["CLEARANCE_KEYS_BUNDLE_SIGNING"]  # the caller's mapping is left alone
    with pytest.raises(ContainerError, match="CLEARANCE_DB_PASSWORD_FILE names a file") as caught:
        prepared_environment(
            {**env, "CLEARANCE_DB_PASSWORD_FILE": str(tmp_path / "no")}, install=False
        )
    assert str(tmp_path) not in str(caught.value)


def _made_node(data: Path) -> Node:
    node = open_node(Settings(data_dir=data, database_url=f"sqlite:///{data / 'c.db'}"))
    node.directory.add_administration("NLD", "Douane")
    node.storage.public_key  # noqa: B018 (made on first use)
    with node.sessions.begin() as session:
        node.audit.checkpoint(session)  # the audit key
    return node


def test_a_key_bundle_carries_a_nodes_keys_to_another_data_folder(tmp_path: Path) -> None:
    node = _made_node(tmp_path / "first")
    bundle = bundle_of(node.settings.keys_dir)
    files = json.loads(bundle)["files"]
    assert "_node/storage/c4gh.sec" in files and "paging.key" in files
    assert any(path.startswith("_node/audit/") for path in files)
    assert any(path.startswith("NLD/") for path in files)
    keys = tmp_path / "second" / "keys"
    keys.mkdir(parents=True)
    written = install_bundles({"CLEARANCE_KEYS_BUNDLE": bundle}, keys, required=True)
    assert sorted(written) == sorted(files)
    for path in written:
        copy = keys / path
        assert copy.read_bytes() == (node.settings.keys_dir / path).read_bytes()
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
        assert stat.S_IMODE(copy.parent.stat().st_mode) == 0o700
    assert StorageKey(keys).public_key == node.storage.public_key
    node.engine.dispose()


def test_a_key_file_whose_base64url_id_starts_with_a_dash_is_carried(tmp_path: Path) -> None:
    """Key ids are base64url: about one in 64 starts with "-", and its file must travel too."""
    files = {"NLD/-Zk3.pem": b"key one", "_node/audit/-_x.pem": b"key two"}
    bundle = json.dumps(
        {"version": 1, "files": {p: base64.b64encode(c).decode() for p, c in files.items()}}
    )
    written = install_bundles({"CLEARANCE_KEYS_BUNDLE": bundle}, tmp_path, required=False)
    assert sorted(written) == sorted(files)
    assert all((tmp_path / path).read_bytes() == content for path, content in files.items())


@pytest.mark.parametrize("path", ["../escape", "/etc/passwd", "a//b", "a/../../b", ".hidden", ""])
def test_a_bundle_cannot_write_outside_keys(tmp_path: Path, path: str) -> None:
    bundle = json.dumps({"version": 1, "files": {path: base64.b64encode(b"x").decode()}})
    with pytest.raises(ContainerError, match="is not a path under keys/"):
        install_bundles({"CLEARANCE_KEYS_BUNDLE": bundle}, tmp_path, required=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "text", ["not json", '{"version": 2, "files": {}}', '{"version": 1, "files": {"a": "%%%"}}']
)
def test_a_malformed_bundle_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(ContainerError):
        install_bundles({"CLEARANCE_KEYS_BUNDLE_X": text}, tmp_path, required=False)


def test_required_keys_must_all_come_from_bundles(tmp_path: Path) -> None:
    only_paging = json.dumps(
        {"version": 1, "files": {"paging.key": base64.b64encode(bytes(32)).decode()}}
    )
    with pytest.raises(ContainerError) as caught:
        install_bundles({"CLEARANCE_KEYS_BUNDLE": only_paging}, tmp_path, required=True)
    assert "_node/storage/c4gh.sec" in str(caught.value)
    assert "_node/audit/<kid>.pem" in str(caught.value)
    assert "paging.key" not in str(caught.value).split("holds")[1]


def test_keys_export_prints_the_bundle(tmp_path: Path) -> None:
    node = _made_node(tmp_path / "data")
    out = io.StringIO()
    with redirect_stdout(out):
        assert run(["keys-export"], {"CLEARANCE_DATA": str(tmp_path / "data")}) == 0
    assert json.loads(out.getvalue()) == json.loads(bundle_of(node.settings.keys_dir))
    parts = {}
    for option in ("--include", "--exclude"):
        out = io.StringIO()
        with redirect_stdout(out):
            run(
                ["keys-export", option, "_node/storage/"],
                {"CLEARANCE_DATA": str(tmp_path / "data")},
            )
        parts[option] = set(json.loads(out.getvalue())["files"])
    assert "_node/storage/c4gh.sec" in parts["--include"]
    assert all(path.startswith("_node/storage/") for path in parts["--include"])
    assert "_node/storage/c4gh.sec" not in parts["--exclude"]
    assert "paging.key" in parts["--exclude"]
    node.engine.dispose()


def test_an_oversized_bundle_is_refused(tmp_path: Path) -> None:
    for index in range(60):
        (tmp_path / f"k{index}.pem").write_bytes(bytes(1024))
    with pytest.raises(ContainerError, match="over the 60000 a secret may hold"):
        bundle_of(tmp_path)


def test_the_queue_metric_is_cloudwatch_embedded_metric_format() -> None:
    line = queue_metric("urn:clearance:node:nld", "Clearance", {"queued": 3}, 1_700_000_000_000)
    document = json.loads(line)
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Clearance"
    assert directive["Dimensions"] == [["Node"]]
    names = [m["Name"] for m in directive["Metrics"]]
    assert names == ["QueuedEvaluations", "RunningEvaluations"]
    assert document["Node"] == "urn:clearance:node:nld"
    assert (document["QueuedEvaluations"], document["RunningEvaluations"]) == (3, 0)
    assert document["_aws"]["Timestamp"] == 1_700_000_000_000


def test_queue_metrics_reads_the_real_queue(node: Node) -> None:
    env = {"CLEARANCE_DATABASE_URL": node.settings.database_url,
           "CLEARANCE_DATA": str(node.settings.data_dir), "CLEARANCE_NODE_ID": "urn:x"}  # fmt: skip
    out = io.StringIO()
    with redirect_stdout(out):
        assert run(["queue-metrics", "--once"], env) == 0
    document = json.loads(out.getvalue())
    assert (document["QueuedEvaluations"], document["RunningEvaluations"]) == (0, 0)
    assert document["Node"] == "urn:x"


def test_queue_metrics_without_a_database_says_so_by_type_only(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://u:secret-pw@127.0.0.1:{free_port()}/x"
    out = io.StringIO()
    with redirect_stdout(out):
        code = run(["queue-metrics", "--once"], {"CLEARANCE_DATABASE_URL": url,
                                                 "CLEARANCE_DATA": str(tmp_path)})  # fmt: skip
    assert code == 1
    assert out.getvalue().startswith("queue-metrics: database unavailable (OperationalError)")
    assert "secret-pw" not in out.getvalue()


def test_queue_metrics_checks_its_interval(tmp_path: Path) -> None:
    with pytest.raises(ContainerError, match="--interval"):
        run(["queue-metrics", "--interval", "1"], {"CLEARANCE_DATA": str(tmp_path)})


def test_migrate_brings_a_fresh_database_to_the_newest_revision(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"CLEARANCE_DATA": str(data)}
    out = io.StringIO()
    with redirect_stdout(out):
        assert run(["migrate"], env) == 0
    assert "migrations applied" in out.getvalue()
    node = open_node(Settings(data_dir=data, database_url=f"sqlite:///{data / 'clearance.db'}"))
    assert dataclasses.is_dataclass(node)
    node.engine.dispose()


def _ceremony_env(tmp_path: Path, bundles: dict[str, str]) -> dict[str, str]:
    import os
    import sys

    data = tmp_path / "ceremony-data"
    return {
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "CLEARANCE_DATA": str(data),
        "CLEARANCE_DATABASE_URL": f"sqlite:///{tmp_path / 'node.db'}",
        "CLEARANCE_CEREMONY_SIGNING_SECRET": "node/signing-keys",
        "CLEARANCE_CEREMONY_STORAGE_SECRET": "node/storage-key",
        "CLEARANCE_KEYS_BUNDLE_SIGNING": bundles["node/signing-keys"],
        "CLEARANCE_KEYS_BUNDLE_STORAGE": bundles["node/storage-key"],
    }


def test_a_key_ceremony_writes_back_only_the_bundles_it_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    import boto3
    from moto import mock_aws

    from clearance.container import ceremony

    empty = json.dumps({"version": 1, "files": {}})
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="eu-west-1")
        for name in ("node/signing-keys", "node/storage-key"):
            client.create_secret(Name=name, SecretString=empty)

        def current() -> dict[str, str]:
            return {
                name: client.get_secret_value(SecretId=name)["SecretString"]
                for name in ("node/signing-keys", "node/storage-key")
            }

        # The first ceremony: an administration, and the node's own keys, from nothing.
        first = ["admin", "add", "NLD", "--name", "Douane"]
        assert ceremony(first, _ceremony_env(tmp_path, current()), secrets=client) == 0
        made = current()
        signing = set(json.loads(made["node/signing-keys"])["files"])
        storage = set(json.loads(made["node/storage-key"])["files"])
        assert "paging.key" in signing and any(p.startswith("NLD/") for p in signing)
        assert any(p.startswith("_node/audit/") for p in signing)
        assert "_node/storage/c4gh.sec" in storage and not storage & signing
        out = capsys.readouterr().out
        assert "the signing-keys bundle was written" in out
        assert "BEGIN" not in out and made["node/signing-keys"] not in out  # no key material

        # A rotation in a fresh task (an empty data folder): the bundles bring the keys in.
        shutil.rmtree(tmp_path / "ceremony-data")
        rotate = ["admin", "rotate-key", "NLD"]
        assert ceremony(rotate, _ceremony_env(tmp_path, made), secrets=client) == 0
        rotated = current()
        nld = [p for p in json.loads(rotated["node/signing-keys"])["files"] if p.startswith("NLD/")]
        assert len(nld) == 2
        assert rotated["node/storage-key"] == made["node/storage-key"]
        assert "the storage-key bundle is unchanged" in capsys.readouterr().out
        versions = client.list_secret_version_ids(SecretId="node/storage-key")["Versions"]
        assert len(versions) == 2  # created, then written once by the first ceremony

        # A command that fails changes nothing.
        shutil.rmtree(tmp_path / "ceremony-data")
        failing = ["admin", "rotate-key", "GBR"]  # no such administration
        assert ceremony(failing, _ceremony_env(tmp_path, rotated), secrets=client) != 0
        assert current() == rotated


def test_a_ceremony_needs_both_secrets(tmp_path: Path) -> None:
    from clearance.container import ceremony

    with pytest.raises(ContainerError, match="a ceremony needs"):
        ceremony(["admin", "list"], {"CLEARANCE_DATA": str(tmp_path)}, secrets=object())


def _s3_client() -> tuple[object, str]:
    import boto3
    import botocore.config

    from tests.transfer.world import s3_env

    env = s3_env()
    client = boto3.client(
        "s3",
        endpoint_url=env["ENDPOINT"],
        region_name=env["REGION"],
        aws_access_key_id=env["ACCESS_KEY"],
        aws_secret_access_key=env["SECRET_KEY"],
        config=botocore.config.Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    return client, env["BUCKET"]


def _audited(node: Node) -> None:
    """A few audit entries: a user's login (audited) on a fresh node."""
    from access import Level, Role

    node.directory.add_administration("NLD", "Douane")
    node.directory.add_user(
        "ann", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R1,
        password="correct horse battery staple",
    )  # fmt: skip
    for _ in range(2):
        node.directory.login("ann", "correct horse battery staple", audience=node.settings.node_id)


@pytest.mark.s3
def test_audit_archive_verifies_checkpoints_and_uploads_the_log(node: Node, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from access import read_public_jwk
    from clearance.container import audit_archive

    _audited(node)
    client, bucket = _s3_client()
    prefix = f"audit-{secrets.token_hex(8)}"
    env = {"CLEARANCE_DATA": str(node.settings.data_dir),
           "CLEARANCE_DATABASE_URL": node.settings.database_url,
           "CLEARANCE_AUDIT_BUCKET": bucket, "CLEARANCE_AUDIT_PREFIX": prefix}  # fmt: skip
    when = datetime(2026, 12, 6, 21, 0, 5, tzinfo=UTC)
    assert audit_archive(env, s3=client, now=when) == 0
    folder = f"{prefix}/20261206T210005Z"
    listed = client.list_objects_v2(Bucket=bucket, Prefix=folder)  # type: ignore[attr-defined]
    names = sorted(o["Key"].rsplit("/", 1)[1] for o in listed["Contents"])
    assert names == ["audit-public-key.jwk.json", "checkpoints.jsonl", "entries.jsonl"]

    def fetch(name: str) -> bytes:
        body = client.get_object(Bucket=bucket, Key=f"{folder}/{name}")["Body"]  # type: ignore[attr-defined]
        data: bytes = body.read()
        return data

    entries = [json.loads(line) for line in fetch("entries.jsonl").splitlines()]
    checkpoints = [json.loads(line) for line in fetch("checkpoints.jsonl").splitlines()]
    assert entries and checkpoints[-1]["seq"] == entries[-1]["seq"]  # ends on a checkpoint
    pinned = tmp_path / "audit.jwk.json"
    pinned.write_bytes(fetch("audit-public-key.jwk.json"))
    assert node.audit.verify(public_key=read_public_jwk(pinned)).ok
    for name in names:
        client.delete_object(Bucket=bucket, Key=f"{folder}/{name}")  # type: ignore[attr-defined]


@pytest.mark.s3
def test_audit_archive_refuses_a_tampered_log_and_uploads_nothing(
    node: Node, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import text

    from clearance.container import audit_archive

    _audited(node)
    with node.sessions.begin() as session:
        session.execute(text("UPDATE audit_entries SET reason = 'edited' WHERE seq = 1"))
    client, bucket = _s3_client()
    prefix = f"tampered-{secrets.token_hex(8)}"
    env = {"CLEARANCE_DATA": str(node.settings.data_dir),
           "CLEARANCE_DATABASE_URL": node.settings.database_url,
           "CLEARANCE_AUDIT_BUCKET": bucket, "CLEARANCE_AUDIT_PREFIX": prefix}  # fmt: skip
    assert audit_archive(env, s3=client) == 1
    assert "audit log FAILED" in capsys.readouterr().out  # what the log alarm matches
    listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix)  # type: ignore[attr-defined]
    assert listed.get("KeyCount", 0) == 0
