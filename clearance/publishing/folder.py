"""Glue between the ``publish`` command and the catalogue's publish service."""

from __future__ import annotations

from pathlib import Path

from access import PARTNERS, NotFound, parse_admin_code
from catalog import Progress, PublishResult, publish_holding
from clearance.node import Node
from clearance.publishing.options import PublishOptions

__all__ = ["publish_folder", "publish_options"]


def publish_folder(
    node: Node,
    folder: Path,
    *,
    admin: str,
    holding_id: str,
    title: str,
    description: str,
    level: str,
    marking: str,
    rel_to: str,
    handling: str,
    discovery: str,
    geometry: str = "site",
) -> PublishResult:
    """:func:`publish_options` with the options given one by one."""
    options = PublishOptions(
        holding=holding_id, title=title, description=description, level=level,
        marking=marking, rel_to=rel_to, handling=handling, discovery=discovery,
        geometry=geometry,
    )  # fmt: skip
    return publish_options(node, folder, admin=admin, options=options)


def publish_options(
    node: Node, folder: Path, *, admin: str, options: PublishOptions,
    progress: Progress | None = None,
) -> PublishResult:  # fmt: skip
    """Publish the holding in ``folder`` as ``admin``'s (all or nothing)."""
    code = parse_admin_code(admin)
    names = dict(node.directory.administrations())
    if code not in names:
        raise NotFound(f"no administration {code}: add it first with `clearance admin add {code}`")
    return publish_holding(
        folder,
        options.holding_options(code, names[code], known=frozenset(names) | set(PARTNERS)),
        sessions=node.sessions,
        objects=node.objects,
        manifests=node.manifests,
        signing_key=lambda: node.directory.signing_key(code),
        now=node.clock.now(),
        audit=node.audit,
        actor=f"operator:{code}",
        access=node.requests,
        progress=progress,
    )
