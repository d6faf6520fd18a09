"""Exceptions of the model registry and the evaluation enclave.

    ModelsError           under ``access.errors.ClearanceError``, the one coded base
     ├── RecipeError      an input recipe the enclave cannot carry out (``models.preprocess``);
     │                    also a ``ValueError``
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
    "ConfinementError",
    "FrameError",
    "ModelsError",
    "OutputMismatchError",
    "RecipeError",
    "SandboxFailure",
]


class ModelsError(ClearanceError):
    """Root of the model registry's and the enclave's errors."""

    code = "models-error"


class RecipeError(ModelsError, ValueError):
    """An input recipe the enclave cannot carry out; the message names the field."""

    code = "invalid-input-recipe"


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
