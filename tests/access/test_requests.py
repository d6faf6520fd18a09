"""Request values: stewards' conditions and how several combine (pure, no I/O)."""

from __future__ import annotations

import itertools

import pytest

from access.errors import InvalidInput
from access.request_states import Conditions, combine

A = {"lang": "cql2-text", "filter": '"xray:object_count" >= 1'}
B = {"lang": "cql2-json", "filter": {"op": "=", "args": [{"property": "xray:modality"}, "dual"]}}


def test_filters_intersect_the_shorter_duration_wins_and_evaluation_only_holds() -> None:
    """The issue's case: with two stewards' item filters, neither is dropped."""
    first = Conditions(max_days=30, item_filters=(A,))
    second = Conditions(max_days=7, item_filters=(B,), evaluation_only=True)
    combined = combine([first, second])
    assert combined == Conditions(max_days=7, item_filters=(A, B), evaluation_only=True)
    assert combine([second, first]).item_filters == (B, A)  # the same set, in decision order


def test_an_absent_condition_never_loosens_a_present_one() -> None:
    strict = Conditions(max_days=5, item_filters=(A,), evaluation_only=True)
    for others in itertools.product([Conditions()], repeat=3):
        for order in itertools.permutations([strict, *others]):
            assert combine(order) == strict


def test_combine_of_nothing_is_no_condition_and_repeated_filters_count_once() -> None:
    assert combine([]) == Conditions() and not combine([]).any
    assert combine([Conditions(item_filters=(A,)), Conditions(item_filters=(A,))]).item_filters == (
        A,
    )


def test_every_field_is_combined_to_the_stricter() -> None:
    """A new condition field must get a combining rule: this fails until it has one."""
    assert set(Conditions().as_json()) == {"max_days", "item_filters", "evaluation_only"}


def test_one_stewards_conditions_from_the_request_body() -> None:
    parsed = Conditions.from_json({"max_days": 3, "item_filter": "id = 'x'"})
    assert parsed == Conditions(3, ({"lang": "cql2-text", "filter": "id = 'x'"},))
    assert Conditions.from_json(None) == Conditions.from_json({}) == Conditions()
    with pytest.raises(InvalidInput, match="unknown condition 'item_filters'"):
        Conditions.from_json({"item_filters": ["id = 'x'"]})  # one filter per steward
    with pytest.raises(InvalidInput, match="max_days"):
        Conditions.from_json({"max_days": 0})


def test_stored_conditions_round_trip_and_the_older_one_filter_form_reads() -> None:
    combined = Conditions(max_days=7, item_filters=(A, B), evaluation_only=True)
    assert Conditions.from_stored(combined.as_json()) == combined
    assert Conditions.from_stored(None) == Conditions()
    older = {"max_days": None, "item_filter": A, "evaluation_only": False}
    assert Conditions.from_stored(older) == Conditions(item_filters=(A,))
