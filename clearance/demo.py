"""``clearance demo``: seed a data folder with four administrations' synthetic holdings and show
"what has who got" from two sides, so the effect of releasability is visible."""

from __future__ import annotations

import base64
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from access import (
    AuditLog,
    Conditions,
    Level,
    Mode,
    NewRequest,
    PurposeCode,
    Role,
    transfer_audience,
    verify_grant,
)
from catalog import who_has
from catalog.synth import generate_holding
from clearance.client.pull import PullOptions, pull
from clearance.client.text_tables import who_has_table
from clearance.demo_enclave import enclave_walkthrough
from clearance.http.app import create_app
from clearance.http.serving import serve_in_thread
from clearance.node import Node, open_node
from clearance.publishing.folder import publish_options
from clearance.publishing.options import PublishOptions
from clearance.settings import Settings
from transfer.crypt4gh import generate_private_key, public_key_bytes

__all__ = ["run_demo"]

_MARKER = ".clearance-demo"

ADMINISTRATIONS = {
    "AUS": "Australian Border Force",
    "GBR": "UK Border Force",
    "NLD": "Douane Nederland",
    "USA": "U.S. Customs and Border Protection",
}


@dataclass(frozen=True)
class DemoHolding:
    admin: str
    holding_id: str
    title: str
    kind: Literal["cargo", "parcel"]
    count: int
    level: str
    marking: str
    rel_to: str
    handling: str
    discovery: str

    def options(self) -> PublishOptions:
        return PublishOptions(
            holding=self.holding_id, title=self.title, description=self.title,
            level=self.level, marking=self.marking, rel_to=self.rel_to,
            handling=self.handling, discovery=self.discovery,
        )  # fmt: skip


HOLDINGS = (
    DemoHolding(
        "NLD",
        "NLD-rotterdam-cargo-2025",
        "Rotterdam container scans, annotated",
        "cargo",
        30,
        "R2",
        "Dep. Vertrouwelijk",
        "GBR,USA,AUS",
        "download",
        "partners",
    ),
    DemoHolding(
        "GBR",
        "GBR-parcel-hub-2025",
        "Parcel hub scans, undervaluation cases",
        "parcel",
        24,
        "R1",
        "OFFICIAL",
        "ALL",
        "download",
        "partners",
    ),
    DemoHolding(
        "USA",
        "USA-reefer-anomalies",
        "Reefer container anomalies (drug-associated)",
        "cargo",
        8,
        "R3",
        "LAW ENFORCEMENT SENSITIVE",
        "GBR",
        "enclave-only",
        "releasable",
    ),
    DemoHolding(
        "AUS",
        "AUS-post-pills",
        "International mail, pills in post",
        "parcel",
        40,
        "R2",
        "OFFICIAL: Sensitive",
        "GBR,NZL",
        "enclave-only",
        "partners",
    ),
)

USERS = (
    ("nld-analyst", "NLD", Role.RESEARCHER, Level.R2),
    ("gbr-analyst", "GBR", Role.RESEARCHER, Level.R3),
    ("usa-analyst", "USA", Role.RESEARCHER, Level.R3),
    ("aus-analyst", "AUS", Role.RESEARCHER, Level.R2),
    ("gbr-steward", "GBR", Role.STEWARD, Level.R3),
    ("aus-steward", "AUS", Role.STEWARD, Level.R3),
)


def _fresh_data_folder(settings: Settings) -> None:
    """The demo owns its folder: it resets one it made before and refuses any other."""
    folder = settings.data_dir
    if folder.exists() and any(folder.iterdir()):
        if not (folder / _MARKER).exists():
            raise ValueError(
                f"{folder} holds data the demo did not make; set CLEARANCE_DATA elsewhere"
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True, mode=0o700)
    (folder / _MARKER).write_text("made by `clearance demo`; deleted and re-made on every run\n")


def _seed(node: Node, sources: Path, echo: Callable[[str], None]) -> None:
    for code, name in ADMINISTRATIONS.items():
        node.directory.add_administration(code, name)
    for name, code, role, level in USERS:
        node.directory.add_user(name, admin=code, roles=[role], clearance=level)
    for seed, h in enumerate(HOLDINGS, start=1):
        folder = sources / h.holding_id
        generate_holding(folder, kind=h.kind, count=h.count, seed=seed, admin=h.admin)
        result = publish_options(node, folder, admin=h.admin, options=h.options())
        echo(
            f"  {h.admin} published {h.holding_id}: {result.items} scans, {h.level} "
            f"'{h.marking}', REL TO {h.rel_to}, {h.handling}, discovery {h.discovery}"
        )


def run_demo(settings: Settings, echo: Callable[[str], None] = print) -> Node:
    _fresh_data_folder(settings)
    node = open_node(settings)
    echo(f"Seeding {settings.data_dir} with synthetic holdings of {', '.join(ADMINISTRATIONS)}:")
    _seed(node, settings.data_dir / "sources", echo)
    for name in ("nld-analyst", "gbr-analyst"):
        principal = node.directory.user(name).principal()
        with node.sessions() as session:
            rows = who_has(session, principal)
        echo("")
        echo(who_has_table([r.as_json() for r in rows], f"{principal.user} ({principal.admin})"))
    echo("\nNLD does not see the USA reefer holding at all (discovery: releasable, REL TO GBR);")
    echo("GBR does. NLD may discover AUS-post-pills but not see its items (R2, REL TO GBR,NZL):")
    echo("its counts are controlled (each holding apart, rounded to 10, under 10 shown as <10);")
    echo("counts of holdings whose items you may see are exact.")
    token, key = _access_walkthrough(node, echo)
    _pull_walkthrough(node, token, key, settings.data_dir / "pulled", echo)
    enclave_walkthrough(node, settings.data_dir / "enclave", echo)
    _audit_walkthrough(node, settings, echo)
    echo("\nTry it:  export CLEARANCE_DATA=" + str(settings.data_dir))
    echo("         export CLEARANCE_URL=http://127.0.0.1:8000")
    echo("         export CLEARANCE_TOKEN=$(.venv/bin/clearance token nld-analyst)")
    echo("         .venv/bin/clearance holdings; .venv/bin/clearance search --limit 5")
    return node


def _ask(holding: str, purpose: str, mode: Mode, days: int) -> NewRequest:
    code = PurposeCode.MODEL_TRAINING if mode is Mode.DOWNLOAD else PurposeCode.MODEL_EVALUATION
    return NewRequest(
        holding_id=holding, purpose=purpose, purpose_code=code, mode=mode, duration_days=days
    )


def _access_walkthrough(node: Node, echo: Callable[[str], None]) -> tuple[str, X25519PrivateKey]:
    """The NLD analyst's grant for the GBR parcel holding, and the analyst's Crypt4GH key."""
    directory, requests, grants = node.directory, node.requests, node.grants
    keys = node.recipient_keys
    nld = directory.user("nld-analyst").principal()
    key = generate_private_key()
    keys.register(nld, base64.b64encode(public_key_bytes(key)).decode())
    echo("\nAccess: nld-analyst registers a Crypt4GH key and asks GBR for its parcel holding.")
    asked = requests.create(
        nld,
        _ask("GBR-parcel-hub-2025", "Train an undervaluation detector", Mode.DOWNLOAD, 90),
    )
    echo(f"  request {asked.id}: {asked.state}")
    steward = directory.user("gbr-steward").principal()
    approved = requests.approve(steward, asked.id, Conditions(), "purpose fits our policy")
    echo(f"  gbr-steward approves: {approved.state}, grant {approved.grant}")
    assert approved.grant is not None
    token = grants.grant_token(nld, approved.grant)
    grant = verify_grant(
        token,
        keys=directory.trusted_keys(),
        audience=transfer_audience("GBR"),
        now=node.clock.now(),
        is_revoked=grants.is_revoked,
        holding="GBR-parcel-hub-2025",
        operation="download",
    )
    echo("  the grant, verified (signature, issuer, audience, time, revocation) and decoded:")
    for name, value in (
        ("issuer", grant.issuer),
        ("subject", grant.subject),
        ("audience", grant.audience),
        ("holding", f"{grant.holding} v{grant.holding_version}"),
        ("items sha256", grant.items_sha256),
        ("operations", ", ".join(grant.operations)),
        ("expires", grant.expires_at.isoformat()),
        ("recipient key", grant.recipient_key.hex() if grant.recipient_key else "none"),
    ):
        echo(f"    {name:<14} {value}")
    usa = directory.user("usa-analyst").principal()
    keys.register(usa, base64.b64encode(public_key_bytes(generate_private_key())).decode())
    refused = requests.create(
        usa, _ask("AUS-post-pills", "Evaluate a pill detector", Mode.EVALUATION, 30)
    )
    echo(
        f"\nusa-analyst asks for AUS-post-pills (REL TO GBR,NZL): {refused.state}, "
        f"reason {refused.reason}"
    )
    return token, key


def _pull_walkthrough(
    node: Node, token: str, key: X25519PrivateKey, out: Path, echo: Callable[[str], None]
) -> None:
    """What `clearance pull` does, against this node served on a loopback port for the while."""
    echo("\nDownload: nld-analyst pulls the granted holding (clearance pull) from GBR's node.")
    with serve_in_thread(create_app(node)) as url:
        result = pull(PullOptions(url=url, grant=token, key=key, out=out, progress=False))
    echo(f"  {result.objects} objects, headers re-encrypted to nld-analyst's key only;")
    echo("  every segment and digest checked against GBR's signed manifest, then decrypted")
    echo(f"  local STAC catalogue: {result.catalog}")


def _audit_walkthrough(node: Node, settings: Settings, echo: Callable[[str], None]) -> None:
    report = node.audit.verify()
    echo(f"\nclearance audit verify: {'OK' if report.ok else 'FAILED'}, {report.entries} entries")
    copy = settings.data_dir / "tampered-copy.db"
    with node.engine.connect() as conn:  # the online backup API: includes what is in the WAL
        source = conn.connection.driver_connection
        assert isinstance(source, sqlite3.Connection)
        target = sqlite3.connect(copy)
        source.backup(target)
        target.close()
    engine = create_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET reason = 'nothing to see' WHERE seq = 3"))
    tampered = AuditLog(sessionmaker(engine), settings.keys_dir, node.clock).verify()
    echo("after a hand edit of entry 3 in a copy of the database:")
    for problem in tampered.problems:
        echo(f"  FAILED: {problem}")
    engine.dispose()
    copy.unlink()
