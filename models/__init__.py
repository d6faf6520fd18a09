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
    from models.errors import BudgetExhausted as BudgetExhausted
    from models.errors import EvaluationConflict as EvaluationConflict
    from models.errors import EvaluationError as EvaluationError
    from models.errors import EvaluationNotFound as EvaluationNotFound
    from models.errors import InvalidEvaluation as InvalidEvaluation
    from models.errors import LeaseLost as LeaseLost
    from models.errors import MetricInputError as MetricInputError
    from models.errors import MetricSpecError as MetricSpecError
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
    from models.evaluation_queue import Claim as Claim
    from models.evaluation_queue import Job as Job
    from models.evaluation_queue import JobQueue as JobQueue
    from models.evaluation_rows import EvaluationRows as EvaluationRows
    from models.evaluation_store import EvaluationStore as EvaluationStore
    from models.evaluation_store import ModelInfo as ModelInfo
    from models.evaluation_store import ModelLookup as ModelLookup
    from models.evaluation_store import UnwiredModels as UnwiredModels
    from models.outcomes import Outcome as Outcome
    from models.receipts import unverified_issuer as unverified_issuer
    from models.receipts import verify_receipt as verify_receipt
    from models.worker import JobRunner as JobRunner
    from models.worker import Worker as Worker

_LAZY: dict[str, str] = {
    "BudgetExhausted": "models.errors",
    "Claim": "models.evaluation_queue",
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
    "MetricInputError": "models.errors",
    "MetricSpecError": "models.errors",
    "ModelInfo": "models.evaluation_store",
    "ModelLookup": "models.evaluation_store",
    "ModelsError": "models.errors",
    "NewEvaluation": "models.evaluation",
    "Outcome": "models.outcomes",
    "ReceiptInvalid": "models.errors",
    "RecipeError": "models.errors",
    "ReleaseError": "models.errors",
    "Released": "models.evaluation",
    "UnwiredModels": "models.evaluation_store",
    "Worker": "models.worker",
    "unverified_issuer": "models.receipts",
    "verify_receipt": "models.receipts",
}

__all__ = sorted(_LAZY)

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_face(__name__, _LAZY, globals(), __all__)

# --- end of the public face ---
