"""Progress on standard error: a rich bar on a terminal, periodic lines otherwise."""

from __future__ import annotations

import io

from clearance.cli.progress import progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_rich_bar() -> None:
    out = _Terminal()
    with progress("upload", "bytes", stream=out) as advance:
        for done in (1, 2, 3):
            advance(done, 3)
    shown = out.getvalue()
    assert "upload" in shown and "3/3" in shown and "bytes" in shown
    assert "━" in shown  # the bar itself


def test_lines_at_most_every_interval_and_one_at_the_end() -> None:
    out = io.StringIO()
    with progress("publish", "objects", stream=out, every_s=3600) as advance:
        for done in range(1, 101):
            advance(done, 100)
    assert out.getvalue() == "publish: 100 / 100 objects (100%)\n"
    often = io.StringIO()
    with progress("publish", "objects", stream=often, every_s=0) as advance:
        advance(1, 2)
        advance(2, 2)
    assert often.getvalue().splitlines() == [
        "publish: 1 / 2 objects (50%)",
        "publish: 2 / 2 objects (100%)",
        "publish: 2 / 2 objects (100%)",  # the closing line
    ]


def test_quiet_shows_nothing_and_nothing_happens_without_work() -> None:
    out = _Terminal()
    with progress("synth", "scans", stream=out, quiet=True) as advance:
        advance(1, 1)
    assert out.getvalue() == ""
    idle = io.StringIO()
    with progress("synth", "scans", stream=idle):
        pass
    assert idle.getvalue() == ""
