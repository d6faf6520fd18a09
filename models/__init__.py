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
    from models.errors import MetricInputError as MetricInputError
    from models.errors import MetricSpecError as MetricSpecError
    from models.errors import ModelsError as ModelsError
    from models.errors import ReceiptInvalid as ReceiptInvalid
    from models.errors import RecipeError as RecipeError
    from models.errors import ReleaseError as ReleaseError
    from models.receipts import unverified_issuer as unverified_issuer
    from models.receipts import verify_receipt as verify_receipt

_LAZY: dict[str, str] = {
    "BudgetExhausted": "models.errors",
    "MetricInputError": "models.errors",
    "MetricSpecError": "models.errors",
    "ModelsError": "models.errors",
    "ReceiptInvalid": "models.errors",
    "RecipeError": "models.errors",
    "ReleaseError": "models.errors",
    "unverified_issuer": "models.receipts",
    "verify_receipt": "models.receipts",
}

__all__ = sorted(_LAZY)

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_face(__name__, _LAZY, globals(), __all__)

# --- end of the public face ---
