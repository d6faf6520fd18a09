"""The STAC community's own validator (stac-api-validator 0.6.8) against a live node, offline.

It runs as a subprocess through ``tests/helpers/offline_stac_validator.py``: every schema it
fetches is answered from ``../shared/stac-schemas`` and ``catalog/schemas``, requests to the node
pass, anything else is refused and printed as ``OFFLINE-REFUSED``. Zero errors are allowed except
its filter checks on ``eo:cloud_cover`` and ``mission``: the validator hard-codes those Sentinel /
Landsat properties, which an X-ray catalogue does not have, so a node that refuses filters on
unknown properties (as this one does, with a 400 naming the property) fails exactly those lines.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clearance.http.app import create_app
from tests.catalog.seeded import Seeded
from tests.helpers.server import serve

ROOT = Path(__file__).resolve().parents[2]
CLASSES = ("core", "collections", "features", "item-search", "filter", "item-search#fields",
           "features#fields", "item-search#sort", "features#sort")  # fmt: skip
# A polygon around Great Britain: the parcel holding's scans are at GBLHR and GBEMA.
GREAT_BRITAIN = {
    "type": "Polygon",
    "coordinates": [[[-6, 49.8], [2, 49.8], [2, 56], [-6, 56], [-6, 49.8]]],
}
# The only errors allowed: filters naming properties this catalogue does not have.
ALLOWED = re.compile(
    r"^- \[Item Search - Filter Ext\] : (GET|POST) \S+ params=(?P<query>.*) body=(?P<body>.*) "
    r"had unexpected status code 400 instead of 200: $"
)
ABSENT_PROPERTY = re.compile(r"""eo:cloud_cover|"mission"|'filter': "mission (NOT )?LIKE""")


def _allowed(line: str) -> bool:
    found = ALLOWED.match(line)
    return found is not None and bool(ABSENT_PROPERTY.search(found["query"] + found["body"]))


@pytest.fixture(scope="module")
def validator_output(seeded: Seeded) -> str:
    with serve(create_app(seeded.node)) as url:
        args = [
            sys.executable,
            "-m",
            "tests.helpers.offline_stac_validator",
            "--root-url",
            url,
            "--auth-bearer-token",
            seeded.tokens["gbr"],
            "--collection",
            "GBR-parcel",
            "--geometry",
            json.dumps(GREAT_BRITAIN),
            "--fields-nested-property",
            "properties.xray:modality",
            "--log-level",
            "WARN",
        ]
        for name in CLASSES:
            args += ["--conformance", name]  # fmt: skip
        done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    return done.stdout + done.stderr


def _errors(output: str) -> list[str]:
    lines = output.splitlines()
    if "Errors:" not in lines:
        return []
    return [line for line in lines[lines.index("Errors:") + 1 :] if line.startswith("- ")]


def test_the_validator_ran_every_class_offline(validator_output: str) -> None:
    assert "OFFLINE-REFUSED" not in validator_output
    assert "Traceback" not in validator_output
    # It did check things: the warnings section carries its stac-check recommendations.
    assert "stac-check recommendations" in validator_output


def test_zero_errors_but_the_filters_on_properties_x_ray_scans_do_not_have(
    validator_output: str,
) -> None:
    errors = _errors(validator_output)
    unexpected = [e for e in errors if not _allowed(e)]
    assert unexpected == []
    # The allowed lines are there, so the match above is not vacuous.
    assert any("eo:cloud_cover" in e for e in errors)
    assert any("mission" in e for e in errors)
