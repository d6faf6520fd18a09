"""The publish options of a holding, parsed in one place.

``clearance publish`` (node command), the demo and the completion of a resumable upload
(``POST /uploads/{id}/complete``) all build one :class:`PublishOptions`; what it says becomes
the catalogue's :class:`~catalog.stac.HoldingOptions` in :meth:`PublishOptions.holding_options`
alone. The upload route takes them as JSON and checks them first with :meth:`from_json`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any

from access import Discovery, Handling, Level, parse_rel_to
from catalog import HOLDING_ID, HoldingOptions, PublishError
from transfer import InvalidUpload

__all__ = ["GEOMETRIES", "PublishOptions"]

_TEXT_LIMITS = {
    "holding": 128, "title": 300, "description": 5000, "level": 2, "marking": 200,
    "rel_to": 2000, "handling": 20, "discovery": 20, "geometry": 10,
}  # fmt: skip
_DEFAULTS = {"description": "", "geometry": "site"}
GEOMETRIES = ("site", "withheld")


def _geometry(value: str) -> str:
    if value not in GEOMETRIES:
        raise ValueError(f"must be one of {', '.join(GEOMETRIES)}")
    return value


@dataclass(frozen=True)
class PublishOptions:
    """What ``clearance publish`` takes besides the folder (the administration is the caller's)."""

    holding: str
    title: str
    description: str
    level: str
    marking: str
    rel_to: str
    handling: str
    discovery: str
    geometry: str = "site"  # "withheld": items get no point, no bbox, no xray:site

    @classmethod
    def from_json(cls, body: Any) -> PublishOptions:
        """Check the body's shape and every value, naming the first field at fault."""
        if not isinstance(body, dict):
            raise InvalidUpload("body must be a JSON object of publish options")
        unknown = sorted(set(body) - set(_TEXT_LIMITS))
        if unknown:
            raise InvalidUpload(f"unknown field {unknown[0]!r}")
        values = {}
        for name, limit in _TEXT_LIMITS.items():
            value = body.get(name, _DEFAULTS.get(name))
            if not isinstance(value, str) or len(value) > limit:
                raise InvalidUpload(f"{name} is required: text of at most {limit} characters")
            values[name] = value
        options = cls(**values)
        options._check_values()
        return options

    def _check_values(self) -> None:
        if not HOLDING_ID.fullmatch(self.holding):
            raise InvalidUpload(f"holding {self.holding!r} must be 1–128 of A-Z a-z 0-9 . _ -")
        checks = (
            ("level", lambda: Level.parse(self.level)),
            ("rel_to", lambda: parse_rel_to(self.rel_to)),
            ("handling", lambda: Handling(self.handling)),
            ("discovery", lambda: Discovery(self.discovery)),
            ("geometry", lambda: _geometry(self.geometry)),
        )
        for name, check in checks:
            try:
                check()
            except ValueError as exc:
                raise InvalidUpload(f"{name}: {exc}") from None

    def holding_options(
        self, admin: str, admin_name: str, *, known: Collection[str]
    ) -> HoldingOptions:
        """The catalogue's options for ``admin``'s holding (the description defaults to the
        title); ``PublishError`` or ``ValueError`` for a value that cannot be published,
        such as releasing it to an administration not among ``known`` (the partners and the
        node's trust list: a typo such as ``UK`` or ``USS`` is refused, not stored)."""
        unknown = sorted(parse_rel_to(self.rel_to) - {"ALL", *known})
        if unknown:
            raise PublishError(
                f"--rel-to names {unknown[0]}, not a known administration "
                f"({', '.join(sorted(known))}, or ALL)"
            )
        if not self.marking.strip() or len(self.marking) > 200:
            raise PublishError(
                "--marking must be 1–200 characters (the national marking, verbatim)"
            )
        if not self.title.strip() or len(self.title) > 300:
            raise PublishError("--title must be 1–300 characters")
        return HoldingOptions(
            holding_id=self.holding,
            admin=admin,
            admin_name=admin_name,
            title=self.title.strip(),
            description=self.description.strip() or self.title.strip(),
            level=Level.parse(self.level),
            marking=self.marking,
            releasable_to=parse_rel_to(self.rel_to),
            handling=Handling(self.handling),
            discovery=Discovery(self.discovery),
            withhold_geometry=self.geometry == "withheld",
        )

    def sha256(self) -> str:
        """Identifies the options: a repeated completion must name the same ones."""
        canonical = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()
