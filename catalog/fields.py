"""The fields extension: include / exclude dotted paths of an item document."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

__all__ = ["apply_fields"]

_ALWAYS = ("type", "stac_version", "id", "collection", "links")


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


def apply_fields(
    doc: dict[str, Any], include: Sequence[str], exclude: Sequence[str]
) -> dict[str, Any]:
    if not include and not exclude:
        return doc
    if include:
        result: dict[str, Any] = {k: doc[k] for k in _ALWAYS if k in doc}
        for field in include:
            found, value = _get(doc, _split(field))
            if found:
                _put(result, _split(field), value)
    else:
        result = copy.deepcopy(doc)
    for field in exclude:
        if field not in _ALWAYS and field not in include:
            _remove(result, _split(field))
    return result
