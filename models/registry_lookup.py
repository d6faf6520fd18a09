"""The model registry as the enclave reads it: who may see a model, and its bytes and card.

``EvaluationStore`` decides on a ``ModelInfo`` (owner, shares, task) before a submission is
stored; the runner loads the bytes and card of the model the job pinned. Neither checks a caller
here: both run after the policy decided.
"""

from __future__ import annotations

from models.enclave_runner import StoredModel
from models.errors import ModelNotFound
from models.evaluation_store import ModelInfo
from models.registry_store import ModelRegistry

__all__ = ["RegistryLookup"]


class RegistryLookup:
    def __init__(self, registry: ModelRegistry) -> None:
        self._registry = registry

    def get(self, model_id: str) -> ModelInfo | None:
        record = self._registry.record(model_id)
        if record is None:
            return None
        return ModelInfo(
            record.id, record.sha256, record.owner, frozenset(record.shared_with), record.task
        )

    def load(self, model_id: str) -> StoredModel | None:
        record = self._registry.record(model_id)
        if record is None:
            return None
        try:
            data = self._registry.bytes_of(model_id)
        except ModelNotFound:
            return None
        return StoredModel(data, record.item["properties"], record.name)
