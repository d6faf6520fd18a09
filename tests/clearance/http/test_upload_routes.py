"""The resumable upload routes on SQLite and PostgreSQL: publish from an upload, offsets, part and
archive digests, unsafe archives, invalid holdings, ownership and roles, limits, audit."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from access import AuditEntryRow, Level, Role
from catalog import CollectionRow
from clearance.http.app import create_app
from clearance.node import Node
from clearance.publishing.folder import publish_folder
from tests.catalog.ingest.builders import build_holding, edit_json
from transfer.uploads import content_digest, write_tar

PART = 4_000
NOT_FOUND = "no upload session 'ID' (or it expired)"
OPTIONS = {
    "holding": "NLD-H1", "title": "Uploaded scans", "level": "R2", "marking": "Dep. Vertrouwelijk",
    "rel_to": "GBR", "handling": "download", "discovery": "partners",
}  # fmt: skip


@dataclass
class World:
    node: Node
    client: TestClient
    tokens: dict[str, str]
    source: Path

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


@pytest.fixture
def world(node: Node, tmp_path: Path) -> Iterator[World]:
    node.directory.add_administration("NLD", "Douane")
    node.directory.add_administration("GBR", "Border Force")
    users = {"olaf": ("NLD", Role.OPERATOR), "gina": ("GBR", Role.OPERATOR),
             "rita": ("NLD", Role.RESEARCHER)}  # fmt: skip
    for name, (admin, role) in users.items():
        node.directory.add_user(name, admin=admin, roles=[role], clearance=Level.R3)
    tokens = {n: node.directory.issue_token(n, audience=node.settings.node_id) for n in users}
    with TestClient(create_app(node)) as client:
        yield World(node, client, tokens, build_holding(tmp_path / "holding"))


def _archive(folder: Path) -> bytes:
    out = io.BytesIO()
    write_tar(folder, out)
    return out.getvalue()


def _create(w: World, data: bytes, sha: str | None = None, user: str = "olaf") -> dict[str, Any]:
    body = {"size": len(data), "sha256": sha or hashlib.sha256(data).hexdigest(),
            "holding": OPTIONS["holding"]}  # fmt: skip
    response = w.client.post("/uploads", json=body, headers=w.headers(user))
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/uploads/{response.json()['id']}"
    assert response.headers["Upload-Offset"] == "0"
    result: dict[str, Any] = response.json()
    return result


def _patch(
    w: World, upload_id: str, offset: int, part: bytes, digest: str | None = None,
    user: str = "olaf",
) -> httpx.Response:  # fmt: skip
    headers = {
        **w.headers(user),
        "Upload-Offset": str(offset),
        "Content-Digest": digest or content_digest(hashlib.sha256(part).hexdigest()),
        "Content-Type": "application/offset+octet-stream",
    }
    return w.client.patch(f"/uploads/{upload_id}", content=part, headers=headers)


def _send_all(w: World, upload_id: str, data: bytes) -> None:
    for start in range(0, len(data), PART):
        response = _patch(w, upload_id, start, data[start : start + PART])
        assert response.status_code == 204, response.text
        assert response.headers["Upload-Offset"] == str(min(start + PART, len(data)))


def _complete(w: World, upload_id: str, user: str = "olaf", **changes: str) -> httpx.Response:
    body = {**OPTIONS, **changes}
    return w.client.post(f"/uploads/{upload_id}/complete", json=body, headers=w.headers(user))


def _offset(w: World, upload_id: str) -> int:
    response = w.client.get(f"/uploads/{upload_id}", headers=w.headers("olaf"))
    assert response.status_code == 200
    assert response.headers["Upload-Offset"] == str(response.json()["offset"])
    return int(response.headers["Upload-Offset"])


def _nothing_published(w: World) -> None:
    with w.node.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CollectionRow)) == 0
    assert list(w.node.blobs.keys("headers/")) == [] and list(w.node.blobs.keys("bodies/")) == []
    assert list(w.node.settings.work_dir.iterdir()) == []


def _actions(w: World) -> list[str]:
    with w.node.sessions() as session:
        return list(session.scalars(select(AuditEntryRow.action).order_by(AuditEntryRow.seq)))


def test_publish_from_an_upload(world: World) -> None:
    data = _archive(world.source)
    upload = _create(world, data)
    assert upload["max_part"] > 0 and upload["state"] == "open"
    _send_all(world, upload["id"], data)
    assert _offset(world, upload["id"]) == len(data)
    response = _complete(world, upload["id"])
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["holding_id"], result["version"], result["items"]) == ("NLD-H1", 1, 2)
    collection = world.client.get("/collections/NLD-H1", headers=world.headers("gina")).json()
    assert collection["sec:national_marking"] == "Dep. Vertrouwelijk"
    assert collection["sec:releasable_to"] == ["GBR"]
    again = _complete(world, upload["id"])  # the answer was lost: the same result again
    assert again.status_code == 200 and again.json() == result
    assert _complete(world, upload["id"], title="Other").status_code == 409
    shown = world.client.get(f"/uploads/{upload['id']}", headers=world.headers("olaf")).json()
    assert shown["state"] == "completed" and shown["result"] == result
    assert list(world.node.blobs.keys(f"uploads/{upload['id']}/")) == []
    assert _actions(world) == ["upload.create", "holding.publish", "upload.complete"]
    deleted = world.client.delete(f"/uploads/{upload['id']}", headers=world.headers("olaf"))
    assert deleted.status_code == 204
    assert world.client.get("/uploads", headers=world.headers("olaf")).json() == {"uploads": []}


def test_wrong_offset_is_409_with_the_current_offset(world: World) -> None:
    data = _archive(world.source)
    upload = _create(world, data)
    assert _patch(world, upload["id"], 0, data[:PART]).status_code == 204
    for offset in (0, PART + 5):
        response = _patch(world, upload["id"], offset, data[offset : offset + PART])
        assert response.status_code == 409
        assert response.json()["code"] == "offset-mismatch"
        assert response.headers["Upload-Offset"] == str(PART)
    assert _offset(world, upload["id"]) == PART


def test_bad_part_digest_is_rejected_and_nothing_appended(world: World) -> None:
    data = _archive(world.source)
    upload = _create(world, data)
    wrong = content_digest(hashlib.sha256(b"something else").hexdigest())
    response = _patch(world, upload["id"], 0, data[:PART], digest=wrong)
    assert response.status_code == 400
    assert response.json()["code"] == "part-digest-mismatch"
    assert _offset(world, upload["id"]) == 0
    assert list(world.node.blobs.keys(f"uploads/{upload['id']}/")) == []
    for headers, code in (
        ({"Upload-Offset": "0"}, "Content-Digest"),
        ({"Content-Digest": content_digest("00" * 32)}, "Upload-Offset"),
        ({"Upload-Offset": "-3", "Content-Digest": wrong}, "Upload-Offset"),
    ):
        bad = world.client.patch(
            f"/uploads/{upload['id']}", content=b"x", headers={**world.headers("olaf"), **headers}
        )
        assert bad.status_code == 400 and code in bad.json()["description"]


def test_limits_are_413(world: World) -> None:
    world.node.uploads.limits = type(world.node.uploads.limits)(max_size=50_000, max_part=10_000)
    response = world.client.post(
        "/uploads",
        json={"size": 50_001, "sha256": "0" * 64, "holding": "NLD-H1"},
        headers=world.headers("olaf"),
    )
    assert response.status_code == 413
    upload = _create(world, b"x" * 30_000)
    assert _patch(world, upload["id"], 0, b"x" * 10_001).status_code == 413
    assert _offset(world, upload["id"]) == 0
    assert _complete(world, upload["id"]).status_code == 409  # not all bytes are there


def test_archive_digest_mismatch_at_completion(world: World) -> None:
    data = _archive(world.source)
    upload = _create(world, data, sha="ab" * 32)
    _send_all(world, upload["id"], data)
    response = _complete(world, upload["id"])
    assert response.status_code == 422
    assert response.json()["code"] == "archive-digest-mismatch"
    _nothing_published(world)
    shown = world.client.get(f"/uploads/{upload['id']}", headers=world.headers("olaf")).json()
    assert shown["state"] == "open" and "not the declared" in shown["last_error"]
    assert _actions(world) == ["upload.create", "upload.fail"]
    assert (
        world.client.delete(f"/uploads/{upload['id']}", headers=world.headers("olaf")).status_code
        == 204
    )
    assert list(world.node.blobs.keys("uploads/")) == []


def _with_member(folder: Path, info: tarfile.TarInfo, data: bytes = b"") -> bytes:
    """The holding's archive with one more member appended (a tar may be written that way)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
        info.size = len(data) if info.isreg() else 0
        tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return out.getvalue()


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (_member("../../evil.txt"), "'../../evil.txt': '..' climbs out"),
        (_member("/tmp/evil.txt"), "'/tmp/evil.txt': absolute path refused"),
        (_member("scans/A001/x.tiff", tarfile.SYMTYPE, "/etc/passwd"), "is a symbolic link"),
    ],
)
def test_unsafe_archive_members_are_refused_naming_them(
    world: World, tmp_path: Path, member: tarfile.TarInfo, message: str
) -> None:
    data = _with_member(world.source, member, b"evil")
    upload = _create(world, data)
    _send_all(world, upload["id"], data)
    response = _complete(world, upload["id"])
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "archive-refused"
    assert message in response.json()["description"]
    _nothing_published(world)
    assert not list(tmp_path.rglob("evil.txt")) and not Path("/tmp/evil.txt").exists()
    assert _offset(world, upload["id"]) == len(data)  # kept: the owner may delete it


def test_invalid_holding_in_a_valid_archive_names_file_and_field(world: World) -> None:
    edit_json(
        world.source / "annotations.json",
        lambda coco: coco["annotations"][0].update(bbox=[100000, 5, 10, 10]),
    )
    data = _archive(world.source)
    upload = _create(world, data)
    _send_all(world, upload["id"], data)
    response = _complete(world, upload["id"])
    assert response.status_code == 422
    assert response.json()["code"] == "publish-failed"
    assert "annotations.json" in response.json()["description"]
    assert "bbox" in response.json()["description"]
    _nothing_published(world)
    shown = world.client.get(f"/uploads/{upload['id']}", headers=world.headers("olaf")).json()
    assert shown["state"] == "open" and "bbox" in shown["last_error"]


def test_bad_publish_options_are_400_before_any_work(world: World) -> None:
    data = _archive(world.source)
    upload = _create(world, data)
    _send_all(world, upload["id"], data)
    for change, field in (
        ({"level": "R9"}, "level"),
        ({"handling": "fax"}, "handling"),
        ({"rel_to": "ALL,GBR"}, "rel_to"),
        ({"holding": "../x"}, "holding"),
        ({"extra": "1"}, "extra"),
    ):
        response = _complete(world, upload["id"], **change)
        assert response.status_code == 400 and field in response.json()["description"]
    assert _actions(world) == ["upload.create"]


def test_another_administrations_operator_gets_404(world: World) -> None:
    data = _archive(world.source)
    upload = _create(world, data)
    missing = "0" * 32
    for path_id in (upload["id"], missing):
        calls = [
            world.client.get(f"/uploads/{path_id}", headers=world.headers("gina")),
            _patch(world, path_id, 0, data[:PART], user="gina"),
            _complete(world, path_id, user="gina", holding="GBR-H1"),
            world.client.delete(f"/uploads/{path_id}", headers=world.headers("gina")),
        ]
        for response in calls:
            assert response.status_code == 404
            body = json.dumps(response.json()).replace(path_id, "ID")
            assert body == json.dumps({"code": "not-found", "description": NOT_FOUND})
    assert world.client.get("/uploads", headers=world.headers("gina")).json() == {"uploads": []}
    assert _offset(world, upload["id"]) == 0


def test_a_researcher_gets_403(world: World) -> None:
    response = world.client.post(
        "/uploads",
        json={"size": 10, "sha256": "0" * 64, "holding": "NLD-H1"},
        headers=world.headers("rita"),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "role-lacks-action"


def test_an_internal_failure_reveals_nothing_and_keeps_the_upload(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database password=hunter2 at 10.0.0.7")

    monkeypatch.setattr("clearance.publishing.upload.publish_options", broken)
    data = _archive(world.source)
    upload = _create(world, data)
    _send_all(world, upload["id"], data)
    client = TestClient(world.client.app, raise_server_exceptions=False)
    response = client.post(
        f"/uploads/{upload['id']}/complete", json=OPTIONS, headers=world.headers("olaf")
    )
    assert response.status_code == 500
    assert "hunter2" not in response.text and "incident" in response.json()["description"]
    shown = world.client.get(f"/uploads/{upload['id']}", headers=world.headers("olaf")).json()
    assert shown["state"] == "open" and "hunter2" not in shown["last_error"]
    assert _actions(world) == ["upload.create", "upload.fail"]
    monkeypatch.undo()
    assert _complete(world, upload["id"]).status_code == 200  # retried once fixed


# --- issue 8: publishing is decided on the holding, before any work; ids name their owner ---


def _publish_hidden(w: World) -> None:
    """USA-hidden: USA's, discoverable by AUS alone (GBR and NLD must never learn of it)."""
    w.node.directory.add_administration("USA", "CBP")
    w.node.directory.add_administration("AUS", "ABF")
    publish_folder(
        w.node, w.source, admin="USA", holding_id="USA-hidden", title="hidden", description="",
        level="R2", marking="LES", rel_to="AUS", handling="download", discovery="releasable",
    )  # fmt: skip


def _answers(w: World, user: str, upload_id: str, holding: str) -> list[tuple[int, Any]]:
    created = w.client.post(
        "/uploads",
        json={"size": 10, "sha256": "0" * 64, "holding": holding},
        headers=w.headers(user),
    )
    completed = _complete(w, upload_id, user=user, holding=holding)
    return [(r.status_code, r.json()) for r in (created, completed)]


def test_an_undiscoverable_id_is_answered_like_a_free_one(world: World) -> None:
    _publish_hidden(world)
    data = _archive(world.source)
    gina = world.client.post(
        "/uploads",
        json={"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "holding": "GBR-H1"},
        headers=world.headers("gina"),
    ).json()
    _send_all_as(world, gina["id"], data, "gina")
    hidden = _answers(world, "gina", gina["id"], "USA-hidden")
    for free in ("USA-free", "NLD-free", "H2", "usa-hidden"):
        assert _answers(world, "gina", gina["id"], free) == hidden, free
    assert {status for status, _ in hidden} == {403}
    assert hidden[0][1]["code"] == "not-owner" and "'GBR-'" in hidden[0][1]["description"]
    assert "USA-hidden" not in json.dumps(hidden)
    # refused before any work: no new session, the session untouched, nothing published
    listed = world.client.get("/uploads", headers=world.headers("gina")).json()["uploads"]
    assert [u["id"] for u in listed] == [gina["id"]] and listed[0]["state"] == "open"
    assert listed[0]["last_error"] is None and listed[0]["result"] is None
    assert _actions(world).count("upload.create") == 1
    assert "upload.fail" not in _actions(world)
    with world.node.sessions() as session:
        ids = set(session.scalars(select(CollectionRow.id)))
        owner = session.scalar(select(CollectionRow.owner).where(CollectionRow.id == "USA-hidden"))
    assert ids == {"USA-hidden"} and owner == "USA"


def test_another_administrations_prefix_is_refused_before_any_upload_work(world: World) -> None:
    response = world.client.post(
        "/uploads", json={"size": 10, "sha256": "0" * 64, "holding": "GBR-x"},
        headers=world.headers("olaf"),
    )  # fmt: skip
    assert response.status_code == 403
    assert response.json() == {
        "code": "not-owner",
        "description": "not allowed: not-owner (holdings of NLD are published under ids that "
        "start with 'NLD-')",
    }
    assert world.client.get("/uploads", headers=world.headers("olaf")).json() == {"uploads": []}
    assert _actions(world) == []
    missing = world.client.post(
        "/uploads", json={"size": 10, "sha256": "0" * 64}, headers=world.headers("olaf")
    )
    assert missing.status_code == 400 and "holding" in missing.json()["description"]


def test_the_owner_republishes_under_its_own_id(world: World) -> None:
    data = _archive(world.source)
    for version in (1, 2):
        upload = _create(world, data)
        _send_all(world, upload["id"], data)
        response = _complete(world, upload["id"])
        assert response.status_code == 200, response.text
        assert response.json()["version"] == version


def _send_all_as(w: World, upload_id: str, data: bytes, user: str) -> None:
    for start in range(0, len(data), PART):
        response = _patch(w, upload_id, start, data[start : start + PART], user=user)
        assert response.status_code == 204, response.text
