"""`clearance upload` against a real server (SQLite and PostgreSQL): publish, resume after the
client was stopped, recover from a lost answer, refuse a folder it cannot pack.

The server counts every PATCH it receives, so "no accepted part was sent twice" is checked on
the server side, not from the client's own account.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from access import Level, Role
from catalog.synth import generate_holding
from clearance.cli.node import cli
from clearance.client.http import ClientError, NodeClient
from clearance.http.app import create_app
from clearance.node import Node
from tests.helpers.server import serve
from transfer import UploadRow

PART = 1 << 20


@dataclass
class PatchCounter:
    """ASGI middleware: the ``Upload-Offset`` and status of every PATCH the server answers."""

    app: Any
    seen: list[tuple[int, int]] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "PATCH":
            await self.app(scope, receive, send)
            return
        status: list[int] = []

        async def record(message: Any) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, receive, record)
        offset = dict(scope["headers"]).get(b"upload-offset", b"-1")
        self.seen.append((int(offset), status[0] if status else 0))


@dataclass
class Served:
    node: Node
    url: str
    patches: list[tuple[int, int]]
    folder: Path

    def env(self, user: str = "olaf") -> dict[str, str]:
        token = self.node.directory.issue_token(user, audience=self.node.settings.node_id)
        return {"CLEARANCE_URL": self.url, "CLEARANCE_TOKEN": token}


@pytest.fixture
def served(node: Node, tmp_path: Path) -> Iterator[Served]:
    node.directory.add_administration("NLD", "Douane")
    node.directory.add_user("olaf", admin="NLD", roles=[Role.OPERATOR], clearance=Level.R3)
    folder = tmp_path / "holding"
    generate_holding(folder, kind="parcel", count=3, seed=4, admin="NLD")
    seen: list[tuple[int, int]] = []
    app = create_app(node)
    app.add_middleware(PatchCounter, seen=seen)
    with serve(app) as url:
        yield Served(node, url, seen, folder)


def _args(folder: Path, *extra: str) -> list[str]:
    return [
        "upload", str(folder), "--holding", "NLD-up", "--title", "Uploaded parcels",
        "--level", "R1", "--marking", "OFFICIAL", "--rel-to", "ALL", "--handling", "download",
        "--discovery", "partners", "--part-size", "1M", "--json", *extra,
    ]  # fmt: skip


def _json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _parts(size: int) -> list[int]:
    return list(range(0, size, PART))


def test_upload_publishes_the_folder(served: Served, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    out = _json(CliRunner().invoke(cli, _args(served.folder, "--work-dir", str(work)),
                                   env=served.env()))  # fmt: skip
    result = out["result"]
    assert (result["holding_id"], result["version"], result["items"]) == ("NLD-up", 1, 3)
    assert out["resumed"] is False and out["resumed_at"] == 0
    assert served.patches == [(offset, 204) for offset in _parts(out["archive_size"])]
    assert list(work.iterdir()) == []  # the temporary archive is gone
    patches = len(served.patches)
    again = CliRunner().invoke(cli, _args(served.folder)[:-1], env=served.env())
    assert again.exit_code == 0, again.output  # the same folder again: nothing published
    assert again.stdout.startswith("already published: NLD-up v1: 3 items")
    assert len(served.patches) == patches  # nothing sent
    table = CliRunner().invoke(cli, [*_args(served.folder)[:-1], "--again"], env=served.env())
    assert table.exit_code == 0, table.output  # asked for: a new session, republished as v2
    assert "published NLD-up v2: 3 items" in table.stdout


def test_every_publish_option_reaches_the_holding(served: Served) -> None:
    args = [*_args(served.folder), "--geometry", "withheld", "--description", "From afar"]
    out = _json(CliRunner().invoke(cli, args, env=served.env()))
    assert out["result"]["holding_id"] == "NLD-up"
    client = NodeClient(served.url, served.env()["CLEARANCE_TOKEN"])
    holding = client.call("GET", "/collections/NLD-up")
    assert holding["description"] == "From afar"
    items = client.call("GET", "/collections/NLD-up/items")["features"]
    assert len(items) == 3
    for item in items:  # withheld: no point, no bbox, no site
        assert item["geometry"] is None and "bbox" not in item
        assert "xray:site" not in item["properties"]


def test_a_stopped_upload_resumes_from_the_servers_offset(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = NodeClient.send
    sent: list[str] = []

    def stops_after_three_parts(self: NodeClient, method: str, path: str, **kw: Any) -> Any:
        if method == "PATCH":
            if len(sent) == 3:
                raise KeyboardInterrupt  # the user stopped the client mid-upload
            sent.append(path)
        return original(self, method, path, **kw)

    monkeypatch.setattr(NodeClient, "send", stops_after_three_parts)
    stopped = CliRunner().invoke(cli, _args(served.folder), env=served.env())
    assert stopped.exit_code == 1 and "Aborted" in stopped.output  # as after Ctrl-C
    monkeypatch.undo()
    assert served.patches == [(0, 204), (PART, 204), (2 * PART, 204)]
    with served.node.sessions() as session:
        row = session.scalars(select(UploadRow)).one()
        assert (row.received, row.parts, row.state) == (3 * PART, 3, "open")

    out = _json(CliRunner().invoke(cli, _args(served.folder), env=served.env()))
    assert out["resumed"] is True and out["resumed_at"] == 3 * PART
    parts = _parts(out["archive_size"])
    assert out["parts_sent"] == len(parts) - 3
    assert served.patches == [(offset, 204) for offset in parts]  # every part exactly once
    assert out["result"]["holding_id"] == "NLD-up"


def test_a_lost_answer_is_recovered_without_resending(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = NodeClient.send
    lost: list[str] = []

    def loses_one_answer(self: NodeClient, method: str, path: str, **kw: Any) -> Any:
        response = original(self, method, path, **kw)
        if method == "PATCH" and not lost:
            lost.append(path)  # the node took the part; the client never hears it
            raise ClientError(0, "unreachable", "cannot reach the node: connection reset")
        if method == "POST" and path.endswith("/complete") and len(lost) == 1:
            lost.append(path)  # the publish happened; its answer is lost too
            raise ClientError(0, "unreachable", "cannot reach the node: read timeout")
        return response

    monkeypatch.setattr(NodeClient, "send", loses_one_answer)
    out = _json(CliRunner().invoke(cli, _args(served.folder), env=served.env()))
    assert served.patches == [(offset, 204) for offset in _parts(out["archive_size"])]
    assert len(lost) == 2
    assert out["result"]["version"] == 1  # published once, the kept result was fetched


def test_a_folder_with_a_symlink_is_refused_before_anything_is_sent(served: Served) -> None:
    (served.folder / "link.tiff").symlink_to(served.folder / "annotations.json")
    result = CliRunner().invoke(cli, _args(served.folder), env=served.env())
    assert result.exit_code == 1
    assert "link.tiff: is a symbolic link" in result.output
    assert served.patches == []
    assert served.node.uploads.mine(served.node.directory.user("olaf").principal()) == []
