"""Exceptions of the clearance package: what the client side runs into (the node side raises the
lower packages' errors, and ``clearance/http/errors.py`` maps those to HTTP).

    ClientSideError       under ``access.errors.ClearanceError``, the one coded base
     ├── ClientError       the node answered with an error, or could not be reached
     │                     (``clearance.client.http``); ``status``, ``code``, ``headers``
     ├── PullError         a pull cannot go on (``clearance.client.pull``); ``code`` is the node's
     │                     or our own
     ├── Failure           a command failed (``clearance.cli.errors``, also a click exception):
     │                     ``error: …``, ``hint: …``, exit 1
     ├── Usage             a command given wrongly (also click's UsageError): exit 2
     └── ContainerError    the image's entry point cannot start with these settings or key
                           bundles (``clearance.container``); names no secret

Messages are shown to the user as they are.
"""

from __future__ import annotations

from access import ClearanceError

__all__ = ["ClientSideError"]


class ClientSideError(ClearanceError):
    """Root of the clearance package's errors."""

    code = "client-error"
