"""`clearance demo --no-serve`: the walkthrough a new user sees, end to end, on SQLite."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pystac
import pytest

from clearance.demo import run_demo
from clearance.settings import Settings
from models import demo_training
from models.demo_models import DemoModel


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_detector: DemoModel) -> tuple[Path, str]:
    data = tmp_path_factory.mktemp("demo") / "data"
    lines: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        # The demo's train_on_synthetic(), as trained once for the session (tests/conftest.py):
        # the training is deterministic, the same bytes; everything else runs as `clearance demo`.
        patch.setattr(demo_training, "train_on_synthetic", lambda: demo_detector)
        node = run_demo(Settings.from_env({"CLEARANCE_DATA": str(data)}), echo=lines.append)
    node.engine.dispose()
    return data, "\n".join(lines)


def test_who_has_differs_between_administrations(demo: tuple[Path, str]) -> None:
    _, out = demo
    nld, gbr = out.split("as seen by gbr-analyst (GBR)")
    assert "as seen by nld-analyst (NLD)" in nld
    assert "USA " not in nld.split("What has who got")[1]  # the reefer holding is hidden from NLD
    assert "\nUSA " in gbr
    assert "<10" in out


def test_access_walkthrough_grants_and_refuses(demo: tuple[Path, str]) -> None:
    _, out = demo
    assert "gbr-steward approves: granted" in out
    assert "audience       urn:clearance:transfer:GBR" in out
    assert "refused, reason policy:not-releasable" in out


def test_pulled_holding_matches_the_published_source(demo: tuple[Path, str]) -> None:
    data, out = demo
    catalog = pystac.Catalog.from_file(str(data / "pulled" / "catalog.json"))
    items = list(catalog.get_items(recursive=True))
    source = data / "sources" / "GBR-parcel-hub-2025" / "scans"
    assert items and f"local STAC catalogue: {data / 'pulled' / 'catalog.json'}" in out
    for item in items:
        for name in ("high", "low"):
            pulled = Path(item.assets[name].get_absolute_href() or "")
            original = next((source / item.id).glob(f"{name}.*"))
            assert _sha256(pulled) == _sha256(original), (item.id, name)
        annotations = json.loads(
            Path(item.assets["annotations"].get_absolute_href() or "").read_text()
        )
        assert [image["file_name"] for image in annotations["images"]] == [
            f"scans/{item.id}/high.tiff"
        ]
        assert "annotations" in annotations and "categories" in annotations


def test_audit_verifies_then_detects_the_hand_edit(demo: tuple[Path, str]) -> None:
    _, out = demo
    assert "clearance audit verify: OK" in out
    assert "FAILED: modified at seq 3" in out


def test_enclave_walkthrough_scores_signs_and_contains(demo: tuple[Path, str]) -> None:
    data, out = demo
    assert "detector: released" in out and "baseline: released" in out
    detector = out.split("detector: released")[1].split("baseline: released")[0]
    baseline = out.split("baseline: released")[1].split("leaderboard of")[0]
    score = float(detector.split("map50 ")[1].split()[0])
    assert score > 0.05 and "map50            0.0 " in baseline  # the detector beats chance
    assert out.count("verified with AUS's JWKS only") == 2
    assert "custom-op model: refused-at-admission (domain:" in out
    assert "outcome ran-out-of-time" in out
    receipts = sorted((data / "enclave" / "receipts").glob("evl-*.json"))
    assert len(receipts) == 2
    from models import verify_receipt

    jwks = json.loads((data / "enclave" / "aus-jwks.json").read_text())
    assert verify_receipt(receipts[0].read_bytes(), jwks).issuer == "AUS"
