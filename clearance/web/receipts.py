"""An evaluation's receipt, verified on the node for the page: the DSSE envelope against the
issuing (owning) administration's published keys, with the models package's own verifier."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from clearance.node import Node
from models import ReceiptInvalid, verify_receipt

__all__ = ["ReceiptCheck", "check_receipt"]


@dataclass(frozen=True)
class ReceiptCheck:
    ok: bool
    issuer: str
    key_id: str
    model_sha256: str
    problem: str


def check_receipt(node: Node, owner: str, receipt: dict[str, Any]) -> ReceiptCheck:
    try:
        verified = verify_receipt(
            json.dumps(receipt).encode(), node.directory.jwks(owner), issuer=owner
        )
    except ReceiptInvalid as exc:
        return ReceiptCheck(False, owner, "", "", str(exc))
    return ReceiptCheck(True, verified.issuer, verified.kid, verified.model_sha256, "")
