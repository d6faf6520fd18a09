"""Reading an HTML form (``application/x-www-form-urlencoded``), bounded, without a multipart
parser: the pages post nothing else."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import Request

from access import InvalidInput

__all__ = ["MAX_FORM_BYTES", "Form", "read_form"]

MAX_FORM_BYTES = 32 << 10


class Form:
    """The fields of one form; each at most once."""

    def __init__(self, fields: dict[str, str]) -> None:
        self._fields = fields

    def get(self, name: str, default: str = "") -> str:
        return self._fields.get(name, default)

    def text(self, name: str, limit: int = 2000) -> str:
        value = self._fields.get(name, "").strip()
        if len(value) > limit:
            raise InvalidInput(f"{name}: at most {limit} characters")
        return value

    def whole(self, name: str) -> int | None:
        value = self._fields.get(name, "").strip()
        if not value:
            return None
        if not value.isdigit() or len(value) > 6:
            raise InvalidInput(f"{name}: a whole number")
        return int(value)

    def checked(self, name: str) -> bool:
        return self._fields.get(name) in ("on", "true", "1")


async def read_form(request: Request) -> Form:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise InvalidInput("a form must be posted as application/x-www-form-urlencoded")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise InvalidInput("the form is too large")
    try:
        parsed = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=False,
                          max_num_fields=50)  # fmt: skip
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("the form could not be read") from None
    if any(len(values) > 1 for values in parsed.values()):
        raise InvalidInput("a form field was given more than once")
    return Form({name: values[0] for name, values in parsed.items()})
