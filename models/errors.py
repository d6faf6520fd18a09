"""Exceptions of the model registry and the evaluation enclave.

    ModelsError           under ``access.errors.ClearanceError``, the one coded base
     ├── RecipeError      an input recipe the enclave cannot carry out (``models.preprocess``);
     │                    also a ``ValueError``
     ├── CardInvalid      a model card that breaks the card contract or the MLM schema
     │                    (``models.card``); also a ``ValueError``; names the field
     ├── AdmissionRefused a model the admission gate refuses (``models.admission``); carries
     │                    the stable ``rule`` it broke
     └── ModelNotFound    no such model, or one the caller may not see (the same answer)

(Each module that raises adds its class here and draws it in this tree.) How each error answers
over HTTP is one row of the table in ``clearance/http/errors.py``. Messages are safe to show to
the caller: nothing from inside the sandbox (no log line, no stack trace, no per-image output)
ever goes into one.
"""

from __future__ import annotations

from access import ClearanceError

__all__ = ["AdmissionRefused", "CardInvalid", "ModelNotFound", "ModelsError", "RecipeError"]


class ModelsError(ClearanceError):
    """Root of the model registry's and the enclave's errors."""

    code = "models-error"


class RecipeError(ModelsError, ValueError):
    """An input recipe the enclave cannot carry out; the message names the field."""

    code = "invalid-input-recipe"


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
