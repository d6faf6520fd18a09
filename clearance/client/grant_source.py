"""What ``clearance pull GRANT`` accepts: a grant token, a file holding one, a grant id, or the id
of the access request the grant was issued for.

Ids are looked up on the node as the logged-in user (``clearance login``, or ``--token``): a
request id gives its grant id once the request is granted, a grant id gives its token (which the
node hands to the grant's subject alone). Whatever the form, ``pull`` verifies the token against
the owner's keys before it downloads anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from clearance.client.http import ClientError, NodeClient
from clearance.client.pull import read_grant

__all__ = ["GRANT_ID", "REQUEST_ID", "resolve_grant", "wait_for_decision"]

REQUEST_ID = re.compile(r"req-[0-9a-f]{16}")
GRANT_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
#: Request states that end the wait: a decision has been taken (or the request is over).
DECIDED = frozenset(
    {"granted", "refused", "withdrawn", "expired", "revoked"}
)  # approved states turn into granted in the same transaction


def resolve_grant(value: str, node: Callable[[], NodeClient]) -> str:
    """The grant token ``value`` names; ``node()`` is asked only for an id."""
    given = read_grant(value)
    if _JWT.fullmatch(given):
        return given
    if REQUEST_ID.fullmatch(given):
        request = node().call("GET", f"/access/requests/{given}")
        jti = request.get("grant")
        if request.get("state") != "granted" or not isinstance(jti, str):
            raise ClientError(
                409,
                "no-grant",
                f"request {given} is {request.get('state', 'unknown')}: it has no grant to pull",
                hint=f"see it with `clearance request show {given}`",
            )
        given = jti
    if GRANT_ID.fullmatch(given):
        token = node().call("GET", f"/access/grants/{given}").get("token")
        if isinstance(token, str) and _JWT.fullmatch(token):
            return token
        raise ClientError(502, "bad-answer", f"the node sent no token for grant {given}")
    raise ClientError(
        0,
        "bad-grant",
        "GRANT must be a grant token, a file holding one, a grant id or a request id (req-…)",
        hint="`clearance grant list` shows your grants; `clearance request list` your requests",
    )


def wait_for_decision(
    node: NodeClient,
    request_id: str,
    *,
    timeout_s: float,
    poll_s: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    """Poll the request until it is decided, or until ``timeout_s`` passed: its last view."""
    deadline = clock() + timeout_s
    interval = poll_s
    while True:
        view: dict[str, Any] = node.call("GET", f"/access/requests/{request_id}")
        if view.get("state") in DECIDED or clock() >= deadline:
            return view
        sleep(min(interval, max(0.0, deadline - clock())))
        interval = min(interval * 1.5, max(poll_s, 30.0))  # gentle on the node over hours
