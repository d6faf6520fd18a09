"""The scan viewer: the owner's own users see their scans (grey, material pseudo-colour, zoom,
contrast, COCO boxes with HS codes); a partner never does, not even one cleared for the items."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Page

from tests.clearance.web.conftest import Site, axe, shoot, sign_in

_PIXELS = """() => {
  const canvas = document.querySelector('#viewer canvas');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const out = {n: 0, sum: 0, sq: 0, orange: 0, green: 0, blue: 0};
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
    if (a === 0) continue;
    const y = (r + g + b) / 3;
    out.n += 1; out.sum += y; out.sq += y * y;
    if (r > 120 && r > g + 40 && g > b + 20) out.orange += 1;
    if (g > r + 40 && g > b + 40) out.green += 1;
    if (b > r + 60 && b > g + 40) out.blue += 1;
  }
  return out;
}"""


def _boxes_of(site: Site, holding: str, item: str) -> list[str]:
    coco = json.loads((site.seeded.sources / holding / "annotations.json").read_text())
    codes = {c["id"]: str(c["hs_code"]) for c in coco["categories"]}
    image = next(i["id"] for i in coco["images"] if i["file_name"].split("/")[1] == item)
    return sorted(codes[a["category_id"]] for a in coco["annotations"] if a["image_id"] == image)


def _stats(page: Page) -> dict[str, Any]:
    stats: dict[str, Any] = page.evaluate(_PIXELS)
    mean = stats["sum"] / stats["n"]
    stats["std"] = (stats["sq"] / stats["n"] - mean * mean) ** 0.5
    return stats


def test_the_owner_sees_the_scan_with_its_boxes(page: Page, site: Site) -> None:
    sign_in(page, site, "nld.researcher")
    page.goto(f"{site.url}/ui/holdings/NLD-cargo")
    first = page.locator("#items tbody tr").first
    item = first.get_attribute("data-item") or ""
    first.get_by_role("link", name="Open in viewer").click()
    page.wait_for_selector('#viewer[data-drawn="high"]')
    expected = _boxes_of(site, "NLD-cargo", item)
    assert expected and page.locator("#viewer").get_attribute("data-boxes") == str(len(expected))
    overlays = page.locator("#viewer .box")
    assert sorted(overlays.all_inner_texts()) == expected  # each box labelled with its HS code
    assert page.locator("#boxes li").count() == len(expected)
    grey = _stats(page)
    assert grey["n"] > 10_000 and grey["std"] > 10  # an image, not a blank canvas
    assert grey["orange"] == grey["blue"] == 0  # grey by default
    shoot(page, "scan-viewer")
    assert axe(page) == []

    width_before = overlays.first.bounding_box()["width"]  # type: ignore[index]
    page.get_by_role("button", name="Zoom in").click()
    page.wait_for_timeout(1500)
    assert overlays.first.bounding_box()["width"] > width_before * 1.2  # type: ignore[index]
    page.get_by_role("button", name="Whole image").click()

    page.get_by_label("Material").check()
    page.wait_for_selector('#viewer[data-drawn="material"]')
    page.wait_for_timeout(500)
    colours = _stats(page)
    assert colours["orange"] > 100, colours  # organics
    assert colours["green"] + colours["blue"] > 100, colours  # inorganics
    shoot(page, "scan-viewer-material")
    page.locator("#contrast").fill("200")
    assert page.locator("#viewer canvas").first.evaluate("c => c.style.filter") == "contrast(200%)"
    page.get_by_label("Boxes").uncheck()
    assert overlays.first.is_hidden()


def test_a_partner_never_sees_the_owners_images(page: Page, site: Site) -> None:
    sign_in(page, site, "gbr.researcher")  # NLD-cargo is REL TO GBR and gbr is cleared R3
    page.goto(f"{site.url}/ui/holdings/NLD-cargo")
    assert page.locator("#items tbody tr").count() == 4  # may see the items' metadata
    assert page.get_by_role("link", name="Open in viewer").count() == 0
    item = page.locator("#items tbody tr").first.get_attribute("data-item")
    missing = page.request.get(f"{site.url}/ui/scans/NLD-cargo/NLD-C-999999")
    for path in (f"/ui/scans/NLD-cargo/{item}", f"/ui/scans/NLD-cargo/{item}/high.png",
                 f"/ui/scans/NLD-cargo/{item}/material.png"):  # fmt: skip
        answer = page.request.get(site.url + path)
        assert answer.status == 404
        assert answer.text() == missing.text()
