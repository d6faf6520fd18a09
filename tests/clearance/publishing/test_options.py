"""Publish options: one value, parsed in one place, for the publish command, uploads and demo."""

from __future__ import annotations

from typing import Any

import pytest

from access import ALL_PARTNERS, Discovery, Handling, Level
from catalog import PublishError
from clearance.publishing.options import PublishOptions
from transfer import InvalidUpload

BODY = {
    "holding": "NLD-H1", "title": " Rotterdam ", "description": "", "level": "R2",
    "marking": "Dep. Vertrouwelijk", "rel_to": "GBR,USA", "handling": "download",
    "discovery": "partners",
}  # fmt: skip
KNOWN = frozenset({"GBR", "NLD", "USA"})


def test_from_json_and_to_the_catalogue() -> None:
    options = PublishOptions.from_json(BODY)
    assert options == PublishOptions(**BODY)
    holding = options.holding_options("NLD", "Douane Nederland", known=KNOWN)
    assert (holding.holding_id, holding.admin, holding.admin_name) == (
        "NLD-H1", "NLD", "Douane Nederland",
    )  # fmt: skip
    assert (holding.title, holding.description) == ("Rotterdam", "Rotterdam")  # defaults to title
    assert holding.level is Level.R2 and holding.marking == "Dep. Vertrouwelijk"
    assert holding.handling is Handling.DOWNLOAD and holding.discovery is Discovery.PARTNERS
    assert set(holding.releasable_to) == {"GBR", "USA"}
    every = PublishOptions(**{**BODY, "rel_to": "ALL"}).holding_options("NLD", "x", known=KNOWN)
    assert every.releasable_to == frozenset({ALL_PARTNERS})


def test_the_description_is_optional_and_the_digest_names_the_options() -> None:
    without = {k: v for k, v in BODY.items() if k != "description"}
    assert PublishOptions.from_json(without) == PublishOptions.from_json(BODY)
    other = PublishOptions.from_json({**BODY, "title": "other"})
    assert PublishOptions.from_json(BODY).sha256() != other.sha256()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "JSON object"),
        ({**BODY, "extra": "x"}, "unknown field 'extra'"),
        ({**BODY, "title": 3}, "title is required"),
        ({**BODY, "holding": "bad id!"}, "holding 'bad id!'"),
        ({**BODY, "level": "R9"}, "level:"),
        ({**BODY, "handling": "mail"}, "handling:"),
    ],
)
def test_from_json_names_the_field_at_fault(body: Any, message: str) -> None:
    with pytest.raises(InvalidUpload, match=message):
        PublishOptions.from_json(body)


@pytest.mark.parametrize(
    ("field", "value"), [("marking", " "), ("title", ""), ("title", "x" * 301)]
)
def test_holding_options_refuse_what_cannot_be_published(field: str, value: str) -> None:
    with pytest.raises(PublishError, match=f"--{field}"):
        PublishOptions(**{**BODY, field: value}).holding_options("NLD", "x", known=KNOWN)


def test_rel_to_names_only_administrations_the_node_knows() -> None:
    typo = PublishOptions(**{**BODY, "rel_to": "GBR,USS"})
    with pytest.raises(PublishError, match="--rel-to names USS, not a known administration"):
        typo.holding_options("NLD", "x", known=KNOWN)
