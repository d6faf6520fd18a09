"""Grant ids are safe to type on a command line."""

from __future__ import annotations

import re

from access.grant_service import new_grant_id


def test_grant_ids_never_start_like_an_option() -> None:
    # 1 in 64 token_urlsafe draws starts with "-" and 1 in 64 with "_": 4,000 draws would miss a
    # regression with probability (62/64)^4000, about 1e-55.
    ids = {new_grant_id() for _ in range(4_000)}
    assert len(ids) == 4_000
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{31}", jti) for jti in ids)
