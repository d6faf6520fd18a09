"""Exceptions of the model registry and the evaluation enclave.

    ModelsError              under ``access.errors.ClearanceError``, the one coded base
     ├── RecipeError         an input recipe the enclave cannot carry out (``models.preprocess``);
     │                       also a ``ValueError``
     └── EvaluationError     the evaluation workflow (``models.evaluation``, ``_store``, ``worker``)
          ├── InvalidEvaluation    a submission, review or enclave policy that is malformed (400)
          ├── EvaluationNotFound   no such evaluation, model or holding, or one the caller may
          │                        not know of: one answer for all (404)
          ├── EvaluationConflict   the state does not allow it (a review of a job not awaiting
          │                        one, a bad transition) (409)
          ├── BudgetExhausted      the release budget of (administration, holding) is spent (409)
          └── LeaseLost            a worker's claim was taken over (its lease ran out): its
                                   result is dropped, never recorded twice (worker-side only)

(Each module that raises adds its class here and draws it in this tree.) How each error answers
over HTTP is one row of the table in ``clearance/http/errors.py``. Messages are safe to show to
the caller: nothing from inside the sandbox (no log line, no stack trace, no per-image output)
ever goes into one.
"""

from __future__ import annotations

from access import ClearanceError

__all__ = [
    "BudgetExhausted",
    "EvaluationConflict",
    "EvaluationError",
    "EvaluationNotFound",
    "InvalidEvaluation",
    "LeaseLost",
    "ModelsError",
    "RecipeError",
]


class ModelsError(ClearanceError):
    """Root of the model registry's and the enclave's errors."""

    code = "models-error"


class RecipeError(ModelsError, ValueError):
    """An input recipe the enclave cannot carry out; the message names the field."""

    code = "invalid-input-recipe"


class EvaluationError(ModelsError):
    code = "evaluation-error"


class InvalidEvaluation(EvaluationError):
    code = "invalid-evaluation"


class EvaluationNotFound(EvaluationError):
    code = "not-found"


class EvaluationConflict(EvaluationError):
    code = "evaluation-conflict"


class BudgetExhausted(EvaluationError):
    code = "budget-exhausted"


class LeaseLost(EvaluationError):
    code = "lease-lost"
