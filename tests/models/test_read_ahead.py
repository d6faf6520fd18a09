"""The runner's read-ahead: order kept, the source's error raised in the consumer, an early
stop ends the thread (no thread left blocked on a full queue)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from models.enclave_runner import _ReadAhead


def _source(n: int, fail_at: int | None = None) -> Iterator[np.ndarray]:
    for i in range(n):
        if i == fail_at:
            raise ValueError("source broke")
        yield np.full((1,), i, dtype=np.float32)


def test_order_is_kept() -> None:
    with _ReadAhead(_source(20), depth=3) as ahead:
        assert [int(x[0]) for x in ahead] == list(range(20))


def test_the_source_error_reaches_the_consumer_in_order() -> None:
    seen = []
    with pytest.raises(ValueError, match="source broke"), _ReadAhead(_source(10, 5), 2) as ahead:
        seen.extend(int(x[0]) for x in ahead)
    assert seen == [0, 1, 2, 3, 4]


def test_stopping_early_ends_the_thread() -> None:
    reader = _ReadAhead(_source(10_000), depth=2)
    with reader as ahead:
        next(iter(ahead))
    assert not reader._thread.is_alive()
