"""A node seeded with synthetic holdings of three administrations, shared by the catalogue tests.

NLD-cargo   NLD  R2  REL TO GBR,USA   download      partners     (everyone discovers it)
GBR-parcel  GBR  R1  ALL              download      partners
USA-reefer  USA  R3  REL TO GBR       enclave-only  releasable   (NLD must never learn of it)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from access import Level, Role
from clearance.node import Node
from clearance.publishing.folder import publish_folder
from tests.helpers.synth_cache import copy_of_holding

HIDDEN = "USA-reefer"
HOLDINGS = (
    ("NLD", "NLD-cargo", "cargo", 4, "R2", "Dep. Vertrouwelijk", "GBR,USA", "download", "partners"),
    ("GBR", "GBR-parcel", "parcel", 9, "R1", "OFFICIAL", "ALL", "download", "partners"),
    ("USA", HIDDEN, "cargo", 3, "R3", "LES", "GBR", "enclave-only", "releasable"),
)


@dataclass(frozen=True)
class Seeded:
    node: Node
    sources: Path
    tokens: dict[str, str]

    def scans(self, holding_id: str) -> list[dict[str, Any]]:
        """Sidecars of a holding as written by the generator: the independent expectation."""
        folder = self.sources / holding_id / "scans"
        return [json.loads((p / "scan.json").read_text()) for p in sorted(folder.iterdir())]

    def object_counts(self, holding_id: str) -> dict[str, int]:
        coco = json.loads((self.sources / holding_id / "annotations.json").read_text())
        by_image = {img["id"]: img["file_name"].split("/")[1] for img in coco["images"]}
        counts = dict.fromkeys(by_image.values(), 0)
        for ann in coco["annotations"]:
            counts[by_image[ann["image_id"]]] += 1
        return counts


def seed(node: Node, sources: Path) -> Seeded:
    for code in ("NLD", "GBR", "USA"):
        node.directory.add_administration(code, f"{code} customs")
    users = {"nld": ("NLD", Level.R2), "gbr": ("GBR", Level.R3), "usa": ("USA", Level.R3)}
    for name, (code, level) in users.items():
        node.directory.add_user(name, admin=code, roles=[Role.RESEARCHER], clearance=level)
    for seed_no, (admin, hid, kind, count, level, marking, rel, handling, disc) in enumerate(
        HOLDINGS, start=1
    ):
        folder = sources / hid
        # byte-identical to a fresh generate_holding(folder, ...), generated once per process
        copy_of_holding(folder, kind=kind, count=count, seed=seed_no, admin=admin)  # type: ignore[arg-type]
        publish_folder(
            node, folder, admin=admin, holding_id=hid, title=f"{hid} scans", description="",
            level=level, marking=marking, rel_to=rel, handling=handling, discovery=disc,
        )  # fmt: skip
    tokens = {n: node.directory.issue_token(n, audience=node.settings.node_id) for n in users}
    return Seeded(node, sources, tokens)
