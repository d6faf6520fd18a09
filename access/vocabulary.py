"""The restrictedness vocabulary: levels R0–R4, handling, discovery, roles, administration codes."""

from __future__ import annotations

import re
from enum import IntEnum, StrEnum

__all__ = [
    "ALL_PARTNERS",
    "PARTNERS",
    "Discovery",
    "Handling",
    "Level",
    "Role",
    "parse_admin_code",
    "parse_rel_to",
]

PARTNERS = ("AUS", "BEL", "CAN", "GBR", "NLD", "NZL", "USA")
ALL_PARTNERS = "ALL"
_ADMIN_CODE = re.compile(r"^[A-Z]{3}$")


class Level(IntEnum):
    """Common restrictedness scale; higher is more restricted. R4 content is never stored."""

    R0 = 0  # PUBLIC
    R1 = 1  # OFFICIAL
    R2 = 2  # SENSITIVE (law-enforcement sensitive)
    R3 = 3  # PROTECTED
    R4 = 4  # CLASSIFIED

    @classmethod
    def parse(cls, text: str) -> Level:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown level {text!r}: expected one of R0, R1, R2, R3, R4"
            ) from None

    @property
    def label(self) -> str:
        return self.name


class Handling(StrEnum):
    DOWNLOAD = "download"
    ENCLAVE_ONLY = "enclave-only"
    METADATA_ONLY = "metadata-only"


class Discovery(StrEnum):
    PARTNERS = "partners"
    RELEASABLE = "releasable"


class Role(StrEnum):
    RESEARCHER = "researcher"
    STEWARD = "steward"
    OPERATOR = "operator"
    AUDITOR = "auditor"


def parse_admin_code(text: str) -> str:
    """An administration id: ISO 3166-1 alpha-3, upper case."""
    code = text.strip()
    if not code.isascii() or not _ADMIN_CODE.fullmatch(code):
        raise ValueError(
            f"administration code {text!r} is not three upper-case letters (ISO 3166-1)"
        )
    return code


def parse_rel_to(text: str) -> frozenset[str]:
    """`USA,GBR` -> {"USA", "GBR"}; `ALL` -> {"ALL"} (every partner)."""
    if not text.isascii():
        raise ValueError("releasable-to list must be ISO alpha-3 codes or ALL")
    parts = [p.strip().upper() for p in text.split(",") if p.strip()]
    if not parts:
        raise ValueError("releasable-to list is empty: give ISO alpha-3 codes or ALL")
    if ALL_PARTNERS in parts:
        if len(parts) > 1:
            raise ValueError("releasable-to list mixes ALL with administration codes")
        return frozenset({ALL_PARTNERS})
    return frozenset(parse_admin_code(p) for p in parts)
