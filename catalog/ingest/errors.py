"""The one exception of ingest, and the collector that gathers many of them.

Every problem found in a holding folder is an :class:`IngestError` naming the file (relative to the
holding folder) and, where there is one, the field inside it. :func:`~catalog.ingest.read_holding`
collects them all (up to :data:`MAX_ERRORS`) and raises one :class:`IngestErrors` listing them, so a
user fixing a folder sees the whole list at once. Messages never carry absolute paths or file
contents beyond short quoted values: they are safe to show to the publisher.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from catalog.errors import PublishError

__all__ = ["MAX_ERRORS", "IngestError", "IngestErrors", "Problems"]

#: How many problems are collected before reading stops.
MAX_ERRORS = 50


class IngestError(PublishError, ValueError):
    """A holding folder is invalid: ``path`` (relative to the folder), ``field`` and a message.

    ``str()`` reads ``"<path>: <field>: <message>"`` (or ``"<path>: <message>"`` without a field),
    e.g. ``annotations.json: annotations[12].bbox: box [900, 10, 200, 50] lies outside image ...``.
    """

    def __init__(self, path: str, field: str | None, message: str) -> None:
        self.path = path
        self.field = field
        self.message = message
        super().__init__(_render(path, field, message))

    def __reduce__(self) -> tuple[Callable[..., IngestError], tuple[object, ...]]:
        """Pickle with the constructor's arguments, not the rendered text."""
        return (type(self), (self.path, self.field, self.message))


class IngestErrors(IngestError):
    """Every problem found in one holding folder (``errors``), the first one as the main one.

    ``truncated`` is true when reading stopped after :data:`MAX_ERRORS` problems.
    """

    def __init__(self, errors: Iterable[IngestError], *, truncated: bool = False) -> None:
        self.errors: tuple[IngestError, ...] = tuple(errors)
        if not self.errors:
            raise ValueError("IngestErrors needs at least one error")
        self.truncated = truncated
        first = self.errors[0]
        super().__init__(first.path, first.field, first.message)
        self.args = (self._summary(),)

    def __str__(self) -> str:
        """The single error's text, or a count followed by one line per error."""
        return self._summary()

    def __reduce__(self) -> tuple[Callable[..., IngestError], tuple[object, ...]]:
        """Pickling keeps the list: rebuilt through :func:`_rebuild_errors`."""
        return (_rebuild_errors, (self.errors, self.truncated))

    def _summary(self) -> str:
        if len(self.errors) == 1 and not self.truncated:
            return str(self.errors[0])
        more = f" (stopped after the first {len(self.errors)})" if self.truncated else ""
        lines = [f"{len(self.errors)} problems in the holding folder{more}:"]
        lines += [f"  {error}" for error in self.errors]
        return "\n".join(lines)


def _rebuild_errors(errors: tuple[IngestError, ...], truncated: bool) -> IngestErrors:
    """Unpickle an :class:`IngestErrors`."""
    return IngestErrors(errors, truncated=truncated)


def _render(path: str, field: str | None, message: str) -> str:
    return f"{path}: {field}: {message}" if field else f"{path}: {message}"


class Problems:
    """Collects :class:`IngestError` s in the order they are found, up to :data:`MAX_ERRORS`."""

    def __init__(self, limit: int = MAX_ERRORS) -> None:
        self._limit = limit
        self._errors: list[IngestError] = []
        self.truncated = False

    def add(self, path: str, field: str | None, message: str) -> None:
        """Record one problem (ignored, but remembered as truncation, once the list is full)."""
        self.add_error(IngestError(path, field, message))

    def add_error(self, error: IngestError) -> None:
        """Record an already built error (the members of an :class:`IngestErrors` one by one)."""
        if isinstance(error, IngestErrors):
            for member in error.errors:
                self.add_error(member)
            self.truncated = self.truncated or error.truncated
        elif len(self._errors) < self._limit:
            self._errors.append(error)
        else:
            self.truncated = True

    def extend(self, errors: Iterable[IngestError]) -> None:
        """Record several problems in order."""
        for error in errors:
            self.add_error(error)

    @property
    def count(self) -> int:
        """How many problems are recorded so far."""
        return len(self._errors)

    @property
    def full(self) -> bool:
        """True once the limit is reached: further reading is pointless."""
        return len(self._errors) >= self._limit

    def raise_if_any(self) -> None:
        """Raise one :class:`IngestErrors` with everything recorded, if anything was."""
        if self._errors:
            raise IngestErrors(self._errors, truncated=self.truncated)
