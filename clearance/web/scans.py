"""The owning administration's own scans, for the viewer: decided, read and decoded.

Only the owner's users ever see an image: the holding must be discoverable and its items
visible to the viewer (``decide`` READ_ITEMS, the API's own rule), *and* its owner must be the
viewer's administration. Anything else, a partner's holding included, is the one 404. The bytes
are the node's encrypted objects, decrypted in memory and checked against the holding's signed
manifest (``EncryptedObjects.read_verified``, as the evaluation enclave reads them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from access import Action, NotFound, Principal, decide
from catalog import CatalogHoldings, get_item
from clearance.node import Node
from models import EvalScan, load_scans

__all__ = ["OwnScan", "own_scan", "own_scan_item"]


@dataclass(frozen=True)
class OwnScan:
    item: dict[str, Any]  # the STAC item as the API serves it
    scan: EvalScan


def own_scan_item(node: Node, who: Principal, holding_id: str, item_id: str) -> dict[str, Any]:
    """The item, if ``who`` belongs to the holding's owner and may see its items; else 404."""
    security = CatalogHoldings(node.sessions).security(holding_id, who.admin)
    if (
        security is None
        or security.owner != who.admin
        or not decide(who, security, Action.READ_ITEMS, node.clock.now()).allowed
    ):
        raise NotFound("not found")
    with node.sessions() as session:
        return get_item(session, who, holding_id, item_id)


def own_scan(node: Node, who: Principal, holding_id: str, item_id: str) -> OwnScan:
    item = own_scan_item(node, who, holding_id, item_id)
    stored = node.manifests.latest(holding_id)
    if stored is None:
        raise NotFound("not found")
    scan = next(load_scans(stored.manifest, [item_id], node.objects.read_verified))
    return OwnScan(item, scan)
