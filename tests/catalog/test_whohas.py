"""Who-has under the disclosure rule: two snapshots taken around the publication of a small
holding do not reveal its counts to a partner that may only discover it; its owner sees them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from access import Level, Role
from catalog.synth import generate_holding
from catalog.whohas import WhoHasRow, who_has
from clearance.node import Node
from clearance.publishing.folder import publish_folder

Key = tuple[str, str, str]  # administration, HS code, count ("images" or "objects")


def _publish(node: Node, sources: Path, holding_id: str, count: int, seed: int) -> None:
    folder = sources / holding_id
    generate_holding(folder, kind="cargo", count=count, seed=seed, admin="NLD")
    publish_folder(
        node, folder, admin="NLD", holding_id=holding_id, title=holding_id, description="",
        level="R2", marking="Dep. Vertrouwelijk", rel_to="GBR", handling="download",
        discovery="partners",
    )  # fmt: skip


def _snapshot(node: Node, user: str) -> list[WhoHasRow]:
    with node.sessions() as session:
        return who_has(session, node.directory.user(user).principal())


def _numeric_totals(rows: list[WhoHasRow]) -> Counter[Key]:
    """What an attacker adds up: every number shown per administration × HS code."""
    totals: Counter[Key] = Counter()
    for row in rows:
        for name, value in (("images", row.images), ("objects", row.objects)):
            if isinstance(value, int):
                totals[(row.administration, row.hs_code, name)] += value
    return totals


def test_snapshots_around_a_small_publication_do_not_reveal_its_counts(
    node: Node, tmp_path: Path
) -> None:
    for code in ("NLD", "CAN"):
        node.directory.add_administration(code, f"{code} customs")
    node.directory.add_user("owner", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R1)
    node.directory.add_user("partner", admin="CAN", roles=[Role.RESEARCHER], clearance=Level.R3)
    _publish(node, tmp_path, "NLD-big", count=30, seed=21)
    before, owner_before = _snapshot(node, "partner"), _snapshot(node, "owner")
    _publish(node, tmp_path, "NLD-small", count=4, seed=22)
    after, owner_after = _snapshot(node, "partner"), _snapshot(node, "owner")

    # The owner (even cleared below its own holding's level) sees exact counts, so the small
    # holding's true cells are the difference of the owner's two snapshots.
    assert all(r.exact for r in owner_before + owner_after)
    big = _numeric_totals(owner_before)
    small = _numeric_totals(owner_after) - big
    assert small and all(0 < n < 10 for n in small.values())
    # The attack needs a cell already shown as a number before the small holding arrived.
    assert any(big[key] >= 10 for key in small)

    assert not any(r.exact for r in before + after)
    difference = _numeric_totals(after)
    difference.subtract(_numeric_totals(before))
    for key, true_count in small.items():
        assert difference[key] != true_count, key
    # The small holding shows only as rows of its own, all suppressed.
    new_rows = Counter(after) - Counter(before)
    assert new_rows and all(r.images == r.objects == "<10" for r in new_rows)
    assert all(r.holdings == 1 for r in after)  # controlled cells are never summed


def test_one_holdings_rows_are_the_same_rule_and_a_hidden_holding_has_none(
    seeded: object,
) -> None:
    """``who_has(..., holding_id)`` (a holding page's classes): the rows of that holding alone,
    disclosed as in the whole table, and nothing for a holding the caller may not discover."""
    from tests.catalog.seeded import HIDDEN, Seeded

    assert isinstance(seeded, Seeded)
    node = seeded.node
    with node.sessions() as session:
        for user in ("nld", "gbr", "usa"):
            who = node.directory.user(user).principal()
            everything = who_has(session, who)
            for admin, holding in (("GBR", "GBR-parcel"), ("NLD", "NLD-cargo")):  # one each
                alone = who_has(session, who, holding)
                assert alone and alone == [r for r in everything if r.administration == admin]
        nld = node.directory.user("nld").principal()
        assert who_has(session, nld, HIDDEN) == []
        assert who_has(session, nld, "NLD-no-such-holding") == []
