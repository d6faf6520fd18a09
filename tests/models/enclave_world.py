"""A node with an enclave-only GBR holding, a NLD researcher holding an evaluate grant on it,
GBR stewards, and two detectors in the node's model registry: NLD's and USA's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from access.policy import Principal
from access.request_states import Conditions, Mode, NewRequest, PurposeCode
from access.vocabulary import Level, Role
from clearance.node import Node
from clearance.publishing.folder import publish_folder
from models.evaluation import NewEvaluation, Split
from tests.helpers.synth_cache import copy_of_holding
from tests.models import onnx_builders

HOLDING = "GBR-enclave"
USERS = {
    "nld-r": ("NLD", Role.RESEARCHER, Level.R3),
    "nld-r2": ("NLD", Role.RESEARCHER, Level.R3),  # no grant
    "usa-r": ("USA", Role.RESEARCHER, Level.R3),  # outside REL TO
    "gbr-s": ("GBR", Role.STEWARD, Level.R3),
    "gbr-s2": ("GBR", Role.STEWARD, Level.R3),
    "gbr-r": ("GBR", Role.RESEARCHER, Level.R3),
    "usa-s": ("USA", Role.STEWARD, Level.R3),
}
#: A valid detection spec for the world's models (object-detection).
METRICS: dict[str, object] = {"metrics": ["map50", "map50_95"]}


@dataclass
class EnclaveWorld:
    node: Node
    who: dict[str, Principal]
    grant: str
    model: str  # a detector in the registry, submitted by nld-r (NLD's)
    other_model: str  # the same detector submitted by usa-r: USA's, not shared

    def new(
        self,
        model: str | None = None,
        grant: str | None = None,
        holding: str = HOLDING,
        metrics: dict[str, object] | None = None,
        split: Split = Split.TEST,  # (the test split of this holding's four items is empty)
    ) -> NewEvaluation:
        spec = dict(METRICS if metrics is None else metrics)
        return NewEvaluation(model or self.model, holding, split, spec, grant or self.grant)

    def submit(self, user: str = "nld-r", **kw: Any) -> str:
        return self.node.evaluations.submit(self.who[user], self.new(**kw)).id


def _register(node: Node, who: Principal) -> str:
    """The tiny detector, through the real registry (card and admission gate) as ``who``."""
    card = onnx_builders.card_for("object-detection")
    return node.models.submit(who, onnx_builders.detector(), card, node.clock.now()).id


def build(node: Node, sources: Path, rel_to: str = "NLD,GBR") -> EnclaveWorld:
    for code in ("GBR", "NLD", "USA"):
        node.directory.add_administration(code, f"{code} customs")
    for name, (admin, role, level) in USERS.items():
        node.directory.add_user(name, admin=admin, roles=[role], clearance=level)
    who = {name: node.directory.user(name).principal() for name in USERS}
    copy_of_holding(sources / HOLDING, kind="parcel", count=4, seed=5, admin="GBR")
    publish_folder(
        node, sources / HOLDING, admin="GBR", holding_id=HOLDING, title="GBR enclave scans",
        description="", level="R2", marking="SENSITIVE", rel_to=rel_to, handling="enclave-only",
        discovery="releasable",
    )  # fmt: skip
    new = NewRequest(HOLDING, "score", PurposeCode.MODEL_EVALUATION, Mode.EVALUATION, 30)
    request = node.requests.create(who["nld-r"], new)
    granted = node.requests.approve(who["gbr-s"], request.id, Conditions(), "ok")
    assert granted.grant is not None, granted
    models = _register(node, who["nld-r"]), _register(node, who["usa-r"])
    return EnclaveWorld(node, who, granted.grant, *models)
