"""The transfer routes' policy dependency: the bearer credential is the grant itself.

``requires_download_grant`` takes the ``Authorization: Bearer <grant>`` header, verifies the grant
for the holding in the path (``TransferService.authorize``: signature, issuer = owner, transfer
audience, lifetime, revocation now, holding, the ``download`` operation) and hands the verified
``Grant`` to the route. It carries the route-policy marker ``"grant:download"``, so the
authorization matrix (tests/clearance/http/test_authz_matrix.py) finds it in the route table like
``requires(Action.X)`` and ``public``, and checks that such routes refuse any other credential.
"""

from __future__ import annotations

from fastapi import Request

from access import ClearanceError, Directory, Grant, GrantError
from access.route_policy import bearer_token, policy_dependency
from transfer.errors import GrantRequired
from transfer.service import TransferService

__all__ = ["GRANT_DOWNLOAD", "requires_download_grant", "transfer_service"]

GRANT_DOWNLOAD = "grant:download"


def transfer_service(request: Request) -> TransferService:
    service: TransferService = request.app.state.transfer
    return service


@policy_dependency(GRANT_DOWNLOAD)
def requires_download_grant(request: Request) -> Grant:
    """A dependency: the verified grant of the request, for the holding in its path."""
    token = bearer_token(request)
    holding = str(request.path_params.get("holding", ""))
    try:
        grant = transfer_service(request).authorize(token, holding)
    except GrantError as error:
        if error.code == "grant-wrong-audience" and _is_login_token(request, token):
            raise GrantRequired(_HOW_TO_GET_A_GRANT) from None
        raise
    request.state.grant = grant
    return grant


# The same words for every holding, existing or not, discoverable or not: nothing is looked up.
_HOW_TO_GET_A_GRANT = (
    "this needs a grant, not a login token: request access to the holding "
    "(`clearance request create --holding HOLDING`, or POST /access/requests); once its stewards "
    "approve, `clearance pull GRANT` downloads it with the grant's token"
)


def _is_login_token(request: Request, token: str) -> bool:
    directory: Directory = request.app.state.directory
    try:
        directory.authenticate(token, audience=request.app.state.settings.node_id)
    except ClearanceError:
        return False
    return True
