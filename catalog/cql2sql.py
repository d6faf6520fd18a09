"""CQL2 filters (STAC API Filter extension) translated to SQLAlchemy boolean expressions.

``parse_filter`` turns a client's ``filter`` (cql2-text or cql2-json) into CQL2 JSON, checking it
against the queryables; ``to_sql`` turns CQL2 JSON into a ``WHERE`` clause over ``items``. Only the
properties of a queryables mapping (``catalog.queryables``) can be named, and every value becomes a
bound parameter: no SQL is ever built from client text. Every problem is a ``FilterError`` whose
message is fit for a 400 response.

Semantics worth knowing:

* Three-valued logic as in SQL and CQL2: a comparison with a null property (only
  ``xray:container_type`` can be null) is unknown, and so is its negation.
* ``LIKE`` is case-sensitive on every backend (SQLite gets ``GLOB``); ``%`` and ``_`` are wildcards
  and a backslash makes the next character literal. ``CASEI(x)`` is ``lower(x)``.
* A ``DATE`` stands for its whole UTC day, from 00:00:00 to 23:59:59.999999; so does a date at
  either end of an ``INTERVAL``; ``..`` leaves an end open. ``datetime = DATE(d)`` holds for scans
  taken that day, ``<`` / ``>`` mean before / after the day, ``<=`` / ``>=`` include it. The
  temporal operators follow CQL2's definitions over begin/end instants (``t_during`` is strict;
  use ``t_intersects`` for an inclusive range). A plain RFC 3339 string is accepted where a
  timestamp is expected; a timestamp without a time zone is rejected.
* ``sec:level`` compares by rank (``R0`` < … < ``R4``).
* ``label:classes`` is a set of HS codes: ``a_contains``, ``a_containedBy``, ``a_overlaps``,
  ``a_equals`` against an array of codes, and ``label:classes = '9302'`` meaning "contains 9302".
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, Literal, TypeAlias, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Exists,
    Float,
    String,
    and_,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from access import Level
from catalog.errors import CatalogError
from catalog.parser_pool import Kind, ParserCrashed, default_pool
from catalog.queryables import HS_CODE_PATTERN, ITEM_QUERYABLES, Queryable
from catalog.tables import ItemClassRow, ItemRow

__all__ = [
    "CRS84",
    "MAX_DEPTH",
    "MAX_IN_VALUES",
    "MAX_LIKE_PATTERN",
    "MAX_NODES",
    "MAX_OPERATORS",
    "MAX_TEXT_LENGTH",
    "FilterError",
    "FilterLang",
    "FilterUnparseable",
    "check_filter_crs",
    "check_filter_lang",
    "parse_filter",
    "to_sql",
]

FilterLang: TypeAlias = Literal["cql2-text", "cql2-json"]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

MAX_DEPTH = 20  # nesting of operators
MAX_NODES = 200  # operators, properties and values (an array literal counts once)
MAX_IN_VALUES = 500  # values of one IN list or array literal
MAX_TEXT_LENGTH = 32_000  # characters of a cql2-text filter or cql2-json document
# Operator tokens of a cql2-text filter (comparison, LIKE, arithmetic, logic). A tree within
# MAX_NODES has far fewer; cql2 0.6.0 overflows its stack at about 4,000 chained operators.
MAX_OPERATORS = 2 * MAX_NODES
MAX_LIKE_PATTERN = 1_000  # characters; SQLite refuses LIKE/GLOB patterns over 50,000 bytes
_MAX_PARENS = MAX_DEPTH + 10  # cql2-text parenthesis nesting: the parser recurses on it
_MAX_JSON_NESTING = 4 * MAX_DEPTH + 8  # JSON containers: each operator is an object and a list
_MAX_JSON_VALUES = 4 * (MAX_NODES + MAX_IN_VALUES)

_INT4 = 2**31 - 1
_HS_CODE = re.compile(HS_CODE_PATTERN)
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})?"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class FilterError(CatalogError, ValueError):
    """The filter cannot be used; the message says why, for the client."""

    code = "filter-invalid"


class FilterUnparseable(FilterError):
    """The isolated parser crashed or overran its time on this filter (see catalog.parser_pool)."""


# --------------------------------------------------------------------------------------------
# Parameters and parsing


def check_filter_lang(value: object, default: FilterLang = "cql2-text") -> FilterLang:
    """The ``filter-lang`` parameter: absent means ``default``."""
    if value is None:
        return default
    if value == "cql2-text":
        return "cql2-text"
    if value == "cql2-json":
        return "cql2-json"
    raise FilterError("filter-lang must be 'cql2-text' or 'cql2-json'")


def check_filter_crs(value: object) -> None:
    """The ``filter-crs`` parameter: absent or CRS84 (scans have no geometry anyway)."""
    if value is not None and value != CRS84:
        raise FilterError(f"filter-crs: only {CRS84} is supported")


def parse_filter(
    text_or_json: str | Mapping[str, Any],
    lang: str,
    *,
    queryables: Mapping[str, Queryable] | None = ITEM_QUERYABLES,
) -> dict[str, Any]:
    """Parse a client's filter into CQL2 JSON and check that it translates against ``queryables``.

    ``queryables=None`` checks the syntax only. Raises ``FilterError``.
    """
    if check_filter_lang(lang) == "cql2-text":
        parsed = _parse_text(text_or_json)
    else:
        parsed = _parse_json(text_or_json)
    if not isinstance(parsed, dict):
        raise FilterError("a filter must be a predicate, such as xray:modality = 'ct'")
    _check_size(parsed)
    if queryables is not None:
        to_sql(parsed, queryables)
    return parsed


def _parse_text(text: object) -> Any:
    if not isinstance(text, str):
        raise FilterError("a cql2-text filter must be a string")
    if len(text) > MAX_TEXT_LENGTH:
        raise FilterError(f"filter is longer than {MAX_TEXT_LENGTH} characters")
    if "\x00" in text:
        raise FilterError("a string must not contain a NUL character")
    _check_unicode(text)
    _prescan_text(text)
    status, value = _isolated("text", text)
    if status != "ok":
        raise FilterError(f"invalid cql2-text: {_one_line(str(value))}")
    return value


def _parse_json(value: object) -> Any:
    if isinstance(value, str):
        if len(value) > MAX_TEXT_LENGTH:
            raise FilterError(f"filter is longer than {MAX_TEXT_LENGTH} characters")
        _check_json_nesting(value)
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise FilterError(f"filter is not valid JSON: {_one_line(str(exc))}") from None
    if not isinstance(value, Mapping):
        raise FilterError("a cql2-json filter must be a JSON object")
    _prescan_json(value)
    text = json.dumps(value, allow_nan=False)
    if len(text) > MAX_TEXT_LENGTH:
        raise FilterError(f"filter is longer than {MAX_TEXT_LENGTH} characters")
    status, parsed = _isolated("json", text)
    if status != "ok":
        # Positions would point into our re-serialisation, not into what the client sent.
        reason = re.sub(r" at line \d+ column \d+$", "", _one_line(str(parsed)))
        raise FilterError(f"invalid cql2-json: {reason}")
    return parsed


def _isolated(kind: Kind, text: str) -> tuple[str, Any]:
    """The native parser, run in a worker process: a crash there fails this filter only."""
    try:
        return default_pool().parse(kind, text)
    except ParserCrashed:
        raise FilterUnparseable(
            "the filter could not be parsed; simplify it (fewer operators, less nesting)"
        ) from None


def _check_unicode(text: str) -> None:
    """Text that cannot be encoded as UTF-8 (a lone surrogate, sent as a JSON escape)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise FilterError("filter contains a lone UTF-16 surrogate (not valid Unicode)") from None


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _check_json_nesting(text: str) -> None:
    """Bound the nesting of a JSON text before ``json.loads`` recurses into it."""
    depth = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > _MAX_JSON_NESTING:
            raise FilterError(f"filter nests deeper than {MAX_DEPTH} levels")


def _one_line(message: str, limit: int = 160) -> str:
    """The parser's position and expectation, without its multi-line drawing of the input."""
    position = re.search(r"-->\s*(\d+):(\d+)", message)
    expected = re.search(r"^\s*=\s*(.+)$", message, re.MULTILINE)
    if position:
        summary = f"at line {position[1]}, column {position[2]}"
        if expected:
            summary += f": {expected[1].strip()}"
    else:
        lines = [line.strip() for line in message.splitlines() if line.strip()]
        summary = lines[0] if lines else "syntax error"
    return summary if len(summary) <= limit else summary[: limit - 1] + "…"


_TEXT_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*|\S""")


def _prescan_text(text: str) -> None:
    """Reject what would make the parser recurse too deep, and zone-less timestamps.

    The cql2 parser recurses without a limit on nesting and on chains of binary operators
    (``1 = 1 = …``, ``LIKE``, ``+``, ``AND``): past a few thousand it overflows its stack, a
    SIGSEGV. So parentheses, sign runs, NOTs and operator tokens are counted here, in one linear
    pass over the tokens. It also silently reads a timestamp without a time zone as UTC.
    """
    pieces = _TEXT_TOKEN.findall(text)
    depth = nots = minus_run = operators = 0
    for i, piece in enumerate(pieces):
        depth += {"(": 1, ")": -1}.get(piece, 0)
        minus_run = minus_run + 1 if piece == "-" else 0
        nots += piece.upper() == "NOT"
        operators += _is_operator(piece, pieces[i - 1] if i else "")
        if depth > _MAX_PARENS or minus_run > 2 or nots > MAX_NODES:
            raise FilterError(f"filter nests deeper than {MAX_DEPTH} levels")
        if operators > MAX_OPERATORS:
            raise FilterError(f"filter has more than {MAX_OPERATORS} operators")
        if piece.upper() in ("TIMESTAMP", "DATE", "INTERVAL") and pieces[i + 1 : i + 2] == ["("]:
            _check_text_literal(piece.upper(), pieces[i + 2 : i + 5])


_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "DIV"})


def _is_operator(piece: str, previous: str) -> bool:
    """A binary or logical operator token (``<=`` counts twice: the tokens are single symbols).

    A minus after ``(``, ``,`` or another operator is a sign (``IN (-1, -2)``), not counted;
    runs of signs are bounded separately.
    """
    if piece == "-":
        return bool(previous) and previous not in "(,=<>!+-*/%^" and not _is_word_op(previous)
    return piece in "=<>!+*/%^" or _is_word_op(piece)


def _is_word_op(piece: str) -> bool:
    return piece.upper() in _OPERATOR_WORDS


def _check_text_literal(function: str, args: list[str]) -> None:
    strings = [a[1:-1].replace("''", "'") for a in args[::2] if a.startswith("'")]
    if function == "TIMESTAMP" and strings:
        _parse_timestamp(strings[0])
    elif function == "DATE" and strings:
        _parse_date(strings[0])
    elif function == "INTERVAL":
        for bound in strings:
            _interval_bound(bound, end=False)


def _prescan_json(document: Mapping[str, Any]) -> None:
    """Bound nesting and size before anything recursive runs; reject zone-less timestamps."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    count = 0
    while stack:
        value, depth = stack.pop()
        count += 1
        if depth > _MAX_JSON_NESTING:
            raise FilterError(f"filter nests deeper than {MAX_DEPTH} levels")
        if count > _MAX_JSON_VALUES:
            raise FilterError(f"filter has more than {MAX_NODES} nodes")
        if isinstance(value, Mapping):
            _check_json_literal(value)
            stack.extend((k, depth + 1) for k in value)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise FilterError("filter contains a number that is not finite")
        elif isinstance(value, str):
            _check_unicode(value)


def _check_json_literal(node: Mapping[str, Any]) -> None:
    if isinstance(node.get("timestamp"), str):
        _parse_timestamp(node["timestamp"])
    if isinstance(node.get("date"), str):
        _parse_date(node["date"])
    interval = node.get("interval")
    if isinstance(interval, list):
        for bound in interval:
            if isinstance(bound, str):
                _interval_bound(bound, end=False)


def _check_size(expr: Any) -> None:
    """At most ``MAX_DEPTH`` nested operators and ``MAX_NODES`` nodes."""
    stack: list[tuple[Any, int]] = [(expr, 0)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise FilterError(f"filter has more than {MAX_NODES} nodes")
        if isinstance(node, Mapping) and "op" in node:
            if depth + 1 > MAX_DEPTH:
                raise FilterError(f"filter nests deeper than {MAX_DEPTH} levels")
            args = node.get("args")
            if isinstance(args, list):
                stack.extend((a, depth + 1) for a in args)
        elif isinstance(node, list) and len(node) > MAX_IN_VALUES:
            raise FilterError(f"a list has {len(node)} values; at most {MAX_IN_VALUES} are allowed")


# --------------------------------------------------------------------------------------------
# Operands: queryables and values


@dataclass(frozen=True)
class _Prop:
    queryable: Queryable
    casei: bool = False

    @property
    def name(self) -> str:
        return self.queryable.name

    @property
    def type(self) -> str:
        return self.queryable.type

    @property
    def expr(self) -> ColumnElement[Any]:
        column = self.queryable.column
        return func.lower(column) if self.casei else column


@dataclass(frozen=True)
class _Value:
    value: Any


_Operand: TypeAlias = _Prop | _Value
_Queryables: TypeAlias = Mapping[str, Queryable]

_SPATIAL = "spatial functions are not supported in filters: use the bbox or intersects parameter"
_ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "^", "div"})


def _show(value: Any) -> str:
    """A value as the client wrote it, shortened."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, Mapping) and len(value) == 1:
        key, inner = next(iter(value.items()))
        if key in ("timestamp", "date", "interval"):
            return f"{key.upper()}({json.dumps(inner)[:60]})"
    text = json.dumps(value) if isinstance(value, bool | type(None)) else repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _operand(node: Any, queryables: _Queryables) -> _Operand:
    if isinstance(node, Mapping):
        if "property" in node:
            return _Prop(_queryable(node["property"], queryables))
        if "op" in node:
            return _function(node, queryables)
        if "bbox" in node or ("type" in node and ("coordinates" in node or "geometries" in node)):
            raise FilterError(_SPATIAL)
        if len(node) == 1 and next(iter(node)) in ("timestamp", "date", "interval"):
            return _Value(node)
        raise FilterError(f"cannot read the expression {_show(dict(node))}")
    if isinstance(node, str) and "\x00" in node:
        raise FilterError("a string must not contain a NUL character")
    return _Value(node)


def _queryable(name: Any, queryables: _Queryables) -> Queryable:
    if not isinstance(name, str):
        raise FilterError(f"a property name must be a string, got {_show(name)}")
    found = queryables.get(name)
    if found is None:
        if name == "geometry":
            raise FilterError(_SPATIAL)
        raise FilterError(f"unknown queryable {name!r}; the queryables document lists them")
    return found


def _function(node: Mapping[str, Any], queryables: _Queryables) -> _Operand:
    op = _op_name(node)
    if op == "casei":
        (arg,) = _args(node, 1)
        inner = _operand(arg, queryables)
        if isinstance(inner, _Prop) and inner.type == "string":
            return _Prop(inner.queryable, casei=True)
        if isinstance(inner, _Value) and isinstance(inner.value, str):
            return _Value(inner.value.lower())
        shown = inner.name if isinstance(inner, _Prop) else _show(inner.value)
        raise FilterError(f"casei applies to strings, not to {shown}")
    if op == "accenti":
        raise FilterError("accenti is not supported")
    if op in _ARITHMETIC:
        raise FilterError("arithmetic is not supported in filters")
    if op in _PREDICATES or op in _TEMPORAL or op == "t_disjoint":
        raise FilterError(f"{op} cannot be used as a value")
    raise FilterError(_unsupported(op))


def _op_name(node: Mapping[str, Any]) -> str:
    op = node.get("op")
    if not isinstance(op, str):
        raise FilterError(f"an operator name must be a string, got {_show(op)}")
    return op.lower()


def _args(node: Mapping[str, Any], count: int | None = None, minimum: int = 0) -> list[Any]:
    op, args = node["op"], node.get("args", [])
    if not isinstance(args, list):
        raise FilterError(f"the arguments of {op} must be a list")
    if count is not None and len(args) != count:
        raise FilterError(f"{op} takes {count} argument{'s' * (count != 1)}, got {len(args)}")
    if len(args) < minimum:
        raise FilterError(
            f"{op} takes at least {minimum} argument{'s' * (minimum != 1)}, got {len(args)}"
        )
    return args


def _unsupported(op: str) -> str:
    if op.startswith("s_") or op == "bbox":
        return _SPATIAL
    if op.startswith("t_"):
        return f"temporal operator {op!r} is not supported"
    return f"unsupported operator {op!r}"


# --------------------------------------------------------------------------------------------
# Value coercion


def _string(prop: _Prop, value: Any) -> str:
    if not isinstance(value, str):
        raise FilterError(f"{prop.name} expects a string, got {_show(value)}")
    enum = prop.queryable.enum
    if enum is not None and not prop.casei and value not in enum:
        raise FilterError(f"{prop.name} must be one of {', '.join(enum)}; got {value!r}")
    return value


def _number(prop: _Prop, value: Any) -> int | ColumnElement[float]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FilterError(f"{prop.name} expects a number, got {_show(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise FilterError(f"{prop.name} expects a finite number, got {_show(value)}")
    if prop.type == "integer" and number.is_integer() and abs(number) <= _INT4:
        return int(number)
    return literal(number, Float())


def _level(prop: _Prop, value: Any) -> int:
    if not isinstance(value, str):
        raise FilterError(f"{prop.name} expects a level R0–R4, got {_show(value)}")
    try:
        return int(Level.parse(value))
    except ValueError:
        raise FilterError(f"{prop.name} expects a level R0–R4, got {value!r}") from None


def _boolean(prop: _Prop, value: Any) -> bool:
    if not isinstance(value, bool):
        raise FilterError(f"{prop.name} expects true or false, got {_show(value)}")
    return value


def _scalar(prop: _Prop, value: Any) -> Any:
    """A value for a comparison with a string, number, level or boolean queryable."""
    if value is None:
        raise FilterError(f"cannot compare {prop.name} with null; use IS NULL")
    if prop.type == "string":
        return _string(prop, value)
    if prop.type in ("integer", "number"):
        return _number(prop, value)
    if prop.type == "level":
        return _level(prop, value)
    if prop.type == "boolean":
        return _boolean(prop, value)
    raise FilterError(f"{prop.name} cannot be compared with {_show(value)}")  # pragma: no cover


def _hs_codes(prop: _Prop, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise FilterError(f"{prop.name} is compared with an array of HS codes, got {_show(value)}")
    if len(value) > MAX_IN_VALUES:
        raise FilterError(f"a list has {len(value)} values; at most {MAX_IN_VALUES} are allowed")
    return sorted({_hs_code(prop, v) for v in value})


def _hs_code(prop: _Prop, value: Any) -> str:
    if not isinstance(value, str) or not _HS_CODE.fullmatch(value):
        raise FilterError(f"{prop.name} expects HS codes of 4 or 6 digits, got {_show(value)}")
    return value


# --------------------------------------------------------------------------------------------
# Timestamps


def _parse_timestamp(text: str) -> datetime:
    """RFC 3339 date-time with a time zone -> aware UTC datetime."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise FilterError(f"{text!r} is not an RFC 3339 timestamp such as 2024-05-01T12:00:00Z")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if zone is None:
        raise FilterError(f"timestamp {text!r} has no time zone; add Z or an offset")
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        tz = UTC if zone in ("Z", "z") else _offset(zone)
        parts = (int(year), int(month), int(day), int(hour), int(minute), int(second), micro)
        return datetime(*parts, tzinfo=tz).astimezone(UTC)
    except (ValueError, OverflowError):
        raise FilterError(f"{text!r} is not a valid timestamp") from None


def _offset(zone: str) -> timezone:
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    if minutes > 59:
        raise ValueError(zone)
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if zone[0] == "-" else delta)


def _parse_date(text: str) -> date:
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{text!r} is not a date such as 2024-05-01") from None


def _day(day: date) -> tuple[datetime, datetime]:
    return datetime.combine(day, time.min, UTC), datetime.combine(day, time.max, UTC)


def _interval_bound(text: str, *, end: bool) -> datetime | None:
    if text == "..":
        return None
    if _DATE.fullmatch(text):
        return _day(_parse_date(text))[1 if end else 0]
    return _parse_timestamp(text)


_Span: TypeAlias = tuple[datetime | None, datetime | None]  # None: open (minus/plus infinity)


def _span(name: str, value: Any, *, interval: bool) -> _Span:
    """A temporal value as [begin, end]: an instant, a day, or an interval (if allowed)."""
    if isinstance(value, str):
        value = {"date": value} if _DATE.fullmatch(value) else {"timestamp": value}
    if isinstance(value, Mapping) and isinstance(value.get("timestamp"), str):
        instant = _parse_timestamp(value["timestamp"])
        return instant, instant
    if isinstance(value, Mapping) and isinstance(value.get("date"), str):
        return _day(_parse_date(value["date"]))
    if isinstance(value, Mapping) and "interval" in value:
        if not interval:
            raise FilterError(f"compare {name} with an interval using a temporal operator")
        return _interval(value["interval"])
    raise FilterError(f"{name} expects a TIMESTAMP, DATE or INTERVAL, got {_show(value)}")


def _interval(bounds: Any) -> _Span:
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise FilterError("an INTERVAL has two ends")
    if not all(isinstance(b, str) for b in bounds):
        raise FilterError("the ends of an INTERVAL must be dates, timestamps or '..'")
    begin, end = _interval_bound(bounds[0], end=False), _interval_bound(bounds[1], end=True)
    if begin is not None and end is not None and begin > end:
        raise FilterError("an INTERVAL starts after it ends")
    return begin, end


# --------------------------------------------------------------------------------------------
# Predicates

_Predicate: TypeAlias = ColumnElement[bool]
_Handler: TypeAlias = Callable[[str, Mapping[str, Any], _Queryables], _Predicate]

_OPERATORS: Mapping[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq, "<>": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip
_FLIPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_COMPATIBLE = {"string": "string", "integer": "number", "number": "number",
               "timestamp": "timestamp", "level": "level", "boolean": "boolean"}  # fmt: skip


def to_sql(expr: Mapping[str, Any] | bool, queryables: _Queryables) -> _Predicate:
    """Translate CQL2 JSON into a boolean SQL expression over ``items``; raises ``FilterError``."""
    _check_size(expr)
    return _predicate(expr, queryables)


def _predicate(node: Any, queryables: _Queryables) -> _Predicate:
    if isinstance(node, bool):
        return true() if node else false()
    if not isinstance(node, Mapping):
        raise FilterError(f"expected a predicate, got {_show(node)}")
    if "op" not in node:
        operand = _operand(node, queryables)
        if isinstance(operand, _Prop) and operand.type == "boolean":
            return operand.expr == true()
        raise FilterError(f"expected a predicate, got {_show(dict(node))}")
    op = _op_name(node)
    handler = _PREDICATES.get(op)
    if handler is not None:
        return handler(op, node, queryables)
    if op in _TEMPORAL or op == "t_disjoint":
        return _temporal(op, node, queryables)
    if op in ("casei", "accenti") or op in _ARITHMETIC:
        _function(node, queryables)
        raise FilterError(f"{op} is not a predicate")
    raise FilterError(_unsupported(op))


def _logical(op: str, node: Mapping[str, Any], queryables: _Queryables) -> _Predicate:
    if op == "not":
        (arg,) = _args(node, 1)
        return not_(_predicate(arg, queryables))
    # CQL2 asks for two or more; one is accepted as that one condition, as STAC Browser sends
    # a single-condition filter as {"op": "and", "args": [condition]} and other servers take it.
    parts = [_predicate(a, queryables) for a in _args(node, minimum=1)]
    if len(parts) == 1:
        return parts[0]
    return and_(*parts) if op == "and" else or_(*parts)


def _comparison(op: str, node: Mapping[str, Any], queryables: _Queryables) -> _Predicate:
    left, right = (_operand(a, queryables) for a in _args(node, 2))
    if isinstance(left, _Value) and isinstance(right, _Prop):
        left, right, op = right, left, _FLIPPED[op]
    if not isinstance(left, _Prop):
        raise FilterError(f"{op} needs a queryable on at least one side")
    if isinstance(right, _Prop):
        return _prop_vs_prop(op, left, right)
    return _prop_vs_value(op, left, right.value)


def _prop_vs_value(op: str, prop: _Prop, value: Any) -> _Predicate:
    if prop.type == "array-of-hs-codes":
        if op != "=":
            raise FilterError(
                f"{prop.name} supports = (one HS code) and a_contains, a_containedBy, a_overlaps, "
                "a_equals"
            )
        return _contains(_hs_code(prop, value))
    if prop.type == "timestamp":
        return _compare_span(op, prop.expr, _span(prop.name, value, interval=False))
    if prop.type == "boolean" and op not in ("=", "<>"):
        raise FilterError(f"{prop.name} can only be compared with = or <>")
    return cast(_Predicate, _OPERATORS[op](prop.expr, _scalar(prop, value)))


def _compare_span(op: str, column: ColumnElement[Any], span: _Span) -> _Predicate:
    """``datetime <op> value`` where the value covers [begin, end] (equal for an instant)."""
    begin, end = span
    assert begin is not None
    assert end is not None
    equal = column == begin if begin == end else and_(column >= begin, column <= end)
    return {
        "=": equal, "<>": not_(equal), "<": column < begin,
        "<=": column <= end, ">": column > end, ">=": column >= begin,
    }[op]  # fmt: skip


def _prop_vs_prop(op: str, left: _Prop, right: _Prop) -> _Predicate:
    kinds = _COMPATIBLE.get(left.type), _COMPATIBLE.get(right.type)
    if kinds[0] is None or kinds[0] != kinds[1]:
        raise FilterError(
            f"cannot compare {left.name} ({left.type}) with {right.name} ({right.type})"
        )
    if kinds[0] == "boolean" and op not in ("=", "<>"):
        raise FilterError(f"{left.name} can only be compared with = or <>")
    return cast(_Predicate, _OPERATORS[op](left.expr, right.expr))


def _prop_first(op: str, node: Mapping[str, Any], count: int, queryables: _Queryables) -> _Prop:
    args = _args(node, count)
    prop = _operand(args[0], queryables)
    if not isinstance(prop, _Prop):
        raise FilterError(f"{op} needs a queryable as its first argument")
    if prop.type == "array-of-hs-codes":
        raise FilterError(
            f"{prop.name} supports = (one HS code) and a_contains, a_containedBy, a_overlaps, "
            "a_equals"
        )
    return prop


def _values(op: str, node: Any, queryables: _Queryables) -> Any:
    operand = _operand(node, queryables)
    if not isinstance(operand, _Value):
        raise FilterError(f"{op} compares a queryable with values, not with {operand.name}")
    return operand.value


def _between(op: str, node: Mapping[str, Any], queryables: _Queryables) -> _Predicate:
    prop = _prop_first(op, node, 3, queryables)
    low, high = (_values(op, a, queryables) for a in node["args"][1:])
    if prop.type == "timestamp":
        begin = _span(prop.name, low, interval=False)[0]
        end = _span(prop.name, high, interval=False)[1]
        return and_(prop.expr >= begin, prop.expr <= end)
    if prop.type == "boolean":
        raise FilterError(f"{prop.name} can only be compared with = or <>")
    return and_(prop.expr >= _scalar(prop, low), prop.expr <= _scalar(prop, high))


def _in(op: str, node: Mapping[str, Any], queryables: _Queryables) -> _Predicate:
    prop = _prop_first(op, node, 2, queryables)
    items = node["args"][1]
    if not isinstance(items, list):
        raise FilterError(f"in needs a list of values, got {_show(items)}")
    if len(items) > MAX_IN_VALUES:
        raise FilterError(f"a list has {len(items)} values; at most {MAX_IN_VALUES} are allowed")
    values = [_values(op, v, queryables) for v in items]
    if not values:
        return false()
    if prop.type == "timestamp":
        return or_(
            *(_compare_span("=", prop.expr, _span(prop.name, v, interval=False)) for v in values)
        )
    return prop.expr.in_([_scalar(prop, v) for v in values])


def _is_null(op: str, node: Mapping[str, Any], queryables: _Queryables) -> _Predicate:
    prop = _prop_first(op, node, 1, queryables)
    return prop.expr.is_(None)


def _like(op: str, node: Mapping[str, Any], queryables: _Queryables) -> _Predicate:
    prop = _prop_first(op, node, 2, queryables)
    if prop.type != "string":
        raise FilterError(f"LIKE applies to string queryables; {prop.name} is {prop.type}")
    pattern = _values(op, node["args"][1], queryables)
    if not isinstance(pattern, str):
        raise FilterError(f"a LIKE pattern must be a string, got {_show(pattern)}")
    if len(pattern) > MAX_LIKE_PATTERN:
        raise FilterError(f"a LIKE pattern is longer than {MAX_LIKE_PATTERN} characters")
    return _CaseSensitiveLike(prop.expr, *_like_patterns(pattern))


def _like_patterns(pattern: str) -> tuple[str, str]:
    """The CQL2 pattern as (LIKE pattern escaped by backslash, equivalent GLOB pattern)."""
    like: list[str] = []
    glob: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            char = next(chars, "")
            if not char:
                raise FilterError("a LIKE pattern must not end with a lone backslash")
            like.append("\\" + char if char in "%_\\" else char)
            glob.append(f"[{char}]" if char in "*?[" else char)
        elif char in "%_":
            like.append(char)
            glob.append("*" if char == "%" else "?")
        else:
            glob.append(f"[{char}]" if char in "*?[" else char)
            like.append(char)
    return "".join(like), "".join(glob)


class _CaseSensitiveLike(ColumnElement[bool]):
    """``(expr LIKE pattern ESCAPE '\\')``; ``GLOB`` on SQLite, whose ``LIKE`` ignores ASCII case.

    Rendered in parentheses: on SQLite, SQLAlchemy compares a non-comparison boolean with 1 or 0.
    """

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("target", InternalTraversal.dp_clauseelement),
        ("like_pattern", InternalTraversal.dp_clauseelement),
        ("glob_pattern", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, target: ColumnElement[Any], like: str, glob: str) -> None:
        self.target = target
        self.like_pattern = literal(like, String())
        self.glob_pattern = literal(glob, String())


@compiles(_CaseSensitiveLike)
def _compile_like(element: _CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    like = element.target.like(element.like_pattern, escape="\\")
    return f"({compiler.process(like, **kw)})"


@compiles(_CaseSensitiveLike, "sqlite")
def _compile_glob(element: _CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    glob = element.target.op("GLOB", is_comparison=True)(element.glob_pattern)
    return f"({compiler.process(glob, **kw)})"


# --------------------------------------------------------------------------------------------
# Temporal operators: CQL2's definitions over the begin and end of each argument

_Point: TypeAlias = ColumnElement[Any] | datetime | float  # float: -inf or +inf
_Relation: TypeAlias = tuple[tuple[str, str, str], ...]

_TEMPORAL: Mapping[str, _Relation] = {
    "t_after": ((">", "b1", "e2"),),
    "t_before": (("<", "e1", "b2"),),
    "t_contains": (("<", "b1", "b2"), (">", "e1", "e2")),
    "t_during": ((">", "b1", "b2"), ("<", "e1", "e2")),
    "t_equals": (("=", "b1", "b2"), ("=", "e1", "e2")),
    "t_finishedby": (("<", "b1", "b2"), ("=", "e1", "e2")),
    "t_finishes": ((">", "b1", "b2"), ("=", "e1", "e2")),
    "t_intersects": (("<=", "b1", "e2"), (">=", "e1", "b2")),
    "t_meets": (("=", "e1", "b2"),),
    "t_metby": (("=", "b1", "e2"),),
    "t_overlappedby": ((">", "b1", "b2"), ("<", "b1", "e2"), (">", "e1", "e2")),
    "t_overlaps": (("<", "b1", "b2"), (">", "e1", "b2"), ("<", "e1", "e2")),
    "t_startedby": (("=", "b1", "b2"), (">", "e1", "e2")),
    "t_starts": (("=", "b1", "b2"), ("<", "e1", "e2")),
}


def _temporal(op: str, node: Mapping[str, Any], queryables: _Queryables) -> _Predicate:
    args = [_operand(a, queryables) for a in _args(node, 2)]
    props = [a for a in args if isinstance(a, _Prop)]
    if not props:
        raise FilterError(f"{op} needs the datetime queryable as one of its arguments")
    points: dict[str, _Point] = {}
    for n, arg in enumerate(args, start=1):
        begin, end = _temporal_points(op, arg, props[0].name)
        points[f"b{n}"], points[f"e{n}"] = begin, end
    if op == "t_disjoint":
        return not_(_relation(_TEMPORAL["t_intersects"], points))
    return _relation(_TEMPORAL[op], points)


def _temporal_points(op: str, arg: _Operand, name: str) -> tuple[_Point, _Point]:
    if isinstance(arg, _Prop):
        if arg.type != "timestamp":
            raise FilterError(f"{op} applies to timestamps; {arg.name} is {arg.type}")
        return arg.expr, arg.expr
    if isinstance(arg.value, Mapping) and "interval" in arg.value:
        begin, end = _interval(arg.value["interval"])
    else:
        begin, end = _span(name, arg.value, interval=True)
    return (-math.inf if begin is None else begin), (math.inf if end is None else end)


def _relation(relation: _Relation, points: Mapping[str, _Point]) -> _Predicate:
    terms: list[_Predicate] = []
    for op, left, right in relation:
        term = _point_compare(op, points[left], points[right])
        if term is False:
            return false()
        if term is not True:
            terms.append(term)
    return and_(*terms) if terms else true()


def _point_compare(op: str, left: _Point, right: _Point) -> _Predicate | bool:
    """Compare two instants; folds to a Python bool unless a column is involved."""
    if isinstance(left, ColumnElement) and isinstance(right, ColumnElement):
        return cast(_Predicate, _OPERATORS[op](left, right))
    if isinstance(left, ColumnElement) or isinstance(right, ColumnElement):
        if isinstance(left, ColumnElement):
            column, other = left, right
        else:
            column, other, op = cast(ColumnElement[Any], right), left, _FLIPPED[op]
        if isinstance(other, float):  # a column's (non-null) value is finite
            return bool(_OPERATORS[op](_rank(datetime.min.replace(tzinfo=UTC)), _rank(other)))
        return cast(_Predicate, _OPERATORS[op](column, other))
    return bool(_OPERATORS[op](_rank(left), _rank(right)))


def _rank(point: datetime | float) -> tuple[int, datetime]:
    if isinstance(point, float):
        return (0 if point < 0 else 2), datetime.min.replace(tzinfo=UTC)
    return 1, point


# --------------------------------------------------------------------------------------------
# label:classes


def _correlated(*conditions: ColumnElement[bool]) -> Exists:
    return exists().where(
        ItemClassRow.collection_id == ItemRow.collection_id,
        ItemClassRow.item_id == ItemRow.id,
        *conditions,
    )


def _contains(*codes: str) -> _Predicate:
    """The scan's classes include every code."""
    if not codes:
        return true()
    if len(codes) == 1:
        return _correlated(ItemClassRow.hs_code == codes[0])
    matched = (
        select(func.count())
        .where(
            ItemClassRow.collection_id == ItemRow.collection_id,
            ItemClassRow.item_id == ItemRow.id,
            ItemClassRow.hs_code.in_(codes),
        )
        .scalar_subquery()
    )
    return matched == len(codes)


def _contained_by(codes: Sequence[str]) -> _Predicate:
    """Every class of the scan is among the codes (true for a scan without annotations)."""
    if not codes:
        return not_(_correlated())
    return not_(_correlated(ItemClassRow.hs_code.not_in(codes)))


def _overlaps(codes: Sequence[str]) -> _Predicate:
    if not codes:
        return false()
    return _correlated(ItemClassRow.hs_code.in_(codes))


_ARRAY_OPS: Mapping[str, Callable[[list[str]], _Predicate]] = {
    "a_contains": lambda codes: _contains(*codes),
    "a_containedby": _contained_by,
    "a_overlaps": _overlaps,
    "a_equals": lambda codes: and_(_contains(*codes), _contained_by(codes)),
}
_ARRAY_CONVERSE = {"a_contains": "a_containedby", "a_containedby": "a_contains"}


def _array(op: str, node: Mapping[str, Any], queryables: _Queryables) -> _Predicate:
    left, right = (_operand(a, queryables) for a in _args(node, 2))
    if isinstance(left, _Value) and isinstance(right, _Prop):
        left, right, op = right, left, _ARRAY_CONVERSE.get(op, op)
    if not (isinstance(left, _Prop) and isinstance(right, _Value)) or left.casei:
        raise FilterError(f"{op} compares label:classes with an array of HS codes")
    if left.type != "array-of-hs-codes":
        raise FilterError(f"{op} applies to label:classes, not to {left.name}")
    return _ARRAY_OPS[op](_hs_codes(left, right.value))


_PREDICATES: Mapping[str, _Handler] = {
    "and": _logical, "or": _logical, "not": _logical,
    **dict.fromkeys(_OPERATORS, _comparison),
    "between": _between, "in": _in, "isnull": _is_null, "like": _like,
    **dict.fromkeys(_ARRAY_OPS, _array),
}  # fmt: skip
