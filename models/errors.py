"""Exceptions of the model registry and the evaluation enclave.

    ModelsError           under ``access.errors.ClearanceError``, the one coded base
     ├── DatasetError     a holding version's object is not what an evaluation can read (the node's
     │                    own data: an internal failure, never shown beyond its outcome class)
     ├── OutputError      a model's outputs that are not what its card declares
     │                    (``models.postprocess``); reported as ``wrong-output`` only
     └── RecipeError      an input recipe the enclave cannot carry out (``models.preprocess``);
                          also a ``ValueError``

(Each module that raises adds its class here and draws it in this tree.) How each error answers
over HTTP is one row of the table in ``clearance/http/errors.py``. Messages are safe to show to
the caller: nothing from inside the sandbox (no log line, no stack trace, no per-image output)
ever goes into one.
"""

from __future__ import annotations

from access import ClearanceError

__all__ = ["DatasetError", "ModelsError", "OutputError", "RecipeError"]


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
