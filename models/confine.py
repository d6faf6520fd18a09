"""What the sandbox child does to itself before it reads a model: thin wrappers over syscalls.

``confine`` runs them in two phases around ``preload`` (the import of trusted code, chiefly
onnxruntime): first the resource limits, closing inherited descriptors, ``PR_SET_NO_NEW_PRIVS``
and a fresh network namespace; then the drop to ``nobody``. The imports come between because the
interpreter may live where ``nobody`` cannot read (here under a 0700 ``/root``); importing trusted
code as root is safe, and the model's bytes are read only after both phases. Nothing here
allocates much or writes anything, and the environment is the parent's business (it starts the
child with a minimal one).

Python 3.11 has no ``os.unshare`` and no ``prctl``, hence ``ctypes`` on the C library.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
from collections.abc import Callable
from typing import Final, TypeVar

from models.errors import ConfinementError

__all__ = [
    "NOBODY",
    "ConfinementError",
    "close_inherited_fds",
    "confine",
    "drop_privileges",
    "no_new_privileges",
    "set_limits",
    "unshare_network",
]

NOBODY: Final = 65534
OPEN_FILES: Final = 32  # the two pipes, stderr and what onnxruntime opens while loading
_PR_SET_NO_NEW_PRIVS: Final = 38
_CLONE_NEWUSER: Final = 0x10000000
_CLONE_NEWNET: Final = 0x40000000

T = TypeVar("T")


def _libc_call(name: str, *args: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        raise ConfinementError(f"{name} failed: {os.strerror(ctypes.get_errno())}")


def _limit(kind: int, value: int) -> None:
    try:
        resource.setrlimit(kind, (value, value))
    except (OSError, ValueError) as exc:
        raise ConfinementError(f"setrlimit {kind} failed: {exc.__class__.__name__}") from None


def set_limits(memory_bytes: int, cpu_seconds: int) -> None:
    """Address space, CPU time (soft; SIGKILL a second later), no file writes, few descriptors,
    no core dumps."""
    _limit(resource.RLIMIT_AS, memory_bytes)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    except (OSError, ValueError):
        raise ConfinementError("setrlimit RLIMIT_CPU failed") from None
    _limit(resource.RLIMIT_FSIZE, 0)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, not kills
    _limit(resource.RLIMIT_NOFILE, OPEN_FILES)
    _limit(resource.RLIMIT_CORE, 0)


def close_inherited_fds(keep: int = 3) -> None:
    """Close every descriptor from ``keep`` up (the parent passes only stdin, stdout, stderr)."""
    os.closerange(keep, resource.getrlimit(resource.RLIMIT_NOFILE)[0])


def no_new_privileges() -> None:
    """No exec from here on can gain privileges (setuid binaries, file capabilities)."""
    _libc_call("prctl", _PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def unshare_network() -> None:
    """A fresh network namespace holding only a down loopback: no route anywhere. Root may make
    one directly; anyone else needs a user namespace around it."""
    flags = _CLONE_NEWNET if os.geteuid() == 0 else _CLONE_NEWUSER | _CLONE_NEWNET
    _libc_call("unshare", flags)


def drop_privileges(uid: int = NOBODY, gid: int = NOBODY) -> None:
    """As root, become ``nobody`` (no supplementary groups), so 0600 key files and 0700 data
    folders are out of reach. A non-root child cannot change its uid and would keep reading what
    the worker reads (the node's keys among it): that is a failed step, so strict isolation
    refuses to run and relaxed isolation goes on without it."""
    if os.geteuid() != 0:
        raise ConfinementError("privilege drop impossible: the worker does not run as root")
    try:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    except OSError as exc:
        raise ConfinementError(f"privilege drop failed: {os.strerror(exc.errno or 0)}") from None
    if os.geteuid() == 0 or os.getegid() == 0:
        raise ConfinementError("privilege drop failed: still root")


def _optional(step: Callable[[], None], strict: bool, skipped: list[str]) -> None:
    try:
        step()
    except ConfinementError:
        if strict:
            raise
        skipped.append(step.__name__)


def confine(
    memory_bytes: int, cpu_seconds: int, *, strict: bool, preload: Callable[[], T]
) -> tuple[T, list[str]]:
    """Confine this process; returns what ``preload`` returned and the steps skipped.

    Limits always hold (their failure raises in both modes). With ``strict`` false (the
    operator's "relaxed" isolation) a failed namespace or privilege drop is skipped instead."""
    set_limits(memory_bytes, cpu_seconds)
    close_inherited_fds()
    skipped: list[str] = []
    _optional(no_new_privileges, strict, skipped)
    _optional(unshare_network, strict, skipped)
    loaded = preload()
    _optional(drop_privileges, strict, skipped)
    return loaded, skipped
