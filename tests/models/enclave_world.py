"""A node with an enclave-only GBR holding, a NLD researcher holding an evaluate grant on it,
GBR stewards, and an in-memory model registry (the real one binds at integration)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from access.policy import Principal
from access.request_states import Conditions, Mode, NewRequest, PurposeCode
from access.vocabulary import Level, Role
from catalog.synth import generate_holding
from clearance.node import Node
from clearance.publishing.folder import publish_folder
from models.evaluation import NewEvaluation, Split
from models.evaluation_store import ModelInfo

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
MODEL = ModelInfo("mdl-demo", "ab" * 32, owner="NLD", shared_with=frozenset(), task="detection")
OTHER_MODEL = ModelInfo("mdl-usa", "cd" * 32, owner="USA", shared_with=frozenset(), task="x")


@dataclass
class InMemoryModels:
    known: dict[str, ModelInfo] = field(
        default_factory=lambda: {MODEL.id: MODEL, OTHER_MODEL.id: OTHER_MODEL}
    )

    def get(self, model_id: str) -> ModelInfo | None:
        return self.known.get(model_id)


@dataclass
class EnclaveWorld:
    node: Node
    who: dict[str, Principal]
    grant: str

    def new(self, model: str = MODEL.id, grant: str | None = None, **kw: object) -> NewEvaluation:
        return NewEvaluation(model, str(kw.get("holding", HOLDING)), Split.TEST,
                             {"iou": [0.5]}, grant or self.grant)  # fmt: skip

    def submit(self, user: str = "nld-r", **kw: object) -> str:
        return self.node.evaluations.submit(self.who[user], self.new(**kw)).id  # type: ignore[arg-type]


def build(node: Node, sources: Path, rel_to: str = "NLD,GBR") -> EnclaveWorld:
    for code in ("GBR", "NLD", "USA"):
        node.directory.add_administration(code, f"{code} customs")
    for name, (admin, role, level) in USERS.items():
        node.directory.add_user(name, admin=admin, roles=[role], clearance=level)
    who = {name: node.directory.user(name).principal() for name in USERS}
    generate_holding(sources / HOLDING, kind="parcel", count=4, seed=5, admin="GBR")
    publish_folder(
        node, sources / HOLDING, admin="GBR", holding_id=HOLDING, title="GBR enclave scans",
        description="", level="R2", marking="SENSITIVE", rel_to=rel_to, handling="enclave-only",
        discovery="releasable",
    )  # fmt: skip
    new = NewRequest(HOLDING, "score", PurposeCode.MODEL_EVALUATION, Mode.EVALUATION, 30)
    request = node.requests.create(who["nld-r"], new)
    granted = node.requests.approve(who["gbr-s"], request.id, Conditions(), "ok")
    assert granted.grant is not None, granted
    node.bind_models(InMemoryModels())
    return EnclaveWorld(node, who, granted.grant)
