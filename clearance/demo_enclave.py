"""The demo's enclave walkthrough: a GBR researcher scores models on AUS's enclave-only holding.

gbr-analyst asks for evaluation access to AUS-post-pills (enclave-only: the images may never
leave AUS), aus-steward approves, the demo detector (built here from synthetic scans) and a
random baseline are submitted with their cards, a worker scores both in the sandbox, the
receipts are verified with AUS's public keys only, and the leaderboard is shown. Then two
hostile models: one refused by the admission gate, one stopped by the sandbox.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from access import Conditions, Mode, NewRequest, Principal, PurposeCode
from clearance.enclave import enclave_runner, sandbox_limits
from clearance.node import Node
from models import ModelsError, SandboxLimits, Worker, verify_receipt

__all__ = ["enclave_walkthrough"]

HOLDING = "AUS-post-pills"
SPEC = {"metrics": ["map50", "map50_95", "ap50_per_class", "hit_rate_far1", "hit_rate_far5"]}
Echo = Callable[[str], None]


def enclave_walkthrough(node: Node, out: Path, echo: Echo) -> None:
    from models import write_demo_models

    gbr = node.directory.user("gbr-analyst").principal()
    grant = _evaluation_grant(node, gbr, echo)
    echo("  building the demo models from synthetic scans (clearance never downloads weights):")
    paths = write_demo_models(out / "models")
    ids = {name: _submit(node, gbr, paths[f"{name}.onnx"], paths[f"{name}.card.json"], echo)
           for name in ("detector", "baseline")}  # fmt: skip
    runner = enclave_runner(node)
    for name, model_id in ids.items():
        _evaluate(node, gbr, model_id, grant, SPEC)
        done = _run_one(node, runner)
        echo(f"\n  {name}: {done['state']}")
        _show_released(done, echo)
        _save_receipt(node, gbr, done, out, echo)
    board = node.evaluations.leaderboard(gbr, HOLDING)
    echo(f"\n  leaderboard of {HOLDING} (a new score shows only if it beats the best by a step):")
    for entry in board["entries"]:
        echo(f"    {entry['metric']:<8} {entry['score']:<6} model {entry['model_id']}")
    _hostile(node, gbr, grant, paths, echo)


def _evaluation_grant(node: Node, gbr: Principal, echo: Echo) -> str:
    echo(f"\nEnclave: gbr-analyst asks AUS for evaluation access to {HOLDING} (enclave-only).")
    new = NewRequest(HOLDING, "Score a pill detector", PurposeCode.MODEL_EVALUATION,
                     Mode.EVALUATION, 30)  # fmt: skip
    asked = node.requests.create(gbr, new)
    steward = node.directory.user("aus-steward").principal()
    approved = node.requests.approve(steward, asked.id, Conditions(), "evaluation only")
    assert approved.grant is not None
    echo(f"  request {asked.id} approved by aus-steward: grant {approved.grant} (evaluate only,")
    echo("  no Crypt4GH key needed: no image will ever be sent)")
    return approved.grant


def _submit(node: Node, who: Principal, model: Path, card: Path, echo: Echo) -> str:
    record = node.models.submit(
        who, model.read_bytes(), json.loads(card.read_text()), node.clock.now()
    )
    echo(f"  clearance model submit {model.name} --card {card.name}: {record.id} "
         f"(sha256 {record.sha256[:16]}..., admitted)")  # fmt: skip
    return record.id


def _evaluate(node: Node, who: Principal, model_id: str, grant: str, spec: dict[str, Any]) -> str:
    from models import NewEvaluation, Split

    new = NewEvaluation(model_id, HOLDING, Split.TEST, dict(spec), grant)
    return node.evaluations.submit(who, new).id


def _run_one(node: Node, runner: Any) -> dict[str, Any]:
    worker = Worker(node.jobs, runner, node.clock, "demo-worker")
    claimed = worker.run_once()
    assert claimed
    gbr = node.directory.user("gbr-analyst").principal()
    return max(node.evaluations.mine(gbr), key=lambda e: str(e["created"]))


def _show_released(done: dict[str, Any], echo: Echo) -> None:
    released = done.get("released") or {}
    for name, value in sorted((released.get("values") or {}).items()):
        if value["value"] is not None:
            echo(f"    {name:<16} {value['value']}  95% [{value['low']}, {value['high']}]")
    suppressed = released.get("suppressed") or []
    if suppressed:
        echo(f"    ({len(suppressed)} values suppressed: they rest on too few objects or images)")


def _save_receipt(node: Node, who: Principal, done: dict[str, Any], out: Path, echo: Echo) -> None:
    if done["state"] != "released":
        return
    receipt = node.evaluations.receipt(who, done["id"])
    path = out / "receipts" / f"{done['id']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(receipt, indent=2))
    jwks = out / "aus-jwks.json"
    jwks.write_text(json.dumps(node.directory.jwks("AUS"), indent=2))
    verified = verify_receipt(path.read_bytes(), json.loads(jwks.read_text()))
    echo(f"  receipt signed by {verified.issuer} ({verified.kid[:12]}...), verified with AUS's "
         f"JWKS only:\n    clearance receipt verify {path} --jwks {jwks}")  # fmt: skip


def _hostile(node: Node, gbr: Principal, grant: str, paths: dict[str, Path], echo: Echo) -> None:
    from models import custom_op_detector, looping_detector

    card = json.loads(paths["baseline.card.json"].read_text())
    echo("\n  hostile models:")
    try:
        node.models.submit(gbr, custom_op_detector(), {**card, "mlm:name": "custom op"},
                           node.clock.now())  # fmt: skip
        echo("    custom-op model: ADMITTED (this is a defect)")
    except ModelsError as refused:
        echo(f"    custom-op model: refused-at-admission ({refused})")
    looping = node.models.submit(gbr, looping_detector(), {**card, "mlm:name": "loop"},
                                 node.clock.now())  # fmt: skip
    _evaluate(node, gbr, looping.id, grant, {"metrics": ["map50"]})
    limits = sandbox_limits(node)
    short = SandboxLimits(limits.memory_bytes, 5, 30.0, limits.threads, limits.max_output_bytes)
    done = _run_one(node, enclave_runner(node, short))
    echo(
        f"    10^12-iteration Loop (admitted: standard ops only): {done['state']}, "
        f"outcome {done['outcome']} (5 s of CPU in the demo); nothing else is told"
    )
