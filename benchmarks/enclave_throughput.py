#!/usr/bin/env python
"""Images per second of a whole enclave evaluation against a plain onnxruntime loop.

Enclave: ``EnclaveRunner.run`` on a claimed job, i.e. everything a worker does for one job: the
model re-admitted, the manifest checked, every scan decrypted in memory and checked against the
manifest, decoded, preprocessed by the card's recipe, streamed to a fresh confined sandbox
(spawn, confine, session) and back, outputs checked, metrics (mAP@0.5 and @[.5:.95],
faster-coco-eval), release control.

Plain loop (what a researcher would write with the images in hand): the same scans already
decrypted and decoded in memory; per scan the same ``preprocess``, ``InferenceSession.run`` in this
process, the same post-processing; then the same metrics. One onnxruntime thread on both sides.
No bootstrap on either side (it is the same metric code on both and would only add a constant).

Model: the demo detector (models.demo_training.train_on_synthetic); holding: a synthetic parcel
holding of ``--scans`` scans. Rounds alternate (plain, enclave); medians reported.

Usage: python benchmarks/enclave_throughput.py [--scans 60] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from access import Conditions, Level, Mode, NewRequest, PurposeCode, Role
from catalog.synth import generate_holding
from clearance.enclave import enclave_runner
from clearance.node import Node, open_node
from clearance.publishing.folder import publish_folder
from clearance.settings import Settings
from models.card import parse_card
from models.dataset import load_scans
from models.demo_training import train_on_synthetic
from models.evaluation import NewEvaluation, Split
from models.metric_spec import parse_metric_spec
from models.metrics import detection_metrics
from models.postprocess import detections
from models.preprocess import preprocess

HOLDING = "GBR-bench"
FLOOR = 0.85  # issue 10: the enclave keeps at least 85 % of a plain loop's throughput
SPEC = {"metrics": ["map50", "map50_95"], "bootstrap_samples": 0}


def _node(root: Path, scans: int) -> tuple[Node, Any, str]:
    node = open_node(Settings(data_dir=root / "data", database_url=f"sqlite:///{root}/db"))
    for code in ("GBR", "NLD"):
        node.directory.add_administration(code, code)
    node.directory.add_user("r", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R2)
    node.directory.add_user("s", admin="GBR", roles=[Role.STEWARD], clearance=Level.R2)
    generate_holding(root / "h", kind="parcel", count=scans, seed=11, admin="GBR")
    publish_folder(
        node, root / "h", admin="GBR", holding_id=HOLDING, title="t", description="d",
        level="R1", marking="OFFICIAL", rel_to="NLD", handling="enclave-only",
        discovery="partners",
    )  # fmt: skip
    who = node.directory.user("r").principal()
    new = NewRequest(HOLDING, "bench", PurposeCode.MODEL_EVALUATION, Mode.EVALUATION, 30)
    asked = node.requests.create(who, new)
    approved = node.requests.approve(node.directory.user("s").principal(), asked.id,
                                     Conditions(), "ok")  # fmt: skip
    assert approved.grant is not None
    return node, who, approved.grant


def _enclave_round(node: Node, who: Any, grant: str, model_id: str) -> float:
    new = NewEvaluation(model_id, HOLDING, Split.ALL, dict(SPEC), grant)
    node.evaluations.submit(who, new)
    claim = node.jobs.claim("bench")
    assert claim is not None
    runner = enclave_runner(node)
    start = time.perf_counter()
    result = runner.run(claim.job)
    elapsed = time.perf_counter() - start
    node.jobs.finish(claim, result)
    assert type(result).__name__ == "Released", result
    return elapsed


def _plain_round(data: bytes, card_fields: dict[str, Any], scans: list[Any]) -> float:
    card = parse_card(card_fields)
    spec = parse_metric_spec({**SPEC, "task": card.task})
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
    start = time.perf_counter()
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    values = {c.hs_code: c.value for c in card.classes}
    images, annotations, found = [], [], []
    for image_id, scan in enumerate(scans, start=1):
        tensor = preprocess(scan.high, scan.low, card.recipe)
        outputs = dict(zip(names, session.run(None, {card.input_name: tensor}), strict=True))
        found += detections(outputs, image_id=image_id, width=scan.width, height=scan.height,
                            category_of_value={v: v for v in values.values()})  # fmt: skip
        images.append({"id": image_id, "width": scan.width, "height": scan.height})
        for obj in scan.objects:
            if obj.hs_code in values:
                x, y, w, h = obj.bbox
                annotations.append({"id": len(annotations) + 1, "image_id": image_id,
                                    "category_id": values[obj.hs_code], "bbox": [x, y, w, h],
                                    "area": w * h, "iscrowd": 0})  # fmt: skip
    categories = [{"id": c.value, "name": c.hs_code, "hs_code": c.hs_code} for c in card.classes]
    truth = {"images": images, "annotations": annotations, "categories": categories}
    detection_metrics(truth, found, spec)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="enclave-bench-") as tmp:
        node, who, grant = _node(Path(tmp), args.scans)
        model = train_on_synthetic()
        now = datetime.now(UTC)
        model_id = node.models.submit(who, model.onnx, model.card, now).id
        stored = node.manifests.latest(HOLDING)
        assert stored is not None
        items = sorted({o.item for o in stored.manifest.objects})
        scans = list(load_scans(stored.manifest, items, node.objects.read_verified))
        plain, enclave = [], []
        for _ in range(args.rounds):
            plain.append(_plain_round(model.onnx, model.card, scans))
            enclave.append(_enclave_round(node, who, grant, model_id))
        node.engine.dispose()
    p, e = statistics.median(plain), statistics.median(enclave)
    n = len(scans)
    print(f"scans {n}, rounds {args.rounds} (interleaved), medians:")
    print(f"  plain onnxruntime loop   {p:7.2f} s  {n / p:6.1f} images/s")
    print(f"  enclave (whole job)      {e:7.2f} s  {n / e:6.1f} images/s")
    print(f"  ratio enclave/plain      {p / e:.2f}  (floor {FLOOR})")
    if p / e < FLOOR:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
