"""The application factory: a ``Node`` behind FastAPI, with the error table and every router."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

import access.routes.audit
import access.routes.directory
import access.routes.requests
import catalog.routes
import models.evaluation_routes
import models.routes
import transfer.routes
from access.guard import HeadAsGet
from clearance.http import health, upload_routes
from clearance.http.api_docs import install_api_docs
from clearance.http.errors import install_error_handlers
from clearance.node import Node
from clearance.web.app import create_web_app

__all__ = ["create_app"]


def create_app(node: Node) -> FastAPI:
    app = FastAPI(
        title="Clearance",
        version="0.1.0",
        description="Secure cross-agency catalogue of annotated customs X-ray holdings (STAC API).",
        openapi_url=None,  # /api and /api.html: clearance.http.api_docs
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = node.settings
    app.state.sessions = node.sessions
    app.state.directory = node.directory
    app.state.clock = node.clock
    app.state.blobs = node.blobs
    app.state.recipient_keys = node.recipient_keys
    app.state.requests = node.requests
    app.state.grants = node.grants
    app.state.transfer = node.transfer
    app.state.uploads = node.uploads
    app.state.models = node.models
    app.state.node = node
    app.state.paging = node.paging
    app.state.audit_reader = node.audit_reader
    app.state.body_limits = node.settings.limits.body_limits()
    app.state.login_throttle = node.settings.limits.login_throttle()
    app.add_middleware(HeadAsGet)
    if node.settings.cors_origins:
        # Outermost, so a preflight is answered before anything else runs, and error answers
        # carry the CORS headers too (a browser could not read the 401 otherwise).
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(node.settings.cors_origins),
            allow_credentials=False,  # bearer tokens in a header, never cookies cross-origin
            allow_methods=["GET", "HEAD", "POST", "PUT", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Range", "Upload-Offset"],
            expose_headers=["Content-Range", "Retry-After", "WWW-Authenticate", "Upload-Offset"],
            max_age=600,
        )
    install_error_handlers(app)
    install_api_docs(app)
    app.include_router(health.router)
    app.include_router(catalog.routes.router)
    app.include_router(access.routes.directory.router)
    app.include_router(access.routes.requests.router)
    app.include_router(access.routes.audit.router)
    app.include_router(transfer.routes.router)
    app.include_router(upload_routes.router)
    app.include_router(models.evaluation_routes.router)
    app.include_router(models.routes.router)
    # The web pages (issue 13): a sub-application with its own HTML errors and headers.
    app.mount("/ui", create_web_app(node, app.state.login_throttle))
    return app
