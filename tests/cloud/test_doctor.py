"""``aofctl doctor --stage S`` and ``aofctl apply`` name the credentials a deployed stage lacks.

A deployed stage fails a node whose credential is missing instead of pretending; these find the
gap before the first incident, from the deployed functions' configuration (moto) or, when
nothing can be read, from ``.chalice/config.json``. Secret values are never printed.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from chalicelib.cli.main import main
from tests.cloud.conftest import REGION
from tests.cloud.incidents import ROOT, function_name
from tests.support.moto_sfn import _zip

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-doctor-secret",
    "SLACK_SIGNING_SECRET": "signing-doctor-secret",
    "PAGERDUTY_API_KEY": "pd-doctor-secret",
    "PAGERDUTY_WEBHOOK_TOKEN": "webhook-doctor-secret",
}
FUNCTIONS = ["api_handler", "agent_node", "approval_node", "http_node", "lifecycle", "slack_node", "transform_node"]


def aofctl(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def doctor(project: Path) -> tuple[int, str, str]:
    files = ["-f", str(ROOT / "agents"), "-f", str(ROOT / "flows")]
    return aofctl("doctor", "--stage", "dev", "--project-dir", str(project), *files)


def set_stage_env(project: Path, variables: dict[str, str]) -> None:
    path = project / ".chalice" / "config.json"
    config = json.loads(path.read_text())
    config["stages"]["dev"]["environment_variables"].update(variables)
    path.write_text(json.dumps(config))


def test_doctor_names_each_missing_credential_from_the_stage_config(project: Path) -> None:
    (project / ".chalice" / "deployed" / "dev.json").unlink()  # not deployed yet: read the config
    code, _, err = doctor(project)
    assert code == 1
    assert (
        "http_node: PAGERDUTY_API_KEY is not set; flow incident-auto-response calls PagerDuty (close-pagerduty)" in err
    )
    assert "slack_node: SLACK_BOT_TOKEN is not set" in err
    assert "api_handler: PAGERDUTY_WEBHOOK_SECRET or PAGERDUTY_WEBHOOK_TOKEN is not set" in err
    assert "post_incident_daily: SLACK_BOT_TOKEN is not set" in err
    assert "read from .chalice/config.json" in err

    set_stage_env(project, SECRETS)
    code, out, err = doctor(project)
    assert code == 0 and "every credential its flows need is set" in out
    assert not any(secret in out + err for secret in SECRETS.values())


def _deploy(aws: dict[str, Any], project: Path, env: dict[str, dict[str, str]]) -> None:
    """What ``chalice deploy`` leaves: functions with their environment, and the deployed record."""
    import boto3

    lambda_client = boto3.client("lambda", region_name=REGION)
    role = aws["iam"].create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    resources = []
    for short in FUNCTIONS:
        created = lambda_client.create_function(
            FunctionName=function_name(short),
            Runtime="python3.11",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": _zip()},
            Environment={"Variables": env.get(short, {})},
        )
        resources.append({"name": short, "resource_type": "lambda_function", "lambda_arn": created["FunctionArn"]})
    deployed = {"resources": resources, "schema_version": "2.0"}
    (project / ".chalice" / "deployed" / "dev.json").write_text(json.dumps(deployed))


def test_doctor_reads_what_the_deployed_functions_really_have(project: Path, aws: dict[str, Any]) -> None:
    # Secrets injected by the pipeline, not in config.json; the http function was missed.
    env = {short: dict(SECRETS) for short in FUNCTIONS}
    del env["http_node"]["PAGERDUTY_API_KEY"]
    _deploy(aws, project, env)
    code, _, err = doctor(project)
    assert code == 1
    findings = [line for line in err.splitlines() if line.startswith("missing: ")]
    assert findings == [
        "missing: http_node: PAGERDUTY_API_KEY is not set; flow incident-auto-response calls PagerDuty (close-pagerduty)",
        "missing: post_incident_daily: not deployed, but flow post-incident-daily posts its report to Slack",
    ]
    assert "read from the deployed functions" in err


def test_apply_warns_about_missing_credentials_after_applying(project: Path, aws: dict[str, Any]) -> None:
    code, out, err = aofctl(
        "apply", "-f", str(ROOT / "agents"), "-f", str(ROOT / "flows"), "--stage", "dev", "--project-dir", str(project)
    )
    assert code == 0 and "change(s) applied" in out
    assert "warning: http_node: PAGERDUTY_API_KEY is not set" in err
