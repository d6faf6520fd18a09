"""The web pages' application: mounted at ``/ui`` by ``clearance.http.app``.

A sub-application of its own, so its answers are HTML pages (its own error handlers) under its
own headers (``headers.SecurityHeaders``), while the data comes from the node's services and
``access.policy.decide``, exactly as for the API.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from access import LoginThrottle
from clearance.node import Node
from clearance.web.errors import install_page_errors
from clearance.web.headers import SecurityHeaders
from clearance.web.routes import (
    access_pages,
    audit_pages,
    auth,
    catalog_pages,
    model_pages,
    viewer_pages,
)
from clearance.web.session import SessionCodec, load_session_key
from clearance.web.templating import install_filters

__all__ = ["create_web_app"]

_HERE = Path(str(resources.files("clearance.web")))


def create_web_app(node: Node, login_throttle: LoginThrottle) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.node = node
    app.state.login_throttle = login_throttle
    app.state.codec = SessionCodec(load_session_key(node.settings.keys_dir))
    environment = Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    install_filters(environment)
    app.state.templates = environment
    app.add_middleware(SecurityHeaders)
    install_page_errors(app)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    for module in (auth, access_pages, catalog_pages, audit_pages, viewer_pages, model_pages):
        app.include_router(module.router)
    return app
