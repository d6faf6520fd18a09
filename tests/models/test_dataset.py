"""models.dataset: a published holding version read back in memory equals the folder published."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import tifffile

from catalog.synth import generate_holding
from clearance.node import Node
from clearance.publishing.folder import publish_folder
from clearance.settings import Settings
from models.dataset import decode_image, load_scans
from models.errors import DatasetError


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Path]]:
    from clearance.node import open_node

    root = tmp_path_factory.mktemp("dataset")
    folder = root / "holding"
    generate_holding(folder, kind="parcel", count=4, seed=7, admin="NLD")
    node = open_node(Settings(data_dir=root / "data", database_url=f"sqlite:///{root}/db.sqlite"))
    node.directory.add_administration("NLD", "Netherlands")
    publish_folder(
        node, folder, admin="NLD", holding_id="NLD-post", title="t", description="d",
        level="R2", marking="Dep. Vertrouwelijk", rel_to="ALL", handling="enclave-only",
        discovery="partners",
    )  # fmt: skip
    yield node, folder
    node.engine.dispose()


def test_scans_read_back_equal_the_published_folder(published: tuple[Node, Path]) -> None:
    node, folder = published
    stored = node.manifests.latest("NLD-post")
    assert stored is not None
    items = sorted(p.name for p in (folder / "scans").iterdir())
    scans = list(load_scans(stored.manifest, items, node.objects.read_verified))
    coco = json.loads((folder / "annotations.json").read_text())
    codes = {c["id"]: c["hs_code"] for c in coco["categories"]}
    for scan in scans:
        where = folder / "scans" / scan.item
        assert np.array_equal(scan.high, tifffile.imread(where / "high.tiff"))
        assert scan.low is not None
        assert np.array_equal(scan.low, tifffile.imread(where / "low.tiff"))
        image = next(i for i in coco["images"] if i["file_name"] == f"scans/{scan.item}/high.tiff")
        expected = sorted(
            (codes[a["category_id"]], tuple(float(v) for v in a["bbox"]))
            for a in coco["annotations"]
            if a["image_id"] == image["id"]
        )
        assert sorted((o.hs_code, o.bbox) for o in scan.objects) == expected
    assert sum(len(s.objects) for s in scans) > 0


def test_an_item_outside_the_version_is_refused(published: tuple[Node, Path]) -> None:
    node, _ = published
    stored = node.manifests.latest("NLD-post")
    assert stored is not None
    with pytest.raises(DatasetError, match="not in holding version"):
        list(load_scans(stored.manifest, ["no-such-scan"], node.objects.read_verified))


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\nbroken", b"II*\x00junk"])
def test_undecodable_bytes_are_a_dataset_error(data: bytes) -> None:
    with pytest.raises(DatasetError, match="not a readable"):
        decode_image(data, "x")
