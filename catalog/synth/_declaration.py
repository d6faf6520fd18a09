"""What the declaration says, and what customs did about it.

Declarations usually list the goods found; sometimes something is left off. Undeclared contraband
(weapons, drugs, tobacco, gold, cash) means a seizure; other undeclared goods a closer look.
"""

from __future__ import annotations

import numpy as np

from catalog.synth._categories import CATEGORIES, Category
from catalog.synth._setup import Setup

ALWAYS_HIDDEN = frozenset({"2939"})  # nobody declares cocaine
HIDE_CONTRABAND, HIDE_OTHER = 0.5, 0.1


def declare(setup: Setup, found: list[Category], rng: np.random.Generator) -> tuple[list[str], str]:
    """(declared HS codes, inspection outcome) for a scan whose objects are `found`."""
    codes = sorted({c.hs_code for c in found})
    by_code = {c.hs_code: c for c in found}
    hidden = [code for code in codes if rng.random() < _hide_chance(by_code[code])]
    declared = [code for code in codes if code not in hidden]
    if not declared:  # the declaration names some cover goods instead
        declared = [_cover(setup, set(codes), rng)]
    return declared, _outcome([by_code[code] for code in hidden], rng)


def _hide_chance(category: Category) -> float:
    if category.hs_code in ALWAYS_HIDDEN:
        return 1.0
    return HIDE_CONTRABAND if category.contraband else HIDE_OTHER


def _cover(setup: Setup, found: set[str], rng: np.random.Generator) -> str:
    reefer = setup.container is not None and setup.container.reefer
    pool = [
        c.hs_code
        for c in CATEGORIES
        if not c.contraband
        and c.fit(setup.kind) is not None
        and c.hs_code not in found
        and (c.hs_code != "0303" or reefer)
    ]
    return pool[int(rng.integers(len(pool)))]


def _outcome(hidden: list[Category], rng: np.random.Generator) -> str:
    if any(c.contraband for c in hidden):
        return "seized"
    if hidden:
        return "further-inspection"
    roll = rng.random()
    return "cleared" if roll < 0.8 else "not-inspected" if roll < 0.92 else "further-inspection"
