"""Model cards: STAC MLM item properties, read into a ``ModelCard`` and built into a STAC item.

A card is a JSON object of MLM v1.5.2 item properties (the card contract, docs/enclave.md "Model
cards"). ``parse_card`` bounds it (size, depth, members) before reading it, then checks what the
enclave relies on: one ``image`` input of float32 ``[1, C, H, W]`` in ``batch, bands, height,
width`` order whose bands are ``high``/``low``/``log-ratio``, a declarative recipe
(``models.preprocess.InputRecipe``), and the outputs of exactly one task with classes mapped to HS
codes. No expression or code from a card is ever run: processing functions are refused.
``model_item`` turns card fields into the registry's STAC item, validated against the shipped MLM
schema. Pure: no I/O but the packaged schema, the time is passed in.

MLM's task list has no anomaly detection: a card may name ``anomaly-detection`` (the enclave's
task), and the item then says ``classification`` (an image-level score) in ``mlm:tasks`` and
the enclave's task in ``clearance:task``; ``parse_card`` reads either form.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from access import utc_text
from models.card_schema import FILE_SCHEMA_URL, MLM_SCHEMA_URL, mlm_errors
from models.errors import CardInvalid, RecipeError
from models.limits import MAX_CARD_BYTES
from models.preprocess import InputRecipe

__all__ = [
    "MAX_CARD_BYTES",
    "MAX_DETECTIONS",
    "TASKS",
    "ClassSpec",
    "ModelCard",
    "OutputSpec",
    "bounded_card",
    "model_item",
    "parse_card",
]

TASKS: Final = ("object-detection", "classification", "anomaly-detection")
MAX_DETECTIONS: Final = 1000  # boxes per image an object detector may declare
_MAX_DEPTH: Final = 16
_MAX_NODES: Final = 20_000  # JSON values in the whole card
_MAX_CLASSES: Final = 1000
_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_. -]{1,98}[A-Za-z0-9]")  # within MLM's pattern
_HS_CODE: Final = re.compile(r"\d{4}(\d{2})?")
_DIM_ORDER: Final = ["batch", "bands", "height", "width"]
_TASK_FIELD: Final = "clearance:task"
# Outputs by task: name -> (data type, rank); "N" dims are symbolic or 1..MAX_DETECTIONS.
_OUTPUTS: Final[Mapping[str, Mapping[str, tuple[str, int]]]] = {
    "object-detection": {"boxes": ("float32", 2), "scores": ("float32", 1), "labels": ("int64", 1)},
    "classification": {"scores": ("float32", 2)},
    "anomaly-detection": {"score": ("float32", 1), "anomaly_map": ("float32", 3)},
}
_OPTIONAL_OUTPUTS: Final = frozenset({"anomaly_map"})


@dataclass(frozen=True)
class ClassSpec:
    """One class a model outputs: the model's ``value`` mapped to an HS code."""

    value: int
    hs_code: str
    description: str


@dataclass(frozen=True)
class OutputSpec:
    """One declared output; ``None`` in ``shape`` is a symbolic dimension (``-1`` in the card)."""

    name: str
    shape: tuple[int | None, ...]
    data_type: str
    classes: tuple[ClassSpec, ...] = ()


@dataclass(frozen=True)
class ModelCard:
    """What the enclave needs to know of a model, read from its card."""

    name: str
    task: str
    recipe: InputRecipe
    input_name: str
    outputs: tuple[OutputSpec, ...]

    @property
    def classes(self) -> tuple[ClassSpec, ...]:
        """The model's classes (every output that lists them lists the same)."""
        return next((o.classes for o in self.outputs if o.classes), ())

    def output(self, name: str) -> OutputSpec | None:
        return next((o for o in self.outputs if o.name == name), None)


# --------------------------------------------------------------------------------- bounds


def bounded_card(fields: object) -> dict[str, Any]:
    """``fields`` as a card object, refused when larger than the caps (before anything reads it):
    at most 256 KiB as JSON, 16 levels deep, 20,000 values."""
    if not isinstance(fields, Mapping):
        raise CardInvalid("the model card must be a JSON object")
    stack: list[tuple[object, int]] = [(fields, 1)]
    count = 0
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > _MAX_NODES or depth > _MAX_DEPTH:
            raise CardInvalid(
                f"the model card is too large: at most {_MAX_NODES} values, {_MAX_DEPTH} levels"
            )
        if isinstance(value, Mapping):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list | tuple):
            stack.extend((v, depth + 1) for v in value)
    try:
        size = len(json.dumps(fields, allow_nan=False).encode("utf-8"))
    except (TypeError, ValueError):
        raise CardInvalid("the model card must be plain JSON (no NaN or Infinity)") from None
    if size > MAX_CARD_BYTES:
        raise CardInvalid(f"the model card is larger than {MAX_CARD_BYTES} bytes as JSON")
    return dict(fields)


# --------------------------------------------------------------------------------- reading


def _get(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = obj.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise CardInvalid(f"{where}{key} is missing or not of the right type")
    return value


def _ints(value: object, where: str) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise CardInvalid(f"{where} must be a list of integers")
    return list(value)


def _task(fields: Mapping[str, Any]) -> str:
    tasks = fields.get("mlm:tasks")
    if not isinstance(tasks, list) or len(tasks) != 1:
        raise CardInvalid(f"mlm:tasks must hold exactly one of: {', '.join(TASKS)}")
    task = fields.get(_TASK_FIELD, tasks[0])
    if task not in TASKS or tasks[0] not in (task, _mlm_task(str(task))):
        raise CardInvalid(f"mlm:tasks must hold exactly one of: {', '.join(TASKS)}")
    return str(task)


def _mlm_task(task: str) -> str:
    """The MLM task naming ``task`` (MLM has no anomaly detection: an image-level score)."""
    return "classification" if task == "anomaly-detection" else task


def _recipe(fields: Mapping[str, Any]) -> tuple[str, InputRecipe]:
    inputs = fields.get("mlm:input")
    if not isinstance(inputs, list) or len(inputs) != 1 or not isinstance(inputs[0], dict):
        raise CardInvalid("mlm:input must hold exactly one input object")
    spec: dict[str, Any] = inputs[0]
    w = "mlm:input[0]."
    name = _get(spec, "name", str, w)
    if spec.get("pre_processing_function") is not None:
        raise CardInvalid(f"{w}pre_processing_function must be null: no code from a card is run")
    bands = spec.get("bands")
    if not isinstance(bands, list) or not all(isinstance(b, str) for b in bands):
        raise CardInvalid(f"{w}bands must be a list of band names (high, low, log-ratio)")
    structure = _get(spec, "input", dict, w)
    if structure.get("dim_order") != _DIM_ORDER:
        raise CardInvalid(f"{w}input.dim_order must be {_DIM_ORDER}")
    if structure.get("data_type") != "float32":
        raise CardInvalid(f"{w}input.data_type must be float32")
    shape = _ints(structure.get("shape"), f"{w}input.shape")
    if len(shape) != 4 or shape[0] not in (1, -1) or shape[1] != len(bands):
        raise CardInvalid(f"{w}input.shape must be [1, number of bands, height, width]")
    scaling, resize = spec.get("value_scaling"), spec.get("resize_type")
    bad_scaling = scaling is not None and not isinstance(scaling, list)
    if bad_scaling or not isinstance(resize, str | None):
        raise CardInvalid(f"{w}value_scaling must be a list or null, resize_type text or null")
    try:
        return name, InputRecipe.from_mlm(bands, shape[2], shape[3], scaling, resize)
    except RecipeError as exc:
        raise CardInvalid(f"{w}{exc}") from None


def _classes(out: Mapping[str, Any], where: str) -> tuple[ClassSpec, ...]:
    raw = out.get("classification:classes", [])
    if not isinstance(raw, list) or len(raw) > _MAX_CLASSES:
        raise CardInvalid(f"{where}classification:classes must be a list of at most 1000")
    classes = []
    for i, c in enumerate(raw):
        w = f"{where}classification:classes[{i}]"
        if not isinstance(c, dict):
            raise CardInvalid(f"{w} must be an object")
        value, code, text = c.get("value"), c.get("name"), c.get("description")
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**31:
            raise CardInvalid(f"{w}.value must be an integer from 0 to 2^31-1")
        if not isinstance(code, str) or not _HS_CODE.fullmatch(code):
            raise CardInvalid(f"{w}.name must be an HS code of 4 or 6 digits")
        if not isinstance(text, str) or not 1 <= len(text) <= 500:
            raise CardInvalid(f"{w}.description must be text of 1 to 500 characters")
        classes.append(ClassSpec(value, code, text))
    if len({c.value for c in classes}) != len(classes):
        raise CardInvalid(f"{where}classification:classes repeats a value")
    return tuple(classes)


def _output(out: object, i: int) -> OutputSpec:
    w = f"mlm:output[{i}]."
    if not isinstance(out, dict):
        raise CardInvalid(f"mlm:output[{i}] must be an object")
    if out.get("post_processing_function") is not None:
        raise CardInvalid(f"{w}post_processing_function must be null: no code from a card is run")
    name = _get(out, "name", str, w)
    result = _get(out, "result", dict, w)
    shape = _ints(result.get("shape"), f"{w}result.shape")
    if any(d == 0 or d < -1 for d in shape):
        raise CardInvalid(f"{w}result.shape dimensions must be positive, or -1 (symbolic)")
    dims = tuple(None if d == -1 else d for d in shape)
    return OutputSpec(name, dims, str(result.get("data_type")), _classes(out, w))


def _check_outputs(task: str, recipe: InputRecipe, outputs: Sequence[OutputSpec]) -> None:
    wanted = _OUTPUTS[task]
    names = [o.name for o in outputs]
    required = set(wanted) - _OPTIONAL_OUTPUTS
    if len(set(names)) != len(names) or not required <= set(names) <= set(wanted):
        raise CardInvalid(f"mlm:output of {task} must be named {', '.join(wanted)} (each once)")
    for o in outputs:
        data_type, rank = wanted[o.name]
        if o.data_type != data_type or len(o.shape) != rank:
            raise CardInvalid(f"mlm:output {o.name!r} must be {data_type} of rank {rank}")
    if len({o.classes for o in outputs if o.classes}) > 1:
        raise CardInvalid("mlm:output lists differ in their classification:classes")
    _check_task_shapes(task, recipe, {o.name: o for o in outputs})


def _check_task_shapes(task: str, recipe: InputRecipe, by_name: Mapping[str, OutputSpec]) -> None:
    classes = next((o.classes for o in by_name.values() if o.classes), ())
    if task == "object-detection":
        ns = {by_name[n].shape[0] for n in ("boxes", "scores", "labels")}
        if len(ns) != 1 or by_name["boxes"].shape[1] != 4:
            raise CardInvalid(
                "mlm:output of object-detection: boxes [N, 4], scores [N], labels [N]"
            )
        n = ns.pop()
        if n is not None and not 1 <= n <= MAX_DETECTIONS:
            raise CardInvalid(f"mlm:output of object-detection: N at most {MAX_DETECTIONS}")
        if not classes:
            raise CardInvalid("mlm:output of object-detection must list classification:classes")
    elif task == "classification":
        if not classes or by_name["scores"].shape != (1, len(classes)):
            raise CardInvalid("mlm:output scores must be [1, K], K classes listed on it")
    else:
        if by_name["score"].shape != (1,):
            raise CardInvalid("mlm:output score must be [1]")
        amap = by_name.get("anomaly_map")
        if amap is not None and amap.shape != (1, recipe.height, recipe.width):
            raise CardInvalid("mlm:output anomaly_map must be [1, H, W] of the model input")


def parse_card(fields: Mapping[str, Any]) -> ModelCard:
    """The card ``fields`` (MLM item properties) read and checked against the card contract."""
    fields = bounded_card(fields)
    name = fields.get("mlm:name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise CardInvalid(
            "mlm:name must be 3 to 100 letters, digits, '_', '.', '-' or spaces, "
            "starting with a letter and ending with a letter or digit"
        )
    if fields.get("mlm:framework") != "ONNX":
        raise CardInvalid('mlm:framework must be "ONNX"')
    if not isinstance(fields.get("mlm:architecture"), str):
        raise CardInvalid("mlm:architecture must be text")
    task = _task(fields)
    input_name, recipe = _recipe(fields)
    raw_outputs = fields.get("mlm:output")
    if not isinstance(raw_outputs, list) or not 1 <= len(raw_outputs) <= 3:
        raise CardInvalid("mlm:output must list the outputs of the task (1 to 3)")
    outputs = tuple(_output(o, i) for i, o in enumerate(raw_outputs))
    _check_outputs(task, recipe, outputs)
    return ModelCard(name, task, recipe, input_name, outputs)


# --------------------------------------------------------------------------------- the item

_BAND_TEXT: Final = {
    "high": "high-energy detector values",
    "low": "low-energy detector values",
    "log-ratio": "ln((low + 1) / (high + 1)), the dual-energy ratio",
}


def _mlm_properties(fields: Mapping[str, Any], card: ModelCard) -> dict[str, Any]:
    """The card's fields as MLM-valid item properties (the enclave's task kept beside)."""
    props = copy.deepcopy(dict(fields))
    mlm_task = _mlm_task(card.task)
    props["mlm:tasks"] = [mlm_task]
    props[_TASK_FIELD] = card.task
    for out in props["mlm:output"]:
        out["tasks"] = [mlm_task]
    props["bands"] = [{"name": b, "description": _BAND_TEXT[b]} for b in card.recipe.bands]
    return props


def model_item(
    card_fields: Mapping[str, Any],
    *,
    model_id: str,
    sha256: str,
    size: int,
    owner: str,
    created: datetime,
) -> dict[str, Any]:
    """The registry's STAC item of a model (MLM extension), validated against the MLM schema.

    The model asset's ``href`` is relative and never served: model bytes leave the registry
    only for the enclave."""
    card = parse_card(card_fields)
    props = _mlm_properties(card_fields, card)
    props.update({"datetime": utc_text(created), "clearance:owner": owner})
    item: dict[str, Any] = {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": [MLM_SCHEMA_URL, FILE_SCHEMA_URL],
        "id": model_id,
        "geometry": None,
        "properties": props,
        "links": [],
        "assets": {
            "model": {
                "href": "model.onnx",
                "type": "application/octet-stream; application=onnx",
                "title": "ONNX model (run in the enclave only)",
                "roles": ["mlm:model"],
                "mlm:artifact_type": "onnx",
                "file:size": size,
                "file:checksum": "1220" + sha256,  # multihash: sha2-256, 32 bytes
            }
        },
    }
    errors = mlm_errors(item)
    if errors:
        raise CardInvalid("the model card breaks the MLM schema: " + "; ".join(errors))
    return item
