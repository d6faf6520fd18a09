"""Progress of long commands (synth, publish, upload) on standard error.

On a terminal: a rich progress bar. Otherwise (a log, a pipe, CI): a plain line at most every
``every_s`` seconds and one at the end, so logs stay short and readable. ``--quiet`` shows none.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["Advance", "progress"]

#: ``advance(done, total)``: ``done`` units of ``total`` finished so far.
Advance = Callable[[int, int], None]


def _quiet(done: int, total: int) -> None:
    return None


@contextmanager
def progress(
    label: str, unit: str, *, quiet: bool = False, stream: TextIO | None = None,
    every_s: float = 5.0,
) -> Iterator[Advance]:  # fmt: skip
    """A callback to report progress to, shown while the ``with`` block runs."""
    out = stream if stream is not None else sys.stderr
    if quiet:
        yield _quiet
    elif out.isatty():
        with _bar(label, unit, out) as advance:
            yield advance
    else:
        lines = _Lines(label, unit, out, every_s)
        yield lines.advance
        lines.finish()


@contextmanager
def _bar(label: str, unit: str, out: TextIO) -> Iterator[Advance]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), unit, TimeRemainingColumn())
    with Progress(*columns, console=Console(file=out), transient=False) as bar:
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


class _Lines:
    def __init__(self, label: str, unit: str, out: TextIO, every_s: float) -> None:
        self._label, self._unit, self._out, self._every = label, unit, out, every_s
        self._last = time.monotonic()
        self._state: tuple[int, int] | None = None

    def advance(self, done: int, total: int) -> None:
        self._state = (done, total)
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._write()

    def finish(self) -> None:
        if self._state is not None:
            self._write()

    def _write(self) -> None:
        assert self._state is not None
        done, total = self._state
        share = 100.0 * done / total if total else 100.0
        self._out.write(f"{self._label}: {done:,} / {total:,} {self._unit} ({share:.0f}%)\n")
        self._out.flush()
