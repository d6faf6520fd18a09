"""The child's self-confinement, shown by a child that tries what a model could try if it could
run code: it is started exactly as the sandbox starts its child and calls ``confine`` first."""

from __future__ import annotations

import glob
import json
import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.sandbox import (
    SandboxLimits,
    child_environment,
    make_workdir,
    remove_workdir,
    start_child,
)

HOSTILE = Path(__file__).with_name("hostile_child.py")


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    yield server
    server.close()


@pytest.fixture
def key_files() -> Iterator[tuple[Path, Path]]:
    """A 0600 key in a 0700 folder, and a 0644 file in a 0755 folder as the control."""
    secret_dir = Path(tempfile.mkdtemp(prefix="clearance-keys-"))
    open_dir = Path(tempfile.mkdtemp(prefix="clearance-open-"))
    key, readable = secret_dir / "node.key", open_dir / "public.txt"
    key.write_bytes(b"secret key material")
    readable.write_bytes(b"public")
    key.chmod(0o600)
    readable.chmod(0o644)
    open_dir.chmod(0o755)
    assert oct(secret_dir.stat().st_mode & 0o777) == "0o700"
    yield key, readable
    for path in (key, readable):
        path.unlink()
    secret_dir.rmdir()
    open_dir.rmdir()


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid drop needs a root parent")
def test_every_escape_attempt_fails_under_confinement(
    listener: socket.socket,
    key_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key, readable = key_files
    monkeypatch.setenv("CLEARANCE_SIGNING_KEY", "do-not-leak")
    port = listener.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass  # the listener takes connections from outside the sandbox
    report = _run_hostile(key, readable, port)
    created = glob.glob("/tmp/clearance-hostile-*")
    for path in created:
        assert os.path.getsize(path) == 0  # RLIMIT_FSIZE 0: an empty name at most
        os.unlink(path)
    assert report["uid"] == 65534
    assert report["skipped"] == []
    assert report["readable"] == "succeeded"  # the control: the child does read what it may
    assert report["key"] == "failed: PermissionError"
    assert str(report["create_in_cwd"]).startswith("failed")
    assert str(report["write_in_tmp"]).startswith("failed")
    assert str(report["connect"]).startswith("failed")
    environment = set(report["environment"])  # type: ignore[call-overload]
    assert "CLEARANCE_SIGNING_KEY" not in environment
    # the child's own, plus the LC_CTYPE Python sets itself under the C locale (PEP 538)
    assert environment <= set(child_environment(1)) | {"LC_CTYPE"}


def _run_hostile(key: Path, readable: Path, port: int) -> dict[str, object]:
    workdir = make_workdir()
    try:
        command = (sys.executable, "-I", str(HOSTILE), str(key), str(readable), str(port))
        child = start_child(command, SandboxLimits(), "strict", workdir)
        assert child.stdin is not None
        out, _ = child.communicate(timeout=60)
        assert child.returncode == 0, out
        assert os.listdir(workdir) == []
    finally:
        remove_workdir(workdir)
    report: dict[str, object] = json.loads(out)
    return report


def test_a_non_root_worker_cannot_drop_privileges_so_strict_refuses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Unit check of the rule (a real non-root child cannot even read this root-owned venv):
    without root the uid cannot change, which strict isolation treats as a failed step."""
    from models import confine as confine_module
    from models.errors import ConfinementError

    monkeypatch.setattr(confine_module.os, "geteuid", lambda: 1000)
    with pytest.raises(ConfinementError, match="does not run as root"):
        confine_module.drop_privileges()
    skipped: list[str] = []
    confine_module._optional(confine_module.drop_privileges, False, skipped)
    assert skipped == ["drop_privileges"]
    with pytest.raises(ConfinementError):
        confine_module._optional(confine_module.drop_privileges, True, [])
