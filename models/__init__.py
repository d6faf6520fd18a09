"""ML model registry and the evaluation enclave (submission, admission, sandbox, metrics, release).

Public face. Other packages import from ``models`` only; its modules are private by convention.
The names load on first use (PEP 562), so importing one name does not load the rest (a client
command importing an error does not load onnxruntime, SQLAlchemy or FastAPI).

Exceptions: see ``models.errors``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from access import lazy_face

# --- public face: a name another package needs goes here (and into __all__) ---
if TYPE_CHECKING:
    from models.admission import AdmissionLimits as AdmissionLimits
    from models.admission import AdmittedModel as AdmittedModel
    from models.admission import admit as admit
    from models.card import ClassSpec as ClassSpec
    from models.card import ModelCard as ModelCard
    from models.card import OutputSpec as OutputSpec
    from models.card import parse_card as parse_card
    from models.errors import AdmissionRefused as AdmissionRefused
    from models.errors import CardInvalid as CardInvalid
    from models.errors import ModelNotFound as ModelNotFound
    from models.errors import ModelsError as ModelsError
    from models.errors import RecipeError as RecipeError
    from models.limits import MAX_CARD_BYTES as MAX_CARD_BYTES
    from models.limits import MAX_MODEL_BYTES as MAX_MODEL_BYTES
    from models.registry_store import ModelRecord as ModelRecord
    from models.registry_store import ModelRegistry as ModelRegistry

_LAZY: dict[str, str] = {
    "AdmissionLimits": "models.admission",
    "MAX_CARD_BYTES": "models.limits",
    "MAX_MODEL_BYTES": "models.limits",
    "AdmissionRefused": "models.errors",
    "AdmittedModel": "models.admission",
    "CardInvalid": "models.errors",
    "ClassSpec": "models.card",
    "ModelCard": "models.card",
    "ModelNotFound": "models.errors",
    "ModelRecord": "models.registry_store",
    "ModelRegistry": "models.registry_store",
    "ModelsError": "models.errors",
    "OutputSpec": "models.card",
    "RecipeError": "models.errors",
    "admit": "models.admission",
    "parse_card": "models.card",
}

__all__ = sorted(_LAZY)

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_face(__name__, _LAZY, globals(), __all__)

# --- end of the public face ---
