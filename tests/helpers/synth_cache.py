"""Synthetic holding folders generated once per test process and copied where a test wants one.

``catalog.synth.generate_holding`` gives byte-identical files for the same arguments (checked by
tests/catalog/synth), so a copy of a folder generated earlier in the session is the folder a
fresh call would write. Each caller gets its own copy: a test that changes its folder changes
nobody else's. The generator itself is tested on its own (tests/catalog/synth), never through
this cache.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Literal

from catalog.synth import generate_holding

__all__ = ["copy_of_holding"]


@cache
def _cache_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="clearance-synth-cache-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


@cache
def _generated(kind: Literal["cargo", "parcel"], count: int, seed: int, admin: str) -> Path:
    folder = _cache_root() / f"{kind}-{count}-{seed}-{admin}"
    generate_holding(folder, kind=kind, count=count, seed=seed, admin=admin)
    return folder


def copy_of_holding(
    out: Path, *, kind: Literal["cargo", "parcel"], count: int, seed: int, admin: str = "NLD"
) -> Path:
    """What ``generate_holding(out, kind=..., count=..., seed=..., admin=...)`` writes at ``out``
    (which must not exist yet), copied from this process's first generation of it."""
    shutil.copytree(_generated(kind, count, seed, admin), out)
    return out
