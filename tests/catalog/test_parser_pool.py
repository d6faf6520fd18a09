"""The isolated CQL2 parser: a crash of the native parser fails one call, never this process."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

import catalog.cql2sql
from catalog.cql2sql import FilterUnparseable, parse_filter
from catalog.params import from_post
from catalog.parser_pool import ParserCrashed, ParserPool

# cql2 0.6.0 overflows its stack on this (SIGSEGV): run in this process, it would end the run.
CRASHER = " = ".join(["1"] * 4_000)
SIMPLE = "\"xray:modality\" = 'ct'"
SIMPLE_JSON = {"op": "=", "args": [{"property": "xray:modality"}, "ct"]}


@pytest.fixture
def pool() -> Iterator[ParserPool]:
    created = ParserPool(size=1, timeout_s=30)
    yield created
    created.close()


def _worker_pids(pool: ParserPool) -> set[int]:
    """The pids of the idle workers (the pool's only state a test may look at)."""
    workers = []
    while not pool._idle.empty():
        workers.append(pool._idle.get_nowait())
    for worker in workers:
        pool._idle.put(worker)
    return {w.process.pid for w in workers if w.process.pid is not None}


def _wait_until_dead(pid: int) -> None:
    """Until the killed worker's pipe is closed (it stays a zombie until the pool reaps it)."""
    for _ in range(500):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(") ")[1][0] in "ZX":
                    return
        except FileNotFoundError:  # already reaped
            return
        time.sleep(0.01)
    raise AssertionError(f"worker {pid} did not die")


def test_a_crashing_input_fails_that_call_and_the_pool_recovers(pool: ParserPool) -> None:
    assert pool.parse("text", SIMPLE) == ("ok", SIMPLE_JSON)
    (first,) = _worker_pids(pool)
    with pytest.raises(ParserCrashed):
        pool.parse("text", CRASHER)
    assert _worker_pids(pool) == set()  # the dead worker is gone, not returned to the pool
    assert pool.parse("text", SIMPLE) == ("ok", SIMPLE_JSON)  # a fresh worker answers
    (second,) = _worker_pids(pool)
    assert second != first
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)


def test_parse_errors_come_back_as_messages(pool: ParserPool) -> None:
    status, message = pool.parse("text", "id = ")
    assert status == "error"
    assert "expected" in message
    assert pool.parse("json", '{"op": "=", "args": [{"property": "id"}, "a"]}')[0] == "ok"


def test_a_worker_killed_while_idle_is_replaced_without_failing_a_call(pool: ParserPool) -> None:
    pool.parse("text", SIMPLE)
    (pid,) = _worker_pids(pool)
    os.kill(pid, signal.SIGKILL)
    _wait_until_dead(pid)
    assert pool.parse("text", SIMPLE) == ("ok", SIMPLE_JSON)
    assert _worker_pids(pool) != {pid}


def test_a_closed_pool_refuses_and_leaves_no_worker(pool: ParserPool) -> None:
    pool.parse("text", SIMPLE)
    (pid,) = _worker_pids(pool)
    pool.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(ParserCrashed):
        pool.parse("text", SIMPLE)


def test_with_the_guards_bypassed_a_crashing_filter_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Defence in depth: even a filter the pre-checks miss costs one request, not the node."""
    monkeypatch.setattr(catalog.cql2sql, "_prescan_text", lambda text: None)
    with pytest.raises(FilterUnparseable, match="could not be parsed"):
        parse_filter(CRASHER, "cql2-text", queryables=None)
    assert parse_filter(SIMPLE, "cql2-text") == SIMPLE_JSON  # and this process still parses


def test_a_worker_that_does_not_answer_in_time_is_killed_and_replaced() -> None:
    pool = ParserPool(size=1, timeout_s=0.5)
    try:
        pool.parse("text", SIMPLE)
        (pid,) = _worker_pids(pool)
        os.kill(pid, signal.SIGSTOP)  # a hung parser: alive, never answers
        with pytest.raises(ParserCrashed, match="did not answer in time"):
            pool.parse("text", SIMPLE)
        _wait_until_dead(pid)
        assert pool.parse("text", SIMPLE) == ("ok", SIMPLE_JSON)
    finally:
        pool.close()


def test_concurrent_callers_share_at_most_size_workers() -> None:
    pool = ParserPool(size=2, timeout_s=30)
    texts = [f'"xray:object_count" = {i}' for i in range(200)]
    try:
        with ThreadPoolExecutor(max_workers=8) as threads:
            answers = list(threads.map(lambda t: pool.parse("text", t), texts))
        assert [a[1]["args"][1] for a in answers] == list(range(200))
        assert 1 <= len(_worker_pids(pool)) <= 2
    finally:
        pool.close()


def test_a_twenty_level_cql2_json_filter_fits_the_body_nesting_bound() -> None:
    deep: dict[str, object] = {"op": "=", "args": [{"property": "id"}, "a"]}
    for _ in range(19):
        deep = {"op": "not", "args": [deep]}
    assert from_post({"filter": deep}).cql2 == deep
