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
    from models.dataset import EvalScan as EvalScan
    from models.dataset import load_scans as load_scans
    from models.demo_hostile import custom_op_detector as custom_op_detector
    from models.demo_hostile import looping_detector as looping_detector
    from models.demo_training import write_demo_models as write_demo_models
    from models.enclave_runner import EnclaveRunner as EnclaveRunner
    from models.enclave_runner import StoredModel as StoredModel
    from models.errors import AdmissionRefused as AdmissionRefused
    from models.errors import BudgetExhausted as BudgetExhausted
    from models.errors import CardInvalid as CardInvalid
    from models.errors import EvaluationConflict as EvaluationConflict
    from models.errors import EvaluationError as EvaluationError
    from models.errors import EvaluationNotFound as EvaluationNotFound
    from models.errors import InvalidEvaluation as InvalidEvaluation
    from models.errors import LeaseLost as LeaseLost
    from models.errors import MetricInputError as MetricInputError
    from models.errors import MetricSpecError as MetricSpecError
    from models.errors import ModelNotFound as ModelNotFound
    from models.errors import ModelsError as ModelsError
    from models.errors import ReceiptInvalid as ReceiptInvalid
    from models.errors import RecipeError as RecipeError
    from models.errors import ReleaseError as ReleaseError
    from models.evaluation import EnclavePolicy as EnclavePolicy
    from models.evaluation import EvaluationState as EvaluationState
    from models.evaluation import Failed as Failed
    from models.evaluation import JobResult as JobResult
    from models.evaluation import NewEvaluation as NewEvaluation
    from models.evaluation import Released as Released
    from models.evaluation import Split as Split
    from models.evaluation_queue import Claim as Claim
    from models.evaluation_queue import Job as Job
    from models.evaluation_queue import JobQueue as JobQueue
    from models.evaluation_rows import EvaluationRows as EvaluationRows
    from models.evaluation_store import EvaluationStore as EvaluationStore
    from models.evaluation_store import ModelInfo as ModelInfo
    from models.evaluation_store import ModelLookup as ModelLookup
    from models.limits import MAX_CARD_BYTES as MAX_CARD_BYTES
    from models.limits import MAX_MODEL_BYTES as MAX_MODEL_BYTES
    from models.outcomes import Outcome as Outcome
    from models.receipts import DraftSigner as DraftSigner
    from models.receipts import unverified_issuer as unverified_issuer
    from models.receipts import verify_receipt as verify_receipt
    from models.registry_lookup import RegistryLookup as RegistryLookup
    from models.registry_store import ModelRecord as ModelRecord
    from models.registry_store import ModelRegistry as ModelRegistry
    from models.sandbox import SandboxLimits as SandboxLimits
    from models.worker import JobRunner as JobRunner
    from models.worker import Worker as Worker

_LAZY: dict[str, str] = {
    "EvalScan": "models.dataset",
    "load_scans": "models.dataset",
    "Split": "models.evaluation",
    "looping_detector": "models.demo_hostile",
    "custom_op_detector": "models.demo_hostile",
    "write_demo_models": "models.demo_training",
    "SandboxLimits": "models.sandbox",
    "StoredModel": "models.enclave_runner",
    "EnclaveRunner": "models.enclave_runner",
    "RegistryLookup": "models.registry_lookup",
    "DraftSigner": "models.receipts",
    "AdmissionLimits": "models.admission",
    "AdmissionRefused": "models.errors",
    "AdmittedModel": "models.admission",
    "BudgetExhausted": "models.errors",
    "CardInvalid": "models.errors",
    "Claim": "models.evaluation_queue",
    "ClassSpec": "models.card",
    "EnclavePolicy": "models.evaluation",
    "EvaluationConflict": "models.errors",
    "EvaluationError": "models.errors",
    "EvaluationNotFound": "models.errors",
    "EvaluationRows": "models.evaluation_rows",
    "EvaluationState": "models.evaluation",
    "EvaluationStore": "models.evaluation_store",
    "Failed": "models.evaluation",
    "InvalidEvaluation": "models.errors",
    "Job": "models.evaluation_queue",
    "JobQueue": "models.evaluation_queue",
    "JobResult": "models.evaluation",
    "JobRunner": "models.worker",
    "LeaseLost": "models.errors",
    "MAX_CARD_BYTES": "models.limits",
    "MAX_MODEL_BYTES": "models.limits",
    "MetricInputError": "models.errors",
    "MetricSpecError": "models.errors",
    "ModelCard": "models.card",
    "ModelInfo": "models.evaluation_store",
    "ModelLookup": "models.evaluation_store",
    "ModelNotFound": "models.errors",
    "ModelRecord": "models.registry_store",
    "ModelRegistry": "models.registry_store",
    "ModelsError": "models.errors",
    "NewEvaluation": "models.evaluation",
    "Outcome": "models.outcomes",
    "OutputSpec": "models.card",
    "ReceiptInvalid": "models.errors",
    "RecipeError": "models.errors",
    "ReleaseError": "models.errors",
    "Released": "models.evaluation",
    "Worker": "models.worker",
    "admit": "models.admission",
    "parse_card": "models.card",
    "unverified_issuer": "models.receipts",
    "verify_receipt": "models.receipts",
}

__all__ = sorted(_LAZY)

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_face(__name__, _LAZY, globals(), __all__)

# --- end of the public face ---
