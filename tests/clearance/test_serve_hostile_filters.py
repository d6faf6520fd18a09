"""Hostile CQL2 filters against the real server process (`clearance serve`): refused, node up.

Before issue 8, a chain of ~4,000 operators (``1 = 1 = … = 1``) made the native cql2 parser
overflow its stack inside the server: SIGSEGV, the node was gone for every user. Each route that
takes a filter is tried here; the server must answer each with a 4xx that says what was wrong,
and still answer a normal search afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from clearance.http.serving import free_port
from clearance.node import open_node
from clearance.settings import Settings
from tests.catalog.seeded import seed

REPO = Path(__file__).resolve().parents[2]
# cql2 0.6.0 overflows an 8 MiB stack at about 3,850 chained operators.
HOSTILE_TEXTS = {
    "comparison chain": "=".join(["1"] * 4_900),  # ~10 kB: fits in a GET request line
    "LIKE chain": "id" + " LIKE'x'" * 3_950,  # ~32 kB, just under the length cap
    "arithmetic chain": "id = " + "+".join(["1"] * 4_900),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    root = tmp_path_factory.mktemp("hostile")
    data = root / "data"
    node = open_node(Settings(data_dir=data, database_url=f"sqlite:///{data / 'clearance.db'}"))
    seeded = seed(node, root / "sources")
    node.engine.dispose()
    port = free_port()
    env = {**os.environ, "CLEARANCE_DATA": str(data), "CLEARANCE_NODE_ID": node.settings.node_id}
    env.pop("CLEARANCE_DATABASE_URL", None)
    log = (root / "server.log").open("wb")
    command = [sys.executable, "-c", "from clearance.cli import cli; cli()", "serve"]
    proc = subprocess.Popen(
        [*command, "--port", str(port)], cwd=REPO, env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, proc)
        yield base, {"Authorization": f"Bearer {seeded.tokens['nld']}"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_until_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, f"the server exited ({proc.returncode}) before answering"
        assert time.monotonic() < deadline, "the server did not start"
        try:
            if httpx.get(f"{base}/conformance", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)


def _assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == "invalid-query"
    assert body["description"].startswith(
        ("filter: filter has more than", "item_filter: filter has")
    )


def _assert_still_answers(base: str, auth: dict[str, str]) -> None:
    response = httpx.get(
        f"{base}/search", params={"filter": "\"xray:conveyance\" = 'parcel'"}, headers=auth
    )
    assert response.status_code == 200, response.text
    assert {f["collection"] for f in response.json()["features"]} == {"GBR-parcel"}


@pytest.mark.parametrize("name", HOSTILE_TEXTS)
def test_hostile_filters_are_refused_on_every_route_and_the_node_keeps_serving(
    server: tuple[str, dict[str, str]], name: str
) -> None:
    base, auth = server
    text = HOSTILE_TEXTS[name]
    if len(text) < 10_000:  # a longer request line is refused by the HTTP layer already
        # Built by hand so the filter goes as is (= is legal in a query value).
        get_url = f"{base}/search?filter-lang=cql2-text&filter={text.replace('+', '%2B')}"
        _assert_refused(httpx.get(get_url, headers=auth, timeout=30))
    _assert_refused(httpx.post(f"{base}/search", json={"filter": text}, headers=auth, timeout=30))
    aggregate = {"filter": text, "aggregations": ["total_count"]}
    _assert_refused(httpx.post(f"{base}/aggregate", json=aggregate, headers=auth, timeout=30))
    request = {
        "holding": "GBR-parcel", "purpose": "detector training", "purpose_code": "research",
        "mode": "download", "duration_days": 30, "item_filter": text,
    }  # fmt: skip
    response = httpx.post(f"{base}/access/requests", json=request, headers=auth, timeout=30)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid-input"
    assert response.json()["description"].startswith("item_filter: filter has more than")
    _assert_still_answers(base, auth)
