"""Offline JSON Schema validation of STAC Items and Collections.

An object is checked against the STAC core schema of its ``stac_version`` (1.0.0 or 1.1.0),
then against the schema of every URL in its ``stac_extensions``. Every schema comes from the copies
shipped in ``catalog/schemas/`` (laid out as host/path of the schema URL, see the README there):
nothing is ever fetched, and an extension URL that is not shipped is an error.

The registry of shipped schemas is built once, on first use; one compiled validator is kept per
schema URL, so validating an item costs only the validation itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Final, cast
from urllib.parse import urldefrag, urljoin

import jsonschema
import jsonschema.validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from catalog.errors import CatalogError

__all__ = [
    "COLLECTION_EXTENSIONS",
    "FILE_SCHEMA_URL",
    "ITEM_EXTENSIONS",
    "LABEL_SCHEMA_URL",
    "SEC_SCHEMA_URL",
    "SUPPORTED_STAC_VERSIONS",
    "XRAY_SCHEMA_URL",
    "FieldError",
    "StacValidationError",
    "schema_resources",
    "shipped_schema_urls",
    "validate_collection",
    "validate_item",
]

XRAY_SCHEMA_URL: Final = "https://clearance.example/stac/xray/v1.1.0/schema.json"
SEC_SCHEMA_URL: Final = "https://clearance.example/stac/sec/v1.0.0/schema.json"
LABEL_SCHEMA_URL: Final = "https://stac-extensions.github.io/label/v1.0.1/schema.json"
FILE_SCHEMA_URL: Final = "https://stac-extensions.github.io/file/v2.1.0/schema.json"

#: ``stac_extensions`` of a published scan (Item).
ITEM_EXTENSIONS: Final = (LABEL_SCHEMA_URL, FILE_SCHEMA_URL, XRAY_SCHEMA_URL, SEC_SCHEMA_URL)
#: ``stac_extensions`` of a published holding (Collection): sec fields, summaries of xray and label
#: fields. Add FILE_SCHEMA_URL only if the collection itself has assets with file: fields.
COLLECTION_EXTENSIONS: Final = (LABEL_SCHEMA_URL, XRAY_SCHEMA_URL, SEC_SCHEMA_URL)

_CORE_SCHEMA_URLS: Final[Mapping[str, Mapping[str, str]]] = {
    version: {
        "Feature": f"https://schemas.stacspec.org/v{version}/item-spec/json-schema/item.json",
        "Collection": (
            f"https://schemas.stacspec.org/v{version}/collection-spec/json-schema/collection.json"
        ),
    }
    for version in ("1.0.0", "1.1.0")
}
SUPPORTED_STAC_VERSIONS: Final = tuple(_CORE_SCHEMA_URLS)
# Our own prefixes: an object that uses one must list its schema, so the fields are validated.
_OWN_PREFIXES: Final = {"xray:": XRAY_SCHEMA_URL, "sec:": SEC_SCHEMA_URL}

_MAX_REPORTED: Final = 10  # errors named in the message; all are in StacValidationError.errors
_MAX_MESSAGE: Final = 300  # characters of one error message (reprs of big values are cut)
_MAX_ID: Final = 100


@dataclass(frozen=True, slots=True)
class FieldError:
    """One failing field: its JSON path in the object, what is wrong, and which schema said so."""

    # dotted JSON path: "properties.xray:modality", "assets.high.file:size"; "(root)": the object
    path: str
    message: str
    schema: str  # URL of the schema (core or extension) that rejected it

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class StacValidationError(CatalogError, ValueError):
    """A STAC object does not validate. ``str()`` names the object and the failing fields."""

    code = "stac-invalid"

    def __init__(self, kind: str, object_id: str | None, errors: Sequence[FieldError]) -> None:
        self.kind = kind
        self.object_id = object_id
        self.errors: tuple[FieldError, ...] = tuple(errors)
        shown = "; ".join(str(e) for e in self.errors[:_MAX_REPORTED])
        more = len(self.errors) - _MAX_REPORTED
        if more > 0:
            shown += f"; ... and {more} more"
        name = "<no id>" if object_id is None else repr(_cut(object_id, _MAX_ID))
        super().__init__(f"{kind} {name}: {shown}")


def validate_item(d: dict[str, Any], *, require: Iterable[str] = ()) -> None:
    """Validate a STAC Item dict (e.g. ``pystac.Item.to_dict()``); raise StacValidationError.

    ``require``: extension schema URLs that must be listed in ``stac_extensions`` (for a
    published scan: ITEM_EXTENSIONS). Whatever is required, ``xray:``/``sec:`` fields on an
    object that does not list their extension are an error, so they never go unchecked.
    """
    _validate(d, "item", "Feature", tuple(require))


def validate_collection(d: dict[str, Any], *, require: Iterable[str] = ()) -> None:
    """Validate a STAC Collection dict; raise StacValidationError. ``require`` as for items
    (for a published holding: COLLECTION_EXTENSIONS)."""
    _validate(d, "collection", "Collection", tuple(require))


def shipped_schema_urls() -> frozenset[str]:
    """URLs of every shipped schema (core, GeoJSON and extension schemas)."""
    return frozenset(_shipped_schemas())


# --------------------------------------------------------------------------------------- internals


def _validate(d: object, kind: str, stac_type: str, require: tuple[str, ...]) -> None:
    if not isinstance(d, dict):
        raise StacValidationError(kind, None, [FieldError("(root)", "not a JSON object", "")])
    raw_id = d.get("id")
    object_id = raw_id if isinstance(raw_id, str) else None

    if d.get("type") != stac_type:
        msg = f"{_cut(repr(d.get('type')))} is not {stac_type!r}: this is not a STAC {kind}"
        raise StacValidationError(kind, object_id, [FieldError("type", msg, "")])

    errors: list[FieldError] = []
    version = d.get("stac_version")
    core = _CORE_SCHEMA_URLS.get(version) if isinstance(version, str) else None
    if core is None:
        supported = ", ".join(SUPPORTED_STAC_VERSIONS)
        msg = f"unsupported STAC version {_cut(repr(version))} (supported: {supported})"
        errors.append(FieldError("stac_version", msg, ""))
    else:
        errors.extend(_check(core[stac_type], d))

    extensions = d.get("stac_extensions", [])
    if isinstance(extensions, list):  # otherwise the core schema has already said so
        shipped = _shipped_schemas()
        for i, url in enumerate(extensions):
            if not isinstance(url, str):
                continue  # the core schema reports it
            if url not in shipped:
                msg = (
                    f"unknown extension schema {_cut(repr(url))}: not shipped in catalog/schemas"
                    " (schemas are never fetched)"
                )
                errors.append(FieldError(f"stac_extensions.{i}", msg, ""))
                continue
            errors.extend(_check(url, d))
        declared = {url for url in extensions if isinstance(url, str)}
        for url in require:
            if url not in declared:
                msg = f"{_cut(repr(url))} is required but not listed"
                errors.append(FieldError("stac_extensions", msg, ""))
        for prefix, url in _OWN_PREFIXES.items():
            if url not in declared and url not in require:
                used = _first_field_with_prefix(d, prefix)
                if used is not None:
                    msg = f"{_cut(repr(url))} must be listed: {used} uses its prefix"
                    errors.append(FieldError("stac_extensions", msg, ""))

    if errors:
        raise StacValidationError(kind, object_id, _dedup(errors))


def _first_field_with_prefix(d: dict[str, Any], prefix: str) -> str | None:
    """Path of the first field named ``<prefix>...`` where STAC puts extension fields."""
    places: list[tuple[str, object]] = [("", d)]
    for key in ("properties", "summaries"):
        places.append((f"{key}.", d.get(key)))
    for key in ("assets", "item_assets"):
        group = d.get(key)
        if isinstance(group, dict):
            places.extend((f"{key}.{name}.", value) for name, value in group.items())
    links = d.get("links")
    if isinstance(links, list):
        places.extend((f"links.{i}.", link) for i, link in enumerate(links))
    for where, obj in places:
        if isinstance(obj, dict):
            for name in obj:
                if isinstance(name, str) and name.startswith(prefix):
                    return where + name
    return None


def _check(url: str, instance: dict[str, Any]) -> Iterator[FieldError]:
    validator = _validator(url)
    errors: Iterable[ValidationError] = validator.iter_errors(instance)
    for error in sorted(errors, key=lambda e: _path_key(e.absolute_path)):
        for leaf in _leaves(error):
            yield from _field_errors(leaf, url)


def _dedup(errors: list[FieldError]) -> list[FieldError]:
    seen: set[tuple[str, str]] = set()
    out: list[FieldError] = []
    for e in errors:
        if (e.path, e.message) not in seen:
            seen.add((e.path, e.message))
            out.append(e)
    return out


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The errors that say what is wrong, looking through oneOf/anyOf to the branch that applies.

    STAC extension schemas are ``oneOf`` [Item, Catalog, Collection] branches told apart by
    ``type``: a branch that fails on ``type`` itself is for another kind of object, and dropped. If
    one branch is left, its errors are the answer; otherwise the branch whose errors lie deepest
    (it matched the most) when there is one, else the oneOf/anyOf error itself.
    """
    context: list[ValidationError] = list(error.context or ())
    if not context:
        yield error
        return
    branches: dict[object, list[ValidationError]] = {}
    for e in context:
        branch = e.relative_schema_path[0] if e.relative_schema_path else None
        branches.setdefault(branch, []).append(e)
    candidates = [
        errs
        for errs in branches.values()
        if not any(
            e.validator in ("const", "enum") and list(e.relative_path) == ["type"] for e in errs
        )
    ]
    if len(candidates) > 1:
        depth = {i: min(len(e.relative_path) for e in errs) for i, errs in enumerate(candidates)}
        deepest = max(depth.values())
        best = [candidates[i] for i, d in depth.items() if d == deepest]
        candidates = best if len(best) == 1 else []
    if len(candidates) != 1:
        yield error
        return
    for e in sorted(candidates[0], key=lambda e: _path_key(e.absolute_path)):
        yield from _leaves(e)


def _field_errors(error: ValidationError, url: str) -> Iterator[FieldError]:
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        required = error.validator_value if isinstance(error.validator_value, list) else []
        for name in required:
            if name not in instance and error.message == f"{name!r} is a required property":
                yield FieldError(_format_path([*path, name]), "required field missing", url)
                return
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = schema.get("properties", {})
        patterns = list(schema.get("patternProperties", {}))
        extras = [
            key
            for key in instance
            if key not in known and not any(re.search(p, key) for p in patterns)
        ]
        if extras:
            for key in extras:
                yield FieldError(_format_path([*path, key]), "unknown field", url)
            return
    if error.validator in ("oneOf", "anyOf") and error.context:
        yield FieldError(_format_path(path), _none_of(error), url)
        return
    if error.validator == "not" and error.validator_value in ({}, True):
        message = "field not allowed here"
        if path == ["collection"]:  # STAC 1.1.0 item: only with a link of rel "collection"
            message += " (an item's 'collection' needs a link with rel 'collection')"
        yield FieldError(_format_path(path), message, url)
        return
    yield FieldError(_format_path(path), _cut(error.message, _MAX_MESSAGE), url)


def _none_of(error: ValidationError) -> str:
    """For a oneOf/anyOf that no branch matched: why each branch fails (its deepest error)."""
    firsts: dict[object, ValidationError] = {}
    for e in error.context or ():
        branch = e.relative_schema_path[0] if e.relative_schema_path else None
        if branch not in firsts or len(e.relative_path) > len(firsts[branch].relative_path):
            firsts[branch] = e
    reasons = []
    for n, e in enumerate(firsts.values(), start=1):
        where = f"at {_format_path(list(e.relative_path))}: " if e.relative_path else ""
        reasons.append(f"({n}) {where}{_cut(e.message, 100)}")
    return _cut("matches none of the allowed forms: " + " | ".join(reasons), _MAX_MESSAGE)


def _format_path(path: Sequence[object]) -> str:
    return ".".join(str(p) for p in path) if path else "(root)"


def _path_key(path: Iterable[object]) -> tuple[tuple[int, str], ...]:
    return tuple((0, f"{p:012d}") if isinstance(p, int) else (1, str(p)) for p in path)


def _cut(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ------------------------------------------------------------------------ registry and validators


def _schema_root() -> Traversable:
    return resources.files("catalog").joinpath("schemas")


def _walk(folder: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for entry in folder.iterdir():
        name = f"{prefix}/{entry.name}" if prefix else entry.name
        if entry.is_dir():
            yield from _walk(entry, name)
        elif entry.name.endswith(".json"):
            yield name, entry


def schema_resources(root: Traversable) -> dict[str, Resource[Any]]:
    """Schema files under ``root`` by URL: ``<root>/<host>/<path>`` is ``https://<host>/<path>``
    (the layout of ``catalog/schemas/``; ``models/schemas/`` uses it too)."""
    out: dict[str, Resource[Any]] = {}
    for relative, entry in _walk(root, ""):
        contents = json.loads(entry.read_text(encoding="utf-8"))
        out[f"https://{relative}"] = Resource.from_contents(contents, default_specification=DRAFT7)
    return out


@cache
def _shipped_schemas() -> Mapping[str, Resource[Any]]:
    """Shipped schema files by URL."""
    return schema_resources(_schema_root())


@cache
def _registry() -> Registry[Any]:
    """Every shipped schema under its URL (and its ``$id``, when that differs), and nothing else:
    a reference to anything not shipped fails instead of being fetched."""
    registry: Registry[Any] = Registry().with_resources(_shipped_schemas().items())
    return registry.crawl()


@cache
def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker(jsonschema.Draft7Validator.FORMAT_CHECKER.checkers)
    if "date-time" not in checker.checkers:  # rfc3339-validator is not installed
        checker.checks("date-time", raises=ValueError)(_is_rfc3339_datetime)
    return checker


_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)


def _is_rfc3339_datetime(value: object) -> bool:
    """RFC 3339 ``date-time`` (STAC's datetime fields also require UTC, by a pattern)."""
    if not isinstance(value, str):
        return True
    match = _RFC3339.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second, sign, off_h, off_m = match.groups()
    try:
        offset = timedelta(0)
        if sign is not None:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
        datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            min(int(second), 59),  # a leap second, 60, is valid RFC 3339
            tzinfo=timezone(offset),
        )
    except ValueError:
        return False
    return int(second) <= 60


@cache
def _validator(url: str) -> Any:
    """The compiled validator of one shipped schema; its meta-schema is checked once, here.

    The validator runs on the schema with every ``$ref`` to a shipped schema inlined (see
    `_bundle`): same verdicts and error paths, about 1.5 times faster than resolving references
    on each use.
    """
    schema = _shipped_schemas()[url].contents
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    cls.check_schema(schema)
    bundled = _bundle(schema, url, (url,))
    return cast(Any, cls(bundled, registry=_registry(), format_checker=_format_checker()))


# Draft-07 keywords whose value is a schema, a list of schemas, or a map of name -> schema;
# every other keyword's value is data (enum, const, default, ...) and is left as it is.
_SCHEMA_KEYWORDS: Final = frozenset(
    {"additionalItems", "additionalProperties", "contains", "propertyNames", "not", "if", "then"}
    | {"else", "items"}
)
_SCHEMA_LIST_KEYWORDS: Final = frozenset({"allOf", "anyOf", "oneOf", "items"})
_SCHEMA_MAP_KEYWORDS: Final = frozenset(
    {"properties", "patternProperties", "definitions", "dependencies"}
)


def _bundle(schema: object, base: str, stack: tuple[str, ...]) -> object:
    """``schema`` (at base URI ``base``) with each ``$ref`` to a shipped schema replaced by the
    schema it points at. As draft-07 says, a ``$ref`` object's other keywords are ignored. A
    reference to a meta-schema, or back into a schema being inlined (a cycle), stays a ``$ref``
    with an absolute URI; one to anything else must resolve in the registry, or this raises."""
    if isinstance(schema, list):
        return [_bundle(s, base, stack) for s in schema]
    if not isinstance(schema, dict):
        return schema  # true / false
    own_id = schema.get("$id")
    if isinstance(own_id, str):
        base = urljoin(base, own_id)
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = urljoin(base, ref)
        document, _ = urldefrag(target)
        shipped = _shipped_schemas()
        if document not in shipped or target.rstrip("#") in stack:
            if document not in shipped and not document.startswith("http://json-schema.org/"):
                _registry().resolver(base_uri=base).lookup(ref)  # raises Unresolvable
            return {"$ref": target}
        contents = _registry().resolver(base_uri=base).lookup(ref).contents
        document_id = shipped[document].id()
        target_base = urljoin(document, document_id) if document_id else document
        return _bundle(contents, target_base, (*stack, target.rstrip("#")))
    out: dict[str, object] = {}
    for key, value in schema.items():
        if key == "$id":
            continue  # every reference below is resolved, or absolute
        if key in _SCHEMA_MAP_KEYWORDS and isinstance(value, dict):
            out[key] = {
                name: _bundle(sub, base, stack) if not isinstance(sub, list) else sub
                for name, sub in value.items()
            }
        elif key in _SCHEMA_LIST_KEYWORDS and isinstance(value, list):
            out[key] = [_bundle(sub, base, stack) for sub in value]
        elif key in _SCHEMA_KEYWORDS:
            out[key] = _bundle(value, base, stack)
        else:
            out[key] = value
    return out
