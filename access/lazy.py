"""Public faces that load a name's module on first use (PEP 562).

A package's ``__init__`` names what other packages may use; loading every module behind those
names at once would make a client command that imports one error pay for SQLAlchemy and FastAPI,
so each name's module is imported when the name is first asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping, Sequence

__all__ = ["lazy_face"]


def lazy_face(
    package: str,
    modules: Mapping[str, str],
    namespace: MutableMapping[str, object],
    public: Sequence[str],
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``modules`` maps each public name to
    the module that defines it; a loaded name is kept in ``namespace`` (the package's globals)."""

    def get(name: str) -> object:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def names() -> list[str]:
        return sorted(set(namespace) | set(public))

    return get, names
