"""Glue between the ``publish`` command and the catalogue's publish service."""

from __future__ import annotations

from pathlib import Path

from access.errors import NotFound
from access.vocabulary import Discovery, Handling, Level, parse_admin_code, parse_rel_to
from catalog.errors import PublishError
from catalog.publish import PublishResult, publish_holding
from catalog.stac import HoldingOptions
from clearance.node import Node

__all__ = ["publish_folder"]


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
) -> PublishResult:
    code = parse_admin_code(admin)
    names = dict(node.directory.administrations())
    if code not in names:
        raise NotFound(f"no administration {code}: add it first with `clearance admin add {code}`")
    if not marking.strip() or len(marking) > 200:
        raise PublishError("--marking must be 1–200 characters (the national marking, verbatim)")
    if not title.strip() or len(title) > 300:
        raise PublishError("--title must be 1–300 characters")
    options = HoldingOptions(
        holding_id=holding_id,
        admin=code,
        admin_name=names[code],
        title=title.strip(),
        description=description.strip() or title.strip(),
        level=Level.parse(level),
        marking=marking,
        releasable_to=parse_rel_to(rel_to),
        handling=Handling(handling),
        discovery=Discovery(discovery),
    )
    return publish_holding(
        folder,
        options,
        sessions=node.sessions,
        objects=node.objects,
        manifests=node.manifests,
        signing_key=lambda: node.directory.signing_key(code),
        now=node.clock.now(),
        audit=node.audit,
        actor=f"operator:{code}",
        access=node.requests,
    )
