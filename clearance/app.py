"""The application factory: wires settings, database, services and routers together."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

import access.api
import access.workflow_api
import catalog.api
from access.audit import AuditLog
from access.clock import Clock, SystemClock
from access.directory import Directory
from access.workflow import Workflow
from catalog.holdings import CatalogHoldings
from clearance.database import open_database
from clearance.errors import install_error_handlers
from clearance.settings import Settings
from transfer.blobstore import LocalBlobStore

__all__ = ["Node", "create_app", "open_node"]


@dataclass
class Node:
    """Everything a running node holds: the composition root hands it to routes and commands."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    directory: Directory
    blobs: LocalBlobStore
    clock: Clock
    audit: AuditLog
    workflow: Workflow


def open_node(settings: Settings, clock: Clock | None = None) -> Node:
    settings.prepare()
    engine, sessions = open_database(settings.database_url)
    clock = clock or SystemClock()
    directory = Directory(sessions, settings.keys_dir, clock)
    audit = AuditLog(sessions, settings.keys_dir, clock)
    return Node(
        settings=settings,
        engine=engine,
        sessions=sessions,
        directory=directory,
        blobs=LocalBlobStore(settings.blob_dir),
        clock=clock,
        audit=audit,
        workflow=Workflow(sessions, directory, CatalogHoldings(sessions), audit, clock),
    )


def create_app(node: Node) -> FastAPI:
    app = FastAPI(
        title="Clearance",
        version="0.1.0",
        description="Secure cross-agency catalogue of annotated customs X-ray holdings (STAC API).",
        openapi_url="/api",
        docs_url="/api.html",
        redoc_url=None,
    )
    app.state.settings = node.settings
    app.state.sessions = node.sessions
    app.state.directory = node.directory
    app.state.clock = node.clock
    app.state.blobs = node.blobs
    app.state.workflow = node.workflow
    install_error_handlers(app)
    app.include_router(catalog.api.router)
    app.include_router(access.api.router)
    app.include_router(access.workflow_api.router)
    return app
