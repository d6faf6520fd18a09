"""The evaluation pipeline: one claimed job, from stored bytes to releasable, rounded aggregates.

In order, each step before the next costs anything: the model's bytes are checked against the
digest the job pinned and go through the admission gate again (the gate's limits may have
tightened since submission); the holding version's manifest is checked against the hash the job
pinned; the split's items are decrypted in memory (never written anywhere), preprocessed by the
one shared recipe function and streamed to a throw-away sandbox; the outputs are checked by the
one shared post-processing; the metrics are computed here, in the parent, and rounded and
suppressed by the release policy. What leaves is a :class:`~models.evaluation.Released` with a
receipt draft (signed at the moment of release, see ``EvaluationRows``) or a
:class:`~models.evaluation.Failed` with one coarse outcome class.

Nothing from the sandbox reaches the result but validated tensors turned into aggregates.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from importlib.metadata import version
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from access import Clock
from models.admission import AdmissionLimits, admit
from models.card import ModelCard, parse_card
from models.dataset import EvalScan, GroundTruth, load_scans
from models.errors import (
    AdmissionRefused,
    CardInvalid,
    DatasetError,
    MetricInputError,
    MetricSpecError,
    ModelsError,
    OutputError,
    RecipeError,
    SandboxFailure,
)
from models.evaluation import EnclavePolicy, Failed, JobResult, Released, Split, split_items
from models.evaluation_queue import Job
from models.metric_spec import MetricSpec, Results, parse_metric_spec
from models.metrics import anomaly_metrics, classification_metrics, detection_metrics
from models.outcomes import Outcome
from models.postprocess import MAX_DETECTIONS, anomaly_outputs, class_scores, detections
from models.preprocess import preprocess
from models.receipts import Evaluator, model_subject, receipt_predicate
from models.release import PRIMARY_METRIC, Budget, ReleasePolicy, release
from models.sandbox import Sandbox, SandboxLimits, TensorSpec
from transfer import Manifest, ManifestObject

__all__ = ["EVALUATOR", "EnclaveRunner", "ModelSource", "StoredModel"]

log = logging.getLogger("clearance.enclave")


def _evaluator() -> Evaluator:
    return Evaluator(
        name="clearance-enclave",
        version=version("clearance"),
        onnxruntime=version("onnxruntime"),
        onnx=version("onnx"),
    )


EVALUATOR = _evaluator()


@dataclass(frozen=True)
class StoredModel:
    """A registered model as the enclave reads it: its bytes and its card's MLM fields."""

    data: bytes
    card: Mapping[str, Any]
    name: str


class ModelSource(Protocol):
    def load(self, model_id: str) -> StoredModel | None: ...


class HoldingVersions(Protocol):
    def manifest(self, holding_id: str, version: int) -> tuple[Manifest, str] | None:
        """The verified manifest of that version and its hash, or None."""
        ...


@dataclass
class EnclaveRunner:
    models: ModelSource
    holdings: HoldingVersions
    read: Callable[[ManifestObject], bytes]
    granted_items: Callable[[str], list[str] | None]
    policy_of: Callable[[str], EnclavePolicy]
    clock: Clock
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    admission: AdmissionLimits = field(default_factory=AdmissionLimits)
    isolation: Literal["strict", "relaxed"] = "strict"

    def run(self, job: Job) -> JobResult:
        try:
            return self._run(job)
        except SandboxFailure as failure:
            return Failed(failure.outcome)
        except (OutputError, MetricInputError):
            return Failed(Outcome.WRONG_OUTPUT)
        except (AdmissionRefused, CardInvalid, MetricSpecError, RecipeError):
            # RecipeError: the card asks for what this holding's scans do not have (a low-energy
            # band of single-energy scans): the model is not admissible on this data.
            return Failed(Outcome.REFUSED_AT_ADMISSION)
        except ModelsError as exc:  # the node's own failure; its log gets the kind, not the text
            log.warning("evaluation %s failed inside the node: %s", job.id, type(exc).__name__)
            return Failed(Outcome.INTERNAL)

    def _run(self, job: Job) -> JobResult:
        stored = self.models.load(job.model_id)
        if stored is None or hashlib.sha256(stored.data).hexdigest() != job.model_sha256:
            raise DatasetError("the model is not the one the job pinned")
        card = parse_card(stored.card)
        admit(stored.data, card, self.admission)
        if job.spec.get("task", card.task) != card.task:
            raise MetricSpecError("the metric spec's task is not the model's task")
        spec = parse_metric_spec({**job.spec, "task": card.task})
        manifest, manifest_sha256 = self._manifest(job)
        items = split_items(Split(job.split), job.holding_id, self._granted(job, manifest))
        if not items:  # not the model's fault: never reported as its wrong output
            raise DatasetError("the split of the granted items is empty")
        results = self._score(stored.data, card, spec, load_scans(manifest, items, self.read))
        policy = self.policy_of(job.holding_id)
        released = release(results, ReleasePolicy(policy.grid, policy.min_count, policy.budget))
        primary = PRIMARY_METRIC[card.task]
        headline = released.values.get(primary)
        draft = {
            "subject": model_subject(stored.name, job.model_sha256),
            "predicate": receipt_predicate(
                evaluation_id=job.id, holding=job.holding_id, holding_version=job.holding_version,
                manifest_sha256=manifest_sha256, split=job.split, spec=spec,
                evaluator=EVALUATOR, released=released, budget=Budget(policy.budget),
                at=self.clock.now(), issuer=job.owner,
            ),
        }  # fmt: skip
        return Released(
            values=released.as_json(),
            metric=primary if headline is not None and headline.value is not None else None,
            score=None if headline is None else headline.value,
            draft=draft,
        )

    def _manifest(self, job: Job) -> tuple[Manifest, str]:
        found = self.holdings.manifest(job.holding_id, job.holding_version)
        if found is None or (job.manifest_sha256 and found[1] != job.manifest_sha256):
            raise DatasetError("the holding version is not the one the job pinned")
        return found

    def _granted(self, job: Job, manifest: Manifest) -> list[str]:
        """The version's items the grant covers: the items fixed when the steward approved (an
        item filter narrows them; items published since are not covered)."""
        granted = self.granted_items(job.grant_jti)
        if granted is None:
            raise DatasetError("the job's grant names no approved items")
        present = {o.item for o in manifest.objects}
        return sorted(present.intersection(granted))

    def _score(
        self, data: bytes, card: ModelCard, spec: MetricSpec, scans: Iterator[EvalScan]
    ) -> Results:
        outputs = [_tensor_spec(o.name, o.shape, o.data_type) for o in card.outputs]
        truths: list[_Truth] = []

        def tensors() -> Iterator[NDArray[np.float32]]:
            for scan in scans:  # one decrypted scan in memory at a time; only its truth is kept
                truths.append(_Truth(scan.width, scan.height, tuple(scan.objects)))
                yield preprocess(scan.high, scan.low, card.recipe)

        # The first scans are decrypted and preprocessed while the sandbox starts (spawn,
        # confine, session): a bounded read-ahead, stopped when the job ends either way.
        sandbox = partial(Sandbox, data, card.input_name, outputs, self.limits)
        with _ReadAhead(tensors(), depth=4) as ahead, sandbox(isolation=self.isolation) as box:
            scored = [(truths[i], result) for i, result in enumerate(box.map(ahead))]
        return _metrics(card, spec, scored)


class _ReadAhead:
    """Iterates ``source`` in a thread, ``depth`` items ahead of the consumer; the source's
    exception is raised in the consumer, in order; leaving the block stops the thread."""

    _END = object()

    def __init__(self, source: Iterator[NDArray[np.float32]], depth: int) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fill, args=(source,), daemon=True)

    def __enter__(self) -> _ReadAhead:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        while self._thread.is_alive():  # unblock a put() waiting on a full queue
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()

    def _fill(self, source: Iterator[NDArray[np.float32]]) -> None:
        try:
            for item in source:
                if not self._put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(exc)
            return
        self._put(self._END)

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            with contextlib.suppress(queue.Full):
                self._queue.put(item, timeout=0.05)
                return True
        return False

    def __iter__(self) -> Iterator[NDArray[np.float32]]:
        while (item := self._queue.get()) is not self._END:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]


@dataclass(frozen=True)
class _Truth:
    """What the metrics need of a scan once its images are gone."""

    width: int
    height: int
    objects: tuple[GroundTruth, ...]


def _tensor_spec(name: str, shape: Sequence[int | None], data_type: str) -> TensorSpec:
    elements = 1
    for dim in shape:
        elements *= dim if dim is not None and dim > 0 else MAX_DETECTIONS
    return TensorSpec(name, data_type, tuple(shape), elements)


Scored = Sequence[tuple[_Truth, Mapping[str, NDArray[Any]]]]


def _metrics(card: ModelCard, spec: MetricSpec, scored: Scored) -> Results:
    if card.task == "object-detection":
        return _detection(card, spec, scored)
    if card.task == "classification":
        return _classification(card, spec, scored)
    return _anomaly(card, spec, scored)


def _detection(card: ModelCard, spec: MetricSpec, scored: Scored) -> Results:
    """COCO ground truth with one category per card class (its value as the id), objects by HS
    code; objects of HS codes the model does not know are not its task and are left out."""
    value_of = {c.hs_code: c.value for c in reversed(card.classes)}
    categories = [{"id": c.value, "name": c.hs_code, "hs_code": c.hs_code} for c in card.classes]
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    found: list[dict[str, Any]] = []
    for image_id, (truth, outputs) in enumerate(scored, start=1):
        images.append({"id": image_id, "width": truth.width, "height": truth.height})
        for obj in truth.objects:
            if obj.hs_code in value_of:
                x, y, w, h = obj.bbox
                annotations.append({
                    "id": len(annotations) + 1, "image_id": image_id, "iscrowd": 0,
                    "category_id": value_of[obj.hs_code], "bbox": [x, y, w, h], "area": w * h,
                })  # fmt: skip
        found += detections(
            outputs, image_id=image_id, width=truth.width, height=truth.height,
            category_of_value={c.value: c.value for c in card.classes},
        )  # fmt: skip
    truth_doc = {"images": images, "annotations": annotations, "categories": categories}
    return detection_metrics(truth_doc, found, spec)


def _classification(card: ModelCard, spec: MetricSpec, scored: Scored) -> Results:
    codes = [c.hs_code for c in card.classes]
    present = [{o.hs_code for o in truth.objects} for truth, _ in scored]
    labels = np.array([[code in found for code in codes] for found in present])
    scores = np.array([class_scores(out, len(codes)) for _, out in scored])
    return classification_metrics(labels.reshape(len(scored), len(codes)), scores, codes, spec)


def _anomaly(card: ModelCard, spec: MetricSpec, scored: Scored) -> Results:
    """An image is anomalous when it holds an object of one of the card's classes (the HS codes
    the model was built to flag); its mask is those objects' boxes at the model's input size."""
    codes = {c.hs_code for c in card.classes}
    h, w = card.recipe.height, card.recipe.width
    labels, scores, masks, maps = [], [], [], []
    for truth, outputs in scored:
        score, amap = anomaly_outputs(outputs, h, w)
        flagged = [o for o in truth.objects if o.hs_code in codes]
        labels.append(bool(flagged))
        scores.append(score)
        if amap is not None:
            maps.append(amap)
            masks.append(_mask(flagged, truth, h, w))
    with_maps = len(maps) == len(scored) and bool(maps)
    return anomaly_metrics(
        np.array(labels), np.array(scores), spec,
        masks=np.array(masks) if with_maps else None, maps=np.array(maps) if with_maps else None,
    )  # fmt: skip


def _mask(objects: Sequence[GroundTruth], truth: _Truth, h: int, w: int) -> NDArray[np.bool_]:
    mask = np.zeros((h, w), dtype=bool)
    sx, sy = w / truth.width, h / truth.height
    for obj in objects:
        x, y, bw, bh = obj.bbox
        x0, y0 = int(x * sx), int(y * sy)
        x1, y1 = max(int(np.ceil((x + bw) * sx)), x0 + 1), max(int(np.ceil((y + bh) * sy)), y0 + 1)
        mask[y0:y1, x0:x1] = True
    return mask
