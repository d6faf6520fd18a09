"""Node wiring of the evaluation pipeline a ``clearance worker`` runs jobs through.

Built on first use by the worker command (not by ``open_node``): the API replicas never run a
model, so they need neither the sandbox nor the scoring libraries loaded.
"""

from __future__ import annotations

from clearance.node import Node
from models import EnclaveRunner, JobRunner, RegistryLookup, SandboxLimits
from transfer import Manifest

__all__ = ["enclave_runner", "sandbox_limits"]


class _Versions:
    """A holding version's verified manifest and its hash, from the node's manifest store."""

    def __init__(self, node: Node) -> None:
        self._manifests = node.manifests

    def manifest(self, holding_id: str, version: int) -> tuple[Manifest, str] | None:
        stored = self._manifests.get(holding_id, version)
        return None if stored is None else (stored.manifest, stored.sha256)


def sandbox_limits(node: Node) -> SandboxLimits:
    """The sandbox limits the node's settings ask for (``CLEARANCE_ENCLAVE_*``)."""
    enclave = node.settings.enclave
    return SandboxLimits(
        memory_bytes=enclave.memory_mib << 20,
        cpu_seconds=enclave.cpu_seconds,
        wall_seconds=float(enclave.wall_seconds),
        threads=enclave.threads,
    )


def enclave_runner(node: Node, limits: SandboxLimits | None = None) -> JobRunner:
    """The real pipeline: decrypt in memory, preprocess, sandbox, metrics, release control."""
    enclave = node.settings.enclave
    return EnclaveRunner(
        models=RegistryLookup(node.models),
        holdings=_Versions(node),
        read=node.objects.read_verified,
        granted_items=node.grants.granted_items,
        policy_of=node.evaluation_rows.policy_now,
        clock=node.clock,
        limits=limits or sandbox_limits(node),
        admission=node.models.limits,
        isolation="relaxed" if enclave.isolation == "relaxed" else "strict",
    )
