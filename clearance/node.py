"""Node wiring: the database, blob store, directory, access workflow and services in one ``Node``.

The composition root hands the ``Node`` to the app factory (``clearance.http.app``), the
commands and the publishing glue; it imports nothing of theirs, so no import cycle runs
through it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from access import (
    AuditLog,
    AuditReader,
    Clock,
    Directory,
    GrantService,
    RecipientKeyStore,
    RequestService,
    RequestStore,
    SystemClock,
)
from catalog import CatalogHoldings, PagingKey, load_paging_key
from clearance.database import open_database
from clearance.settings import Settings
from models import (
    DraftSigner,
    EvaluationRows,
    EvaluationStore,
    JobQueue,
    JobRunner,
    ModelRegistry,
    RegistryLookup,
)
from transfer import (
    BlobStore,
    EncryptedObjects,
    GrantThrottle,
    LocalBlobStore,
    ManifestStore,
    S3BlobStore,
    StorageKey,
    TransferService,
)
from transfer.uploads import UploadLimits, UploadStore

__all__ = ["Node", "open_blob_store", "open_node"]


@dataclass
class Node:
    """Everything a running node holds: the composition root hands it to routes and commands."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    directory: Directory
    blobs: BlobStore
    clock: Clock
    audit: AuditLog
    recipient_keys: RecipientKeyStore
    requests: RequestService
    grants: GrantService
    storage: StorageKey
    objects: EncryptedObjects
    manifests: ManifestStore
    transfer: TransferService
    uploads: UploadStore
    models: ModelRegistry
    evaluation_rows: EvaluationRows
    evaluations: EvaluationStore
    jobs: JobQueue
    audit_reader: AuditReader  # the audit log as auditors read it over HTTP
    paging: PagingKey  # keys/paging.key: the secret of the catalogue's paging tokens
    #: The evaluation pipeline a ``clearance worker`` runs jobs through (decrypt, preprocess,
    #: sandbox, metrics, release control, receipt). None until it is wired: the worker command
    #: then refuses to start rather than pretend to evaluate.
    job_runner: JobRunner | None = None


def open_blob_store(settings: Settings) -> BlobStore:
    """The local directory store in the data folder, or S3 when ``settings.s3`` is set."""
    s3 = settings.s3
    if s3 is None:
        return LocalBlobStore(settings.blob_dir)
    return S3BlobStore(
        s3.bucket,
        endpoint_url=s3.endpoint_url,
        region=s3.region,
        access_key=s3.access_key,
        secret_key=s3.secret_key,
        prefix=s3.prefix,
    )


def open_node(settings: Settings, clock: Clock | None = None) -> Node:
    settings.prepare()
    engine, sessions = open_database(settings.database_url)
    clock = clock or SystemClock()
    audit = AuditLog(sessions, settings.keys_dir, clock)
    directory = Directory(sessions, settings.keys_dir, clock, audit)
    holdings = CatalogHoldings(sessions)
    recipient_keys = RecipientKeyStore(sessions, audit, clock)
    request_store = RequestStore(sessions, holdings, audit, clock)
    grants = GrantService(request_store, directory, recipient_keys)
    requests = RequestService(request_store, grants, recipient_keys)
    blobs = open_blob_store(settings)
    storage = StorageKey(settings.keys_dir, settings.storage_passphrase)
    objects = EncryptedObjects(blobs, storage)
    manifests = ManifestStore(sessions, directory.trusted_keys)
    transfer_service = TransferService(
        sessions=sessions,
        objects=objects,
        manifests=manifests,
        directory=directory,
        grants=grants,
        documents=holdings,
        audit=audit,
        clock=clock,
        throttle=GrantThrottle(settings.grant_rate),
    )
    uploads = UploadStore(
        sessions, blobs, storage, audit, clock, settings.work_dir,
        UploadLimits(max_size=settings.upload_max_bytes),
    )  # fmt: skip
    evaluation_rows = EvaluationRows(
        sessions, audit, clock, signer=DraftSigner(directory.signing_key)
    )
    registry = ModelRegistry(sessions, audit)
    evaluations = EvaluationStore(evaluation_rows, holdings, grants, RegistryLookup(registry))
    jobs = JobQueue(evaluation_rows, holdings, grants, directory)
    return Node(
        audit_reader=AuditReader(sessions, audit, holdings, clock),
        evaluations=evaluations,
        jobs=jobs,
        settings=settings,
        engine=engine,
        sessions=sessions,
        directory=directory,
        blobs=blobs,
        clock=clock,
        audit=audit,
        recipient_keys=recipient_keys,
        requests=requests,
        grants=grants,
        storage=storage,
        objects=objects,
        manifests=manifests,
        transfer=transfer_service,
        uploads=uploads,
        models=registry,
        evaluation_rows=evaluation_rows,
        paging=load_paging_key(settings.keys_dir),
    )
