"""The few coarse outcome classes a failed evaluation reports, and nothing more.

A submitter learns which of these ended the job, never a log line, a stack trace or a per-image
output from the sandbox: each extra bit a failure returns is a channel out of the enclave.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Outcome"]


class Outcome(StrEnum):
    REFUSED_AT_ADMISSION = "refused-at-admission"  # the gate refused the model: no data touched
    RAN_OUT_OF_TIME = "ran-out-of-time"  # CPU-time or wall-clock limit
    RAN_OUT_OF_MEMORY = "ran-out-of-memory"  # the address-space limit
    WRONG_OUTPUT = "wrong-output"  # outputs not as declared (names, types, shapes, size)
    INTERNAL = "internal"  # anything else: the node's fault or an unclassified crash
