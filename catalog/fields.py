"""The fields extension: include / exclude dotted paths of an item document.

Three modes, as the STAC API fields extension (and its community validator) reads them:

* no ``fields`` at all, or only ``exclude`` (``include`` not given): the whole item, minus
  ``exclude``;
* ``fields`` given with no ``include`` value (an empty GET value, ``{}``, ``include`` null or
  ``[]``): the default set (:data:`DEFAULT`), minus ``exclude``;
* ``include`` given: the identity fields (:data:`ALWAYS`) and what it names; a field in both
  ``include`` and ``exclude`` is included.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

__all__ = ["ALWAYS", "DEFAULT", "apply_fields"]

ALWAYS = ("type", "stac_version", "id", "collection")
DEFAULT = (*ALWAYS, "geometry", "bbox", "links", "assets", "properties.datetime")


def _get(doc: dict[str, Any], path: list[str]) -> tuple[bool, Any]:
    node: Any = doc
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return False, None
        node = node[key]
    return True, node


def _put(doc: dict[str, Any], path: list[str], value: Any) -> None:
    node = doc
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = copy.deepcopy(value)


def _remove(doc: dict[str, Any], path: list[str]) -> None:
    node: Any = doc
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(path[-1], None)


def _split(field: str) -> list[str]:
    # Property names contain ':' but never '.', so a dot always separates levels.
    return field.split(".")


def _pick(doc: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for field in fields:
        found, value = _get(doc, _split(field))
        if found:
            _put(result, _split(field), value)
    return result


def apply_fields(
    doc: dict[str, Any], include: Sequence[str] | None, exclude: Sequence[str]
) -> dict[str, Any]:
    """``include`` None: not given (the whole item); empty: the default set (module docstring)."""
    if include is None and not exclude:
        return doc
    if include is None:
        result = copy.deepcopy(doc)
    elif not include:
        result = _pick(doc, DEFAULT)
    else:
        result = _pick(doc, [*ALWAYS, *include])
    kept = [*ALWAYS, *(include or ())]
    for field in exclude:
        # An include wins over an exclude of the same field or of a field that contains it
        # ("-properties,+properties.xray:modality" keeps that one property).
        if not any(k == field or k.startswith(field + ".") for k in kept):
            _remove(result, _split(field))
    return result
