"""Apply a Crypt4GH edit list to a plaintext stream.

The lengths alternate *skip* and *keep*, starting with skip, over the whole
plaintext (not per segment). With an odd number of lengths the last skip is
followed by "keep everything else"; with an even number output stops after the
last keep. This matches the reference implementation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

from ._io import write_all

__all__ = ["EditListWriter"]


class EditListWriter:
    """Forwards only the kept ranges of the plaintext written to it."""

    def __init__(self, dst: BinaryIO, edit_list: Sequence[int]) -> None:
        self._dst = dst
        self._lengths = list(edit_list)
        self._index = -1
        self._skip = False
        self._remaining: int | None = 0
        self.done = False
        self.written = 0
        self._advance()

    def _advance(self) -> None:
        """Move to the next non-empty length (or to the end state)."""
        while self._remaining == 0 and not self.done:
            self._index += 1
            self._skip = not self._skip
            if self._index < len(self._lengths):
                self._remaining = self._lengths[self._index]
            elif not self._skip:  # odd count, last length was a skip: keep the rest
                self._remaining = None
            else:
                self.done = True

    def write(self, data: memoryview) -> None:
        """Consume plaintext ``data``, forwarding the kept parts."""
        offset, size = 0, len(data)
        while offset < size and not self.done:
            take = size - offset
            if self._remaining is not None:
                take = min(take, self._remaining)
                self._remaining -= take
            if not self._skip:
                write_all(self._dst, data[offset : offset + take])
                self.written += take
            offset += take
            self._advance()
