"""One exception tree per package: every exception class any module of a package defines derives
from that package's root in its ``errors.py``, every root from the one coded base
(``access.errors.ClearanceError``), and every public error is drawn in the docstring of one of
the package's ``errors`` modules. A new stray root, or an undrawn error, fails here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

from access import AccessError, ClearanceError
from catalog import CatalogError
from clearance.errors import ClientSideError
from models.errors import ModelsError
from transfer import TransferError

ROOTS: dict[str, type[ClearanceError] | None] = {
    "access": AccessError,
    "transfer": TransferError,
    "catalog": CatalogError,
    "models": ModelsError,
    "clearance": ClientSideError,
}
SKIP = ("clearance.migrations",)  # alembic scripts: they run on import


def _modules(package: str) -> list[ModuleType]:
    root = importlib.import_module(package)
    names = [info.name for info in pkgutil.walk_packages(root.__path__, f"{package}.")]
    return [root] + [importlib.import_module(n) for n in names if not n.startswith(SKIP)]


def _exceptions(package: str) -> list[type[BaseException]]:
    found = []
    for module in _modules(package):
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == module.__name__ and issubclass(obj, BaseException):
                found.append(obj)
    return found


@pytest.mark.parametrize("package", sorted(ROOTS))
def test_every_exception_derives_from_its_package_root(package: str) -> None:
    root = ROOTS[package]
    strays = [
        f"{kind.__module__}.{kind.__qualname__}"
        for kind in _exceptions(package)
        if kind is not ClearanceError and (root is None or not issubclass(kind, root))
    ]
    assert strays == [], f"not under {package}'s root {root}"


@pytest.mark.parametrize("package", sorted(p for p, root in ROOTS.items() if root is not None))
def test_each_root_sits_in_errors_py_under_the_coded_base(package: str) -> None:
    root = ROOTS[package]
    assert root is not None
    assert root.__module__ == f"{package}.errors"
    assert root.__bases__ == (ClearanceError,)
    assert isinstance(root.code, str) and root.code


@pytest.mark.parametrize("package", sorted(p for p, root in ROOTS.items() if root is not None))
def test_every_public_error_is_drawn_in_an_errors_docstring(package: str) -> None:
    drawn = "\n".join(
        module.__doc__ or ""
        for module in _modules(package)
        if module.__name__.rsplit(".", 1)[-1] == "errors"
    )
    undrawn = [
        kind.__qualname__
        for kind in _exceptions(package)
        if not kind.__name__.startswith("_")
        and f" {kind.__name__} " not in drawn.replace("\n", " ")
    ]
    assert undrawn == []
