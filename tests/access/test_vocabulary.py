"""The restrictedness vocabulary: levels, administration codes, REL TO lists."""

from __future__ import annotations

import pytest

from access.vocabulary import (
    ALL_PARTNERS,
    PARTNERS,
    Discovery,
    Handling,
    Level,
    Role,
    parse_admin_code,
    parse_rel_to,
)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("R0", Level.R0),
        ("R1", Level.R1),
        ("R2", Level.R2),
        ("R3", Level.R3),
        ("R4", Level.R4),
        ("r2", Level.R2),
        (" R3\n", Level.R3),
    ],
)
def test_level_parse(text: str, level: Level) -> None:
    assert Level.parse(text) is level


@pytest.mark.parametrize("text", ["", "R5", "R-1", "2", "PUBLIC", "R 1", "R1,R2", "label"])
def test_level_parse_refuses_unknown_levels(text: str) -> None:
    with pytest.raises(ValueError, match="unknown level"):
        Level.parse(text)


def test_level_order_and_labels() -> None:
    assert Level.R0 < Level.R1 < Level.R2 < Level.R3 < Level.R4
    assert [lvl.label for lvl in Level] == ["R0", "R1", "R2", "R3", "R4"]
    assert [int(lvl) for lvl in Level] == [0, 1, 2, 3, 4]


def test_vocabulary_values() -> None:
    assert {h.value for h in Handling} == {"download", "enclave-only", "metadata-only"}
    assert {d.value for d in Discovery} == {"partners", "releasable"}
    assert {r.value for r in Role} == {"researcher", "steward", "operator", "auditor"}
    assert PARTNERS == ("AUS", "BEL", "CAN", "GBR", "NLD", "NZL", "USA")


@pytest.mark.parametrize(("text", "code"), [("NLD", "NLD"), (" USA ", "USA"), ("ZZZ", "ZZZ")])
def test_parse_admin_code(text: str, code: str) -> None:
    assert parse_admin_code(text) == code


@pytest.mark.parametrize(
    "text", ["", "nld", "Nld", "NL", "NLDX", "NL1", "N-D", "ÄBC", "NLD\nGBR", "N LD", "ALL1"]
)
def test_parse_admin_code_refuses_bad_codes(text: str) -> None:
    with pytest.raises(ValueError, match="three upper-case letters"):
        parse_admin_code(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ALL", {"ALL"}),
        ("all", {"ALL"}),
        (" All ", {"ALL"}),
        ("ALL,", {"ALL"}),
        ("USA", {"USA"}),
        ("USA,GBR", {"USA", "GBR"}),
        ("usa, gbr", {"USA", "GBR"}),  # lower case normalised
        ("USA,USA", {"USA"}),
        ("usa, ,gbr,", {"USA", "GBR"}),  # empty entries ignored
    ],
)
def test_parse_rel_to(text: str, expected: set[str]) -> None:
    assert parse_rel_to(text) == frozenset(expected)


@pytest.mark.parametrize("text", ["ALL,USA", "usa,all", "ALL,ALL"])
def test_parse_rel_to_refuses_all_mixed_with_codes(text: str) -> None:
    with pytest.raises(ValueError, match="mixes ALL"):
        parse_rel_to(text)


@pytest.mark.parametrize("text", ["", " ", ",", " , ,"])
def test_parse_rel_to_refuses_empty_lists(text: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        parse_rel_to(text)


@pytest.mark.parametrize("text", ["US", "USA,GB", "USA;GBR", "U5A", "USA GBR", "EVERYONE"])
def test_parse_rel_to_refuses_bad_codes(text: str) -> None:
    with pytest.raises(ValueError, match="three upper-case letters"):
        parse_rel_to(text)


def test_all_partners_marker() -> None:
    assert ALL_PARTNERS == "ALL"
    assert ALL_PARTNERS not in PARTNERS
