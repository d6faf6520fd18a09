"""Exceptions of the model registry and the evaluation enclave.

    ModelsError           under ``access.errors.ClearanceError``, the one coded base
     ├── CardInvalid      a model card that breaks the card contract or the MLM schema
     │                    (``models.card``); also a ``ValueError``; names the field
     ├── AdmissionRefused a model the admission gate refuses (``models.admission``); carries
     │                    the stable ``rule`` it broke
     ├── ModelNotFound    no such model, or one the caller may not see (the same answer)
     ├── DatasetError     a holding version's object is not what an evaluation can read (the node's
     │                    own data: an internal failure, never shown beyond its outcome class)
     ├── OutputError      a model's outputs that are not what its card declares
     │                    (``models.postprocess``); reported as ``wrong-output`` only
     ├── RecipeError      an input recipe the enclave cannot carry out (``models.preprocess``);
     │                    also a ``ValueError``
     ├── MetricSpecError  a metric spec that is not valid JSON of the agreed shape
     │                    (``models.metric_spec``); also a ``ValueError``
     ├── MetricInputError ground truth or model outputs the metrics cannot score
     │                    (``models.metrics``); also a ``ValueError``
     ├── ReleaseError     a release policy out of range (``models.release``); also a ``ValueError``
     ├── ReceiptInvalid   an evaluation receipt that does not verify; ``reason`` says which check
     ├── EvaluationError  the evaluation workflow (``models.evaluation``, ``_store``, ``worker``)
     │    ├── InvalidEvaluation    a submission, review or enclave policy that is malformed (400)
     │    ├── EvaluationNotFound   no such evaluation, model or holding, or one the caller may
     │    │                        not know of: one answer for all (404)
     │    ├── EvaluationConflict   the state does not allow it (a review of a job not awaiting
     │    │                        one, a bad transition) (409)
     │    ├── BudgetExhausted      the release budget of (administration, holding) is spent (409)
     │    └── LeaseLost            a worker's claim was taken over (its lease ran out): its
     │                             result is dropped, never recorded twice (worker-side only)
     ├── FrameError       a malformed or truncated frame on the sandbox pipe (``models.frames``)
     │    └── OutputMismatchError   well-formed, but not the declared outputs
     ├── ConfinementError a confinement step the sandbox child could not take
     │                    (``models.confine``; never leaves the child)
     └── SandboxFailure   an inference job that ended without results (``models.sandbox``):
                          carries one ``models.outcomes.Outcome`` and says only that

(Each module that raises adds its class here and draws it in this tree.) How each error answers
over HTTP is one row of the table in ``clearance/http/errors.py``. Messages are safe to show to
the caller: nothing from inside the sandbox (no log line, no stack trace, no per-image output)
ever goes into one.
"""

from __future__ import annotations

from access import ClearanceError
from models.outcomes import Outcome

__all__ = [
    "AdmissionRefused",
    "BudgetExhausted",
    "CardInvalid",
    "ConfinementError",
    "DatasetError",
    "EvaluationConflict",
    "EvaluationError",
    "EvaluationNotFound",
    "FrameError",
    "InvalidEvaluation",
    "LeaseLost",
    "MetricInputError",
    "MetricSpecError",
    "ModelNotFound",
    "ModelsError",
    "OutputError",
    "OutputMismatchError",
    "ReceiptInvalid",
    "RecipeError",
    "ReleaseError",
    "SandboxFailure",
]


class ModelsError(ClearanceError):
    """Root of the model registry's and the enclave's errors."""

    code = "models-error"


class RecipeError(ModelsError, ValueError):
    """An input recipe the enclave cannot carry out; the message names the field."""

    code = "invalid-input-recipe"


class DatasetError(ModelsError):
    """A stored object an evaluation cannot read; the job fails as ``internal``."""

    code = "dataset-unreadable"


class OutputError(ModelsError):
    """Model outputs that break the card's contract; the job fails as ``wrong-output``."""

    code = "wrong-output"


class MetricSpecError(ModelsError, ValueError):
    """A metric spec that is not what ``models.metric_spec`` accepts; the message names the rule."""

    code = "invalid-metric-spec"


class MetricInputError(ModelsError, ValueError):
    """Ground truth or model outputs the metrics cannot score; the message names the rule."""

    code = "invalid-metric-input"


class ReleaseError(ModelsError, ValueError):
    """A release policy out of its range; the message names the setting."""

    code = "invalid-release-policy"


class ReceiptInvalid(ModelsError):
    """An evaluation receipt that does not verify. ``reason`` is a short machine word
    (``malformed``, ``payload-type``, ``unknown-key``, ``bad-signature``, ``statement``,
    ``predicate``, ``issuer``); the message says what was wrong, never echoing the input."""

    code = "receipt-invalid"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class FrameError(ModelsError):
    """A frame on the sandbox pipe that is malformed or ends early; never shown to a submitter."""

    code = "malformed-frame"


class OutputMismatchError(FrameError):
    """A well-formed tensor frame whose outputs are not the declared ones (names, types, size)."""

    code = "output-mismatch"


class ConfinementError(ModelsError):
    """A confinement step (rlimit, namespace, uid drop) failed in the sandbox child."""

    code = "confinement-failed"


class SandboxFailure(ModelsError):
    """An inference job that ended without results. The message is the outcome and nothing more:
    no text from the child, whose every byte is untrusted, goes into it."""

    code = "evaluation-failed"

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(str(outcome))
        self.outcome = outcome


class EvaluationError(ModelsError):
    code = "evaluation-error"


class InvalidEvaluation(EvaluationError):
    code = "invalid-evaluation"


class EvaluationNotFound(EvaluationError):
    code = "not-found"


class EvaluationConflict(EvaluationError):
    code = "evaluation-conflict"


class BudgetExhausted(EvaluationError):
    """The release budget of an (administration, holding) is spent: nothing more is released."""

    code = "release-budget-exhausted"

    def __init__(self, total: int, spent: int) -> None:
        super().__init__(f"the release budget is spent ({spent} of {total}); nothing is released")
        self.total = total
        self.spent = spent


class LeaseLost(EvaluationError):
    code = "lease-lost"


class CardInvalid(ModelsError, ValueError):
    """A model card that breaks the card contract or the MLM schema; the message names the field."""

    code = "invalid-model-card"


class AdmissionRefused(ModelsError):
    """The admission gate refused a model: ``rule`` is the stable id of the rule it broke
    (the rules table in docs/enclave.md), the message says what was wrong."""

    code = "model-refused"

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule


class ModelNotFound(ModelsError):
    """No such model, or one the caller may not see: the two are one answer."""

    code = "model-not-found"

    def __init__(self, message: str = "no such model") -> None:
        super().__init__(message)
