"""terraform/: every file parses, checkov finds nothing it does not say why, and the
configuration keeps the promises of docs/operations.md (read from the parsed HCL, not from text).

No provider can be downloaded here, so ``terraform validate`` cannot run: python-hcl2 parses every
file (a syntax error fails), checkov checks the configuration (its ``parsing_errors`` must be
empty: checkov exits 0 on files it could not parse), and the assertions below check the rest.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lark.exceptions import LarkError

from tests.deploy.tools import REPO, checkov_json, load_tf

TERRAFORM = REPO / "terraform"
TF_FILES = sorted(TERRAFORM.rglob("*.tf"))


def _parse_all(folder: Path) -> dict[Path, dict[str, Any]]:
    """Every .tf file under ``folder`` parsed; the first that does not parse raises, named."""
    parsed = {}
    for path in sorted(folder.rglob("*.tf")):
        try:
            parsed[path] = load_tf(path)
        except (LarkError, ValueError) as exc:
            raise AssertionError(f"{path.relative_to(folder)} does not parse: {exc}") from exc
    return parsed


@pytest.fixture(scope="module")
def config() -> dict[Path, dict[str, Any]]:
    return _parse_all(TERRAFORM)


def _blocks(config: dict[Path, dict[str, Any]], kind: str) -> Iterator[tuple[str, str, Any]]:
    """(type, name, body) of every resource (kind="resource") or data source (kind="data")."""
    for parsed in config.values():
        for entry in parsed.get(kind, []):
            for type_, named in entry.items():
                for name, body in named.items():
                    yield type_, name, body


def _of_type(
    config: dict[Path, dict[str, Any]], type_: str, kind: str = "resource"
) -> dict[str, Any]:
    found = {name: body for t, name, body in _blocks(config, kind) if t == type_}
    assert found, f"no {type_} in terraform/"
    return found


def _first(body: dict[str, Any], *path: str) -> Any:
    """Follow nested blocks (each a list of one dict in HCL's parse) down ``path``."""
    value: Any = body
    for key in path:
        value = value[key]
        if isinstance(value, list) and value and isinstance(value[0], dict):
            value = value[0]
    return value


# --- parsing -----------------------------------------------------------------------------------


def test_every_tf_file_parses(config: dict[Path, dict[str, Any]]) -> None:
    assert len(TF_FILES) >= 30
    assert set(config) == set(TF_FILES)
    modules = {p.parent.name for p in TF_FILES if p.parent.parent.name == "modules"}
    assert modules == {
        "network", "roles", "kms", "storage", "database", "secrets", "service", "monitoring",
    }  # fmt: skip
    for folder in {p.parent for p in TF_FILES}:
        names = {p.name for p in folder.glob("*.tf")}
        assert {"variables.tf", "outputs.tf", "versions.tf"} <= names, folder


def test_a_syntax_error_fails(tmp_path: Path) -> None:
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, copy)
    broken = copy / "modules" / "storage" / "broken.tf"
    broken.write_text('resource "aws_s3_bucket" "x" {\n  bucket = "unclosed\n')
    with pytest.raises(AssertionError, match=r"modules/storage/broken\.tf does not parse"):
        _parse_all(copy)
    broken.write_text('resource "aws_s3_bucket" "x" {\n  bucket = "b"\n')  # a missing brace
    with pytest.raises(AssertionError, match=r"broken\.tf does not parse"):
        _parse_all(copy)


def test_checkov_reports_a_parse_error_that_its_exit_code_hides(tmp_path: Path) -> None:
    """Why the suite reads parsing_errors: checkov passes a folder with an unparsable file."""
    folder = tmp_path / "tf"
    folder.mkdir()
    (folder / "broken.tf").write_text('resource "aws_s3_bucket" "x" {\n  bucket = "b"\n')
    (report,) = checkov_json("--directory", str(folder), "--framework", "terraform")
    assert report["summary"]["failed"] == 0
    assert report["summary"]["parsing_errors"] == 1


# --- checkov ---------------------------------------------------------------------------------


def _check_report(report: dict[str, Any]) -> None:
    summary = report["summary"]
    assert summary["parsing_errors"] == 0, report["results"].get("parsing_errors")
    failed = [
        (c["check_id"], c["resource"], c["file_path"]) for c in report["results"]["failed_checks"]
    ]
    assert failed == [], "checkov failed checks"
    for skipped in report["results"].get("skipped_checks", []):
        reason = (skipped.get("check_result") or {}).get("suppress_comment", "")
        assert len(reason) >= 30, (skipped["check_id"], skipped["resource"], reason)


def test_checkov_finds_nothing_in_terraform() -> None:
    (report,) = checkov_json("--directory", "terraform", "--framework", "terraform")
    _check_report(report)
    assert report["summary"]["passed"] > 300
    assert report["summary"]["resource_count"] > 100


# --- the configuration's promises ---------------------------------------------------------------

BUCKET_PARTS = (
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_ownership_controls",
)


def test_every_bucket_is_kms_encrypted_private_versioned_and_tls_only(
    config: dict[Path, dict[str, Any]],
) -> None:
    buckets = _of_type(config, "aws_s3_bucket")
    assert set(buckets) == {"blob", "audit", "access_logs"}
    parts = {part: _of_type(config, part) for part in BUCKET_PARTS}
    policies = _of_type(config, "aws_iam_policy_document", kind="data")
    for name in buckets:
        for part, found in parts.items():
            assert found[name]["bucket"] == f"${{aws_s3_bucket.{name}.id}}", (name, part)
        rule = _first(parts[BUCKET_PARTS[0]][name], "rule")
        default = _first(rule, "apply_server_side_encryption_by_default")
        assert default["sse_algorithm"] == "aws:kms", name
        assert re.fullmatch(r"\$\{var\.\w+_kms_key_arn\}", default["kms_master_key_id"]), name
        block = parts["aws_s3_bucket_public_access_block"][name]
        for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                     "restrict_public_buckets"):  # fmt: skip
            assert block[flag] is True, (name, flag)
        versioning = _first(parts["aws_s3_bucket_versioning"][name], "versioning_configuration")
        assert versioning["status"] == "Enabled", name
        owner = _first(parts["aws_s3_bucket_ownership_controls"][name], "rule")
        assert owner["object_ownership"] == "BucketOwnerEnforced"
        lifecycle = parts["aws_s3_bucket_lifecycle_configuration"][name]["rule"]
        aborts = [r for r in lifecycle if "abort_incomplete_multipart_upload" in r]
        assert aborts and all(r["status"] == "Enabled" for r in aborts), name
        denials = {s["sid"]: s for s in policies[name]["statement"] if s.get("effect") == "Deny"}
        tls = _first(denials["DenyPlainHttp"], "condition")
        assert (tls["variable"], tls["values"]) == ("aws:SecureTransport", ["false"])
    logging = _of_type(config, "aws_s3_bucket_logging")
    assert set(logging) == {"blob", "audit"}
    assert all(v["target_bucket"] == "${aws_s3_bucket.access_logs.id}" for v in logging.values())


def test_the_audit_bucket_is_under_object_lock(config: dict[Path, dict[str, Any]]) -> None:
    assert _of_type(config, "aws_s3_bucket")["audit"]["object_lock_enabled"] is True
    lock = _of_type(config, "aws_s3_bucket_object_lock_configuration")["audit"]
    retention = _first(lock, "rule", "default_retention")
    assert retention == {"mode": "${var.audit_lock_mode}", "days": "${var.audit_retention_days}"}


def test_the_database_is_encrypted_backed_up_private_and_protected(
    config: dict[Path, dict[str, Any]],
) -> None:
    (db,) = _of_type(config, "aws_db_instance").values()
    assert db["storage_encrypted"] is True
    assert db["kms_key_id"] == "${var.kms_key_arn}"
    assert db["deletion_protection"] is True
    assert db["publicly_accessible"] is False
    assert db["multi_az"] == "${var.multi_az}"
    assert db["backup_retention_period"] == "${var.backup_retention_days}"
    assert db["manage_master_user_password"] is True
    assert db["performance_insights_kms_key_id"] == "${var.kms_key_arn}"
    (group,) = _of_type(config, "aws_db_parameter_group").values()
    assert {"name": "rds.force_ssl", "value": "1"} in group["parameter"]
    variables = load_tf(TERRAFORM / "modules" / "database" / "variables.tf")["variable"]
    defaults = {k: v.get("default") for entry in variables for k, v in entry.items()}
    assert defaults["multi_az"] is True
    assert defaults["backup_retention_days"] >= 7


def _ingress_rules(config: dict[Path, dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for type_, name, body in _blocks(config, "resource"):
        if type_ == "aws_vpc_security_group_ingress_rule":
            yield name, body
        elif type_ == "aws_security_group":
            for rule in body.get("ingress", []):
                yield name, {**rule, "security_group_id": f"${{aws_security_group.{name}.id}}"}
        else:
            assert type_ != "aws_security_group_rule", "rules are declared one way only"


def test_only_the_load_balancer_takes_traffic_from_anywhere_on_443_and_80(
    config: dict[Path, dict[str, Any]],
) -> None:
    open_ingress = []
    for name, rule in _ingress_rules(config):
        text = repr(rule)
        assert "0.0.0.0/0" not in text and "::/0" not in text, name  # never written literally
        if "referenced_security_group_id" in rule:
            continue
        sources = rule.get("cidr_ipv4") or rule.get("cidr_blocks")
        if sources == "${aws_subnet.private[*].cidr_block}":
            continue  # the VPC endpoints, from the node's own private subnets
        open_ingress.append((name, rule["security_group_id"], rule["from_port"], rule["to_port"]))
        assert sources == "${each.value}" and rule["for_each"] == "${toset(var.allowed_cidrs)}"
    assert sorted(open_ingress) == [
        ("alb_http_redirect", "${aws_security_group.alb.id}", 80, 80),
        ("alb_https", "${aws_security_group.alb.id}", 443, 443),
    ]
    routes = [r for t, _, b in _blocks(config, "resource") if t == "aws_route_table"
              for r in b.get("route", [])]  # fmt: skip
    assert routes == [{"cidr_block": "0.0.0.0/0", "gateway_id": "${aws_internet_gateway.this.id}"}]


def test_https_with_tls_1_2_or_newer_and_http_only_redirects(
    config: dict[Path, dict[str, Any]],
) -> None:
    listeners = _of_type(config, "aws_lb_listener")
    assert set(listeners) == {"https", "http"}
    https, http = listeners["https"], listeners["http"]
    assert (https["port"], https["protocol"]) == (443, "HTTPS")
    assert https["ssl_policy"] in {"ELBSecurityPolicy-TLS13-1-2-2021-06",
                                   "ELBSecurityPolicy-TLS13-1-3-2021-06"}  # fmt: skip
    assert (http["port"], http["protocol"]) == (80, "HTTP")
    action = _first(http, "default_action")
    assert action["type"] == "redirect"
    assert _first(action, "redirect") == {
        "port": "443", "protocol": "HTTPS", "status_code": "HTTP_301",
    }  # fmt: skip
    (lb,) = _of_type(config, "aws_lb").values()
    assert lb["drop_invalid_header_fields"] is True
    (target_group,) = _of_type(config, "aws_lb_target_group").values()
    assert _first(target_group, "health_check")["path"] == "/readyz"


def _statements(config: dict[Path, dict[str, Any]]) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    for path, parsed in config.items():
        for entry in parsed.get("data", []):
            for name, body in entry.get("aws_iam_policy_document", {}).items():
                for statement in body.get("statement", []):
                    yield path, name, statement


DATA_OR_KEY_SERVICES = ("s3:", "kms:", "secretsmanager:", "rds:", "rds-db:", "dynamodb:")
#: Actions that take no resource (account-level calls): "*" is the only resource they accept.
RESOURCELESS = {"ecr:GetAuthorizationToken", "ecs:DiscoverPollEndpoint", "ecs:Poll"}


def test_no_wildcard_iam_actions_on_data_or_keys(config: dict[Path, dict[str, Any]]) -> None:
    checked = 0
    for path, name, statement in _statements(config):
        actions = statement.get("actions", [])
        assert "not_actions" not in statement, (path.name, name)
        if statement.get("effect", "Allow") == "Deny":
            continue  # a Deny of s3:* (TLS-only bucket policies) takes rights away
        for action in actions:
            checked += 1
            assert "*" not in action, (path.name, name, action)
        key_policy = path.parent.name == "kms"  # in a key policy, resource "*" is the key itself
        resources = statement.get("resources", [])
        resources = resources if isinstance(resources, list) else [resources]  # an expression
        if "*" in resources and not key_policy:
            assert set(actions) <= RESOURCELESS, (path.name, name, actions)
        if key_policy:
            principals = _first(statement, "principals")
            assert "*" not in principals["identifiers"], (name, statement.get("sid"))
        elif any(a.startswith(DATA_OR_KEY_SERVICES) for a in actions):
            assert resources and "*" not in resources, (path.name, name, actions)
    assert checked > 60


def test_kms_keys_rotate_and_the_enclave_key_needs_an_attested_pcr0(
    config: dict[Path, dict[str, Any]],
) -> None:
    keys = _of_type(config, "aws_kms_key")
    assert set(keys) == {"blob", "audit", "database", "secrets", "logs", "enclave"}
    for name, key in keys.items():
        assert key["enable_key_rotation"] is True, name
        assert key["policy"] == (
            f"${{data.aws_iam_policy_document.{name}{'[0]' if name == 'enclave' else ''}.json}}"
        )
    documents = _of_type(config, "aws_iam_policy_document", kind="data")
    decrypt = [s for s in documents["enclave"]["statement"] if "kms:Decrypt" in s["actions"]]
    assert len(decrypt) == 1
    condition = _first(decrypt[0], "condition")
    assert condition["variable"] == "kms:RecipientAttestation:PCR0"
    assert condition["values"] == ["${var.enclave_pcr0}"]


def test_logs_secrets_and_alarms_are_encrypted_with_customer_keys(
    config: dict[Path, dict[str, Any]],
) -> None:
    for name, group in _of_type(config, "aws_cloudwatch_log_group").items():
        assert group["kms_key_id"].endswith("kms_key_arn}"), name
        assert group["retention_in_days"] == "${var.log_retention_days}", name
    for name, secret in _of_type(config, "aws_secretsmanager_secret").items():
        assert secret["kms_key_id"] == "${var.kms_key_arn}", name
    for name, topic in _of_type(config, "aws_sns_topic").items():
        assert topic["kms_master_key_id"] == "${var.logs_kms_key_arn}", name


def test_the_tasks_run_the_images_entry_point_and_health_check(
    config: dict[Path, dict[str, Any]],
) -> None:
    from tests.deploy.test_dockerfile import instruction_json

    service = load_tf(TERRAFORM / "modules" / "service" / "main.tf")
    (locals_,) = service["locals"]
    assert locals_["health_check"]["command"] == ["CMD", *instruction_json("HEALTHCHECK")]
    text = (TERRAFORM / "modules" / "service" / "main.tf").read_text()
    text += (TERRAFORM / "modules" / "service" / "workers.tf").read_text()
    commands = set(re.findall(r'command\s+=\s+(\["(?!CMD")[^\]]*\])', text))
    assert commands == {'["serve"]', '["migrate"]', '["worker"]', '["ceremony", "admin", "list"]',
                        '["audit-archive"]', '["queue-metrics", "--interval", "60"]'}  # fmt: skip
    # All but the worker (root: its sandbox child drops to nobody) run as the image's user.
    assert text.count('user                   = "10001:10001"') == 5
    assert text.count("readonlyRootFilesystem = true") == 6


#: IAM resources of a long-lived identity with a static key: the node signs with task roles.
STATIC_IDENTITIES = {
    "aws_iam_user", "aws_iam_access_key", "aws_iam_user_policy", "aws_iam_user_policy_attachment",
    "aws_iam_user_login_profile", "aws_iam_user_group_membership", "aws_iam_group",
    "aws_iam_group_membership", "aws_iam_group_policy", "aws_iam_group_policy_attachment",
}  # fmt: skip


def _hcl(value: Any) -> str:
    """A parsed HCL value written back as an expression (the inverse of load_tf, roughly)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {_hcl(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_hcl(item) for item in value) + "]"
    if isinstance(value, str):
        expression = re.fullmatch(r"\$\{(.*)\}", value, flags=re.S)
        return expression[1] if expression else json.dumps(value)
    return json.dumps(value)


def _entry_value(text: str, start: int) -> str:
    """The expression from ``start`` to the ``}`` that closes its ``{name = ..., value = ...}``."""
    depth, quoted = 0, False
    for index in range(start, len(text)):
        char = text[index]
        if char == '"' and text[index - 1] != "\\":
            quoted = not quoted
        elif quoted:
            continue
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                return text[start:index].strip()
            depth -= 1
    raise AssertionError(f"unclosed entry: {text[start:][:80]}")


def _container_variables(expression: str, locals_: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """A task's container definitions (a jsonencode expression, as python-hcl2 leaves it) with
    the service module's locals written in: {name: ("value"|"valueFrom", expression)}."""
    written = {name: _hcl(value) for name, value in locals_.items()}
    for _ in range(5):  # locals referring to locals (node_environment -> db_environment)
        expression = re.sub(r"\blocal\.(\w+)\b", lambda m: written[m[1]], expression)
    assert "local." not in expression, expression
    variables: dict[str, tuple[str, str]] = {}
    for entry in re.finditer(r'\{name = "(\w+)", (value|valueFrom) = ', expression):
        name, kind = entry[1], entry[2]
        assert name not in variables, name  # one entry per variable
        variables[name] = (kind, _entry_value(expression, entry.end()))
    return variables


def test_the_node_signs_s3_requests_with_its_task_roles_not_a_static_key(
    config: dict[Path, dict[str, Any]],
) -> None:
    found = sorted(
        (type_, name) for type_, name, _ in _blocks(config, "resource")
        if type_ in STATIC_IDENTITIES
    )  # fmt: skip
    assert found == [], "no IAM user, group or access key: the node signs with task roles"
    (locals_,) = load_tf(TERRAFORM / "modules" / "service" / "main.tf")["locals"]
    definitions = _of_type(config, "aws_ecs_task_definition")
    with_bucket = set()
    for task, body in definitions.items():
        variables = _container_variables(body["container_definitions"], locals_)
        assert "CLEARANCE_S3_ACCESS_KEY" not in variables, task
        assert "CLEARANCE_S3_SECRET_KEY" not in variables, task
        if "CLEARANCE_S3_BUCKET" in variables:  # it opens the blob store: without a key, a role
            with_bucket.add(task)
            assert variables["CLEARANCE_S3_BUCKET"] == ("value", "var.blob_bucket"), task
            assert variables["CLEARANCE_S3_CREDENTIALS"] == ("value", '"role"'), task
            assert variables["CLEARANCE_STORAGE_PASSPHRASE"][0] == "valueFrom", task
    assert {"api", "worker"} <= with_bucket
    assert definitions["api"]["task_role_arn"] == "${var.api_role_arn}"
    assert definitions["worker"]["task_role_arn"] == "${var.worker_role_arn}"
    # Those two task roles, and no other, may use the blob bucket and its key (through S3).
    policies = _of_type(config, "aws_iam_role_policy")
    assert policies["blob_store"]["for_each"] == "${toset(var.blob_role_names)}"
    assert policies["blob_store"]["role"] == "${each.value}"
    assert policies["blob_store"]["policy"] == "${data.aws_iam_policy_document.blob_store.json}"
    example = load_tf(TERRAFORM / "examples" / "one-node" / "main.tf")
    modules = {name: body for entry in example["module"] for name, body in entry.items()}
    assert modules["storage"]["blob_role_names"] == [
        "${module.roles.api_role_name}", "${module.roles.worker_role_name}",
    ]  # fmt: skip
    assert modules["kms"]["blob_role_arns"] == [
        "${module.roles.api_role_arn}", "${module.roles.worker_role_arn}",
    ]  # fmt: skip
    kms = load_tf(TERRAFORM / "modules" / "kms" / "main.tf")
    documents = {
        k: v for entry in kms["data"] for k, v in entry.get("aws_iam_policy_document", {}).items()
    }
    (uses,) = [s for s in documents["blob"]["statement"] if s["sid"] == "NodeUsesThroughS3"]
    assert _first(uses, "principals")["identifiers"] == "${var.blob_role_arns}"


def test_terraform_fmt_if_terraform_is_here() -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("no terraform binary on this machine (parsing and checkov cover the rest)")
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", str(TERRAFORM)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout


def test_every_alarm_is_explained_in_the_operations_guide(
    config: dict[Path, dict[str, Any]],
) -> None:
    monitoring = load_tf(TERRAFORM / "modules" / "monitoring" / "main.tf")
    (locals_,) = monitoring["locals"]
    names = [*locals_["metric_alarms"], *locals_["log_alarms"], "audit-archive-missing"]
    guide = (REPO / "docs" / "operations.md").read_text()
    for name in names:
        assert f"`{name}`" in guide, name
    for body in locals_["metric_alarms"].values():
        assert len(body["description"]) > 60
