"""Access requests and the steward's queue as plain text (from the JSON the node returns)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from clearance.client.text_tables import render_table

__all__ = ["conditions_text", "filter_text", "queue_table", "request_text", "requests_table"]

_PURPOSE_WIDTH = 40


def filter_text(spec: Mapping[str, Any] | None) -> str:
    """A stored filter spec (``{"lang", "filter"}``) as CQL2 text, or CQL2 JSON on one line."""
    if not spec:
        return "all items"
    value = spec.get("filter")
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def conditions_text(conditions: Mapping[str, Any] | None) -> str:
    """Every approving steward's conditions as one (what the grant will carry), in words."""
    if not conditions:
        return "-"
    parts = []
    if conditions.get("max_days") is not None:
        parts.append(f"at most {conditions['max_days']} days")
    if conditions.get("evaluation_only"):
        parts.append("evaluation only")
    filters = [filter_text(f) for f in conditions.get("item_filters") or []]
    if filters:
        parts.append("items where " + " AND ".join(f"({f})" for f in filters))
    return "; ".join(parts) or "-"


def _precheck(r: Mapping[str, Any]) -> str:
    found = r.get("precheck")
    if found is None:
        return "-"
    return "allowed" if found == "allowed" else f"refused: {found}"


def _items(r: Mapping[str, Any]) -> str:
    if r.get("items") is not None:
        return str(r["items"])
    return "-" if r.get("selects") is None else f"{r['selects']} now"


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def requests_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """A researcher's requests, one line each."""
    headers = ("id", "holding", "owner", "mode", "days", "state", "items", "conditions", "reason")
    body = [
        (r["id"], r["holding"], r["owner"], r["mode"], r["duration_days"], r["state"], _items(r),
         conditions_text(r.get("conditions")), _short(r.get("reason") or "", _PURPOSE_WIDTH))
        for r in rows
    ]  # fmt: skip
    return render_table(headers, body)


def queue_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """The steward's queue: who asks for what, why, how much, and what the policy says now."""
    headers = ("id", "requester", "admin", "holding", "purpose", "mode", "days", "item filter",
               "items", "pre-check", "approvals", "conditions")  # fmt: skip
    body = [
        (r["id"], r["requester"], r["requester_admin"], r["holding"],
         _short(f"{r['purpose_code']}: {r['purpose']}", _PURPOSE_WIDTH), r["mode"],
         r["duration_days"], _short(filter_text(r.get("item_filter")), _PURPOSE_WIDTH),
         _items(r), _precheck(r), ",".join(r.get("approvals") or []) or "-",
         conditions_text(r.get("conditions")))
        for r in rows
    ]  # fmt: skip
    return render_table(headers, body)


def request_text(r: Mapping[str, Any]) -> str:
    """One request in full, in words (no JSON, no reprs)."""
    lines = [
        ("request", r["id"]),
        ("state", r["state"] + (f" ({r['reason']})" if r.get("reason") else "")),
        ("holding", f"{r['holding']} (owner {r['owner']})"),
        ("requester", f"{r['requester']} ({r['requester_admin']})"),
        ("mode", f"{r['mode']} for {r['duration_days']} days"),
        ("purpose", f"{r['purpose_code']}: {r['purpose']}"),
        ("item filter", filter_text(r.get("item_filter"))),
        ("items", _items(r)),
        ("pre-check", _precheck(r)),
        ("conditions", conditions_text(r.get("conditions"))),
        ("grant", r.get("grant") or "-"),
        ("created", r["created_at"]),
        ("updated", r["updated_at"]),
    ]
    text = [f"{k:<12} {v}" for k, v in lines]
    decisions = r.get("decisions") or []
    text.append(f"{'decisions':<12} {'-' if not decisions else ''}".rstrip())
    for d in decisions:
        said = f": {d['reason']}" if d.get("reason") else ""
        imposed = conditions_text(_one_condition(d.get("conditions")))
        extra = "" if imposed == "-" else f" [{imposed}]"
        text.append(f"  {d['at']}  {d['steward']} {d['decision']}d{extra}{said}")
    return "\n".join(text)


def _one_condition(stored: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """One steward's conditions as recorded (a single ``item_filter``) in the combined form."""
    if not stored:
        return None
    filters = list(stored.get("item_filters") or [])
    if stored.get("item_filter"):
        filters.append(stored["item_filter"])
    return {**stored, "item_filters": filters}
