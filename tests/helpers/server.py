"""Run an app under a real uvicorn server on a free loopback port, in a background thread."""

from __future__ import annotations

from clearance.http.serving import free_port
from clearance.http.serving import serve_in_thread as serve

__all__ = ["free_port", "serve"]
