"""The fields extension on item documents."""

from __future__ import annotations

from catalog.fields import apply_fields

DOC = {
    "type": "Feature",
    "stac_version": "1.0.0",
    "id": "x",
    "collection": "c",
    "links": [],
    "properties": {"datetime": "2025-01-01T00:00:00Z", "xray:scanner": "A B", "sec:level": "R1"},
    "assets": {"high": {"href": "h"}},
}


def test_no_fields_returns_the_document_unchanged() -> None:
    assert apply_fields(DOC, None, ()) is DOC


def test_empty_fields_give_the_default_set() -> None:
    out = apply_fields(DOC, (), ())
    assert out == {
        "type": "Feature", "stac_version": "1.0.0", "id": "x", "collection": "c", "links": [],
        "properties": {"datetime": "2025-01-01T00:00:00Z"}, "assets": {"high": {"href": "h"}},
    }  # fmt: skip


def test_include_keeps_only_named_fields_and_the_identity() -> None:
    out = apply_fields(DOC, ("properties.xray:scanner",), ())
    assert out == {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": "x",
        "collection": "c",
        "properties": {"xray:scanner": "A B"},
    }


def test_an_include_wins_over_an_exclude_of_it_or_its_parent() -> None:
    out = apply_fields(DOC, ("properties.xray:scanner",), ("properties",))
    assert out["properties"] == {"xray:scanner": "A B"}
    assert apply_fields(DOC, ("assets",), ("assets",))["assets"] == DOC["assets"]


def test_exclude_removes_and_never_touches_the_original() -> None:
    out = apply_fields(DOC, None, ("assets", "properties.sec:level", "id"))
    assert "assets" not in out and "sec:level" not in out["properties"]
    assert out["id"] == "x"  # identity fields cannot be excluded
    assert "assets" in DOC and "sec:level" in DOC["properties"]


def test_unknown_include_is_ignored() -> None:
    out = apply_fields(DOC, ("properties.nope",), ())
    assert "properties" not in out
