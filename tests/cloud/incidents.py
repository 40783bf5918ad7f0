"""One tutorial incident, end to end, in one mode; run as ``python -m tests.cloud.incidents``.

``cloud``: ``aofctl apply`` against moto, the Chalice app's routes through ``chalice.test.Client``,
moto Step Functions executing the applied definition with every Lambda invocation dispatched
in-process to ``app.py``'s node functions, DynamoDB (moto) as the store.
``embedded``: the same routes and flows on the embedded engine (SQLite).

Both talk to a sandbox cluster, a scripted Anthropic and OpenAI server, and local Slack and
PagerDuty servers. Each incident runs in its own process because the app's backend (and a
deployment's cluster) is one per process; the parent runs them side by side (the remediation
agent watches its change for a while) and compares what they report.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"
FLOW = "incident-auto-response"
APP_NAME = "aof-incident-response"
STAGE = "dev"
PREFIX = "aofe2e"
APPROVER = "U0APPROVER1"
SCENARIOS = {"TEST001": "test001-high-memory", "TEST002": "test002-postgres-down"}
SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-e2e-token",
    "SLACK_SIGNING_SECRET": "e2e-signing-secret",
    "PAGERDUTY_API_KEY": "e2e-pd-key",
    "PAGERDUTY_WEBHOOK_TOKEN": "e2e-webhook-token",
    "ANTHROPIC_API_KEY": "sk-ant-e2e",
    "OPENAI_API_KEY": "sk-e2e",
}
SPEED = 3.0
TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
#: The AWS calls of a ``cloud-iam`` run, reported even when the run fails.
RECORDED: Any = None


def function_name(short: str) -> str:
    """What ``chalice deploy`` names a ``@app.lambda_function``."""
    return f"{APP_NAME}-{STAGE}-{short}"


def write_deployed(project: Path, account: str, region: str) -> None:
    """The ``.chalice/deployed/dev.json`` that ``chalice deploy`` leaves behind."""
    from chalicelib.deploy.desired import ASYNC_FUNCTIONS
    from chalicelib.nodes.dispatch import PLACEHOLDER_FUNCTIONS

    resources: list[dict[str, Any]] = [
        {
            "name": short,
            "resource_type": "lambda_function",
            "lambda_arn": f"arn:aws:lambda:{region}:{account}:function:{function_name(short)}",
        }
        for short in [*PLACEHOLDER_FUNCTIONS.values(), *ASYNC_FUNCTIONS]
    ]
    resources.append({"name": "rest_api", "resource_type": "rest_api", "rest_api_id": "abc123"})
    deployed = project / ".chalice" / "deployed"
    deployed.mkdir(parents=True, exist_ok=True)
    (deployed / f"{STAGE}.json").write_text(json.dumps({"resources": resources, "schema_version": "2.0"}))
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    # What an operator's own copy of the config adds: who may approve (apply refuses without it).
    config["stages"][STAGE].setdefault("environment_variables", {})["SLACK_APPROVERS"] = "U0ONCALL"
    (project / ".chalice" / "config.json").write_text(json.dumps(config, indent=2))


@contextmanager
def far_side(incident_id: str) -> Iterator[dict[str, Any]]:
    from tests.cloud.scripted_llm import anthropic_turn, openai_turn
    from tests.fakes.anthropic_api import FakeAnthropic
    from tests.fakes.openai_api import FakeOpenAI
    from tests.fakes.pagerduty_api import FakePagerDutyAPI
    from tests.fakes.slack_api import FakeSlackAPI

    with ExitStack() as stack:
        slack = stack.enter_context(FakeSlackAPI(tokens=(SECRETS["SLACK_BOT_TOKEN"],)))
        pagerduty = stack.enter_context(FakePagerDutyAPI(api_key=SECRETS["PAGERDUTY_API_KEY"]))
        anthropic = stack.enter_context(FakeAnthropic([anthropic_turn] * 50))
        openai = stack.enter_context(FakeOpenAI([openai_turn] * 50))
        pagerduty.add_incident(incident_id, title=_event(incident_id)["event"]["incident"]["title"])
        yield {"slack": slack, "pagerduty": pagerduty, "anthropic": anthropic, "openai": openai}


def _event(incident_id: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / f"tutorial-{incident_id.lower()}.json").read_text())
    return loaded


def environment(
    cluster_env: dict[str, str], far: dict[str, Any], extra: dict[str, str], without: tuple[str, ...] = ()
) -> dict[str, str]:
    import os

    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AOF_", "AWS_"))},
        "KUBECONFIG": cluster_env["KUBECONFIG"],
        "KUBECACHEDIR": cluster_env["KUBECACHEDIR"],
        **{k: v for k, v in SECRETS.items() if k not in without},
        "SLACK_API_URL": far["slack"].api_url,
        "SLACK_APPROVERS": APPROVER,
        "PAGERDUTY_API_URL": far["pagerduty"].url,
        "PAGERDUTY_FROM_EMAIL": "oncall@example.com",
        "ANTHROPIC_BASE_URL": far["anthropic"].url,
        "OPENAI_BASE_URL": far["openai"].url + "/v1",
        "AOF_WEBHOOK_FLOW": FLOW,
        # The operator's override of the flow's 60 s watch after each change: the sandbox
        # runs at SPEED, so a few seconds see the rollout settle (or not).
        "AOF_MONITOR_SECONDS": "6",
        **extra,
    }


# --------------------------------------------------------------------------- the two doors


def post_incident(client: Any, incident_id: str, event: dict[str, Any] | None = None) -> dict[str, Any]:
    body = json.dumps(event or _event(incident_id))
    response = client.http.post(
        "/pagerduty/webhook",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {SECRETS['PAGERDUTY_WEBHOOK_TOKEN']}"},
        body=body,
    )
    assert response.status_code == 202, (response.status_code, response.body)
    answer: dict[str, Any] = json.loads(response.body)
    return answer


def click_approve(client: Any, store: Any, run_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Wait for the approval message, then press its Approve button as the on-call engineer."""
    from tests.fakes.signing import sign_slack

    deadline = time.monotonic() + timeout
    while True:
        pending = store.approvals.find_pending_by_run(run_id)
        if pending and pending[0].message_ts:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"no approval was requested for {run_id}")
        time.sleep(0.1)
    approval = pending[0]
    payload = json.loads((EVENTS / "slack-block-actions.json").read_text())
    payload["user"]["id"] = APPROVER
    payload["actions"][0]["value"] = approval.approval_id
    payload["container"].update(channel_id=approval.channel, message_ts=approval.message_ts)
    payload["channel"]["id"] = approval.channel
    payload["message"]["ts"] = approval.message_ts
    body = "payload=" + urllib.parse.quote(json.dumps(payload))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    headers.update(sign_slack(body.encode(), SECRETS["SLACK_SIGNING_SECRET"], int(time.time())))
    response = client.http.post("/slack/interactivity", headers=headers, body=body)
    assert response.status_code == 200, (response.status_code, response.body)
    return {"approval_id": approval.approval_id, "answer": json.loads(response.body)}


def report(
    store: Any, run_id: str, far: dict[str, Any], incident_id: str, states: list[str], clicked: dict[str, Any] | None
) -> dict[str, Any]:
    run = store.runs.get_run(run_id)
    approvals = [store.approvals.get_approval(clicked["approval_id"])] if clicked else []
    return {
        "run_id": run_id,
        "outcome": run.outcome if run else None,
        "run_status": run.status if run else None,
        "states": states,
        "events": [{"type": e.type, "node": e.node_id} for e in store.runs.events(run_id)],
        "approvals": [
            {"status": a.status, "decided_by": a.decided_by, "plan_hash": a.plan_hash} for a in approvals if a
        ],
        "pagerduty_status": far["pagerduty"].incidents[incident_id].status,
        "slack_texts": [c.params.get("text", "") for c in far["slack"].calls_to("chat.postMessage")],
        "anthropic_requests": len(far["anthropic"].requests),
        "openai_requests": len(far["openai"].requests),
    }


# --------------------------------------------------------------------------- the two modes


def run_cloud(incident_id: str, iam: bool = False, without: tuple[str, ...] = ()) -> dict[str, Any]:
    """One incident on moto; with ``iam``, as the stage's own roles under IAM enforcement.

    With ``iam`` the run goes on past the incident to the other cloud paths: the daily report
    and a second incident stopped by PagerDuty's acknowledge. ``aofctl apply`` runs as a user
    holding ``.chalice/policy-apply-dev.json``, every function as the role holding
    ``.chalice/policy-dev.json``, the state machines as the role ``aofctl apply`` made.
    """
    import os

    from chalice.test import Client

    import app as chalice_app
    from chalicelib.cli.apply_cmd import apply_aws, stage_prefix
    from chalicelib.deploy.desired import ASYNC_FUNCTIONS, role_name
    from chalicelib.spec import load_resources
    from chalicelib.web import Backend, backend, install
    from sandbox.testing import running_sandbox
    from tests.support.moto_iam import iam_enforced, state_machines_act_as
    from tests.support.moto_sfn import ACCOUNT_ID, REGION, MotoSfn

    def dispatch(name: str, payload: dict[str, Any]) -> Any:
        # The Lambda service's side: run the deployed function's handler, i.e. app.py's.
        short = next(s for s in NODE_FUNCTIONS if name == function_name(s))
        return getattr(chalice_app, short)(payload, None)

    from chalicelib.nodes.dispatch import PLACEHOLDER_FUNCTIONS

    NODE_FUNCTIONS = list(PLACEHOLDER_FUNCTIONS.values())
    project = Path(tempfile.mkdtemp(prefix="aof-e2e-cloud-"))
    write_deployed(project, ACCOUNT_ID, REGION)
    # Under IAM the stage's own prefix: the policy documents name its resources.
    prefix = stage_prefix(project, STAGE) if iam else PREFIX
    with (
        running_sandbox(SCENARIOS[incident_id], speed=SPEED) as cluster,
        far_side(incident_id) as far,
        MotoSfn(dispatch) as sfn,
        ExitStack() as enforcement,
    ):
        sfn.ensure_functions({function_name(s) for s in [*NODE_FUNCTIONS, *ASYNC_FUNCTIONS]})
        resources = load_resources([ROOT / "agents", ROOT / "flows"])
        recorder = None
        if iam:
            recorder, deployer = _principals(sfn)
            enforcement.enter_context(iam_enforced())
            services = ("dynamodb", "iam", "stepfunctions", "ssm", "lambda", "logs", "sqs")
            clients = {name: _client(name, deployer) for name in services}
        else:
            clients = {
                "dynamodb": _client("dynamodb"),
                "iam": sfn.iam,
                "stepfunctions": sfn.client,
                "ssm": _client("ssm"),
                "logs": _client("logs"),
                "sqs": _client("sqs"),
                "lambda": sfn.lambda_client,
            }
        applied = apply_aws(resources, project, STAGE, prefix, clients=clients)
        env = environment(
            cluster.env,
            far,
            {"AOF_BACKEND": "aws", "AOF_TABLE_PREFIX": prefix, "AWS_DEFAULT_REGION": REGION},
            without,
        )
        if iam:
            enforcement.enter_context(state_machines_act_as(role_name(prefix)))
            os.environ.update(env)  # what a deployed function's process environment holds
        install(Backend(env))
        try:
            with Client(chalice_app.app, stage_name=STAGE) as client:
                answer = post_incident(client, incident_id)
                store = backend().store()
                run_id = answer["run_id"]
                execution_arn = store.runs.get_run(run_id).execution_arn
                approval = click_approve(client, store, run_id) if incident_id == "TEST002" else None
                description = sfn.wait_for(execution_arn, timeout=240)
                # EventBridge's "Execution Status Change" event, delivered to the app's handler.
                event = client.events.generate_cw_event(
                    source="aws.states",
                    detail_type="Step Functions Execution Status Change",
                    detail={"executionArn": execution_arn, "status": description["status"]},
                    resources=[execution_arn],
                )
                chalice_app.execution_finished(event, None)
                result = report(store, run_id, far, incident_id, sfn.state_sequence(execution_arn), approval)
                result.update(
                    mode="cloud",
                    status=description["status"],
                    applied=[c.line() for c in applied],
                    approval=approval,
                    execution_arn=execution_arn,
                    invoked=sorted({name for name, _ in sfn.calls}),
                    invocations=[name for name, _ in sfn.calls],
                    store_backend=store.backend,
                )
                if iam and recorder is not None:
                    result.update(_other_cloud_paths(client, store, far, env, sfn))
                    result["aws_calls"] = [
                        {
                            "principal": c.principal,
                            "action": c.action,
                            "params": c.params,
                            "error": c.error,
                            "status": c.status,
                        }
                        for c in recorder.calls
                        if c.principal != "harness"
                    ]
                return result
        finally:
            install(None)


def _client(service: str, credentials: dict[str, str] | None = None) -> Any:
    import boto3

    from tests.support.moto_sfn import REGION

    return boto3.client(service, region_name=REGION, **(credentials or {}))


def _principals(sfn: Any) -> tuple[Any, dict[str, str]]:
    """Who acts, made before enforcement starts: returns the call recorder and the deployer's keys.

    The functions' role credentials go where a Lambda's runtime puts them, the environment;
    the harness itself (waiting for executions, reading history) is an administrator.
    """
    import os

    import boto3

    from tests.support.aws_calls import CallRecorder
    from tests.support.moto_iam import (
        ADMIN_POLICY,
        as_environment,
        policy_document,
        role_credentials,
        user_credentials,
    )

    functions = role_credentials(
        "aof-incident-response-dev", "lambda.amazonaws.com", policy_document("policy-dev.json")
    )
    deployer = user_credentials("deployer", policy_document("policy-apply-dev.json"))
    sfn.authenticate(user_credentials("harness", ADMIN_POLICY))
    os.environ.update(as_environment(functions))
    os.environ.pop("AWS_PROFILE", None)
    boto3.setup_default_session()  # credentials resolved afresh, from the role's variables
    global RECORDED
    RECORDED = CallRecorder().install()
    return RECORDED, deployer


def _other_cloud_paths(client: Any, store: Any, far: dict[str, Any], env: dict[str, str], sfn: Any) -> dict[str, Any]:
    """The daily report, then a second incident that PagerDuty's acknowledge stops mid-run."""
    import app as chalice_app

    posted = len(far["slack"].calls_to("chat.postMessage"))
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])
    chalice_app.post_incident_daily(event, None)
    daily_report_posts = len(far["slack"].calls_to("chat.postMessage")) - posted

    second = "TEST003"
    far["pagerduty"].add_incident(second, title="Database cluster down again")
    trigger = _event("TEST002")
    trigger["event"]["incident"]["id"] = second
    started = post_incident(client, second, trigger)
    running_arn = store.runs.get_run(started["run_id"]).execution_arn
    # Acknowledged while a node runs (moto cannot stop an execution it has not begun to run).
    deadline = time.monotonic() + 30
    while "TaskStateEntered" not in sfn.event_types(running_arn) and time.monotonic() < deadline:
        time.sleep(0.05)
    acknowledged = json.loads((EVENTS / "pagerduty-v3-incident-acknowledged.json").read_text())
    acknowledged["event"]["data"]["id"] = second
    answer = post_incident(client, second, acknowledged)
    stopped = store.runs.get_run(started["run_id"])
    # The error path's function, with the payload the definition's "flow failed" state sends it.
    failed = chalice_app.lifecycle(
        {
            "action": "node_failed",
            "flow": {"name": FLOW},
            "state": {"event": trigger["event"], "nodes": {"diagnose": {"Error": "ProviderError", "Cause": "down"}}},
            "context": {"execution_id": running_arn, "execution_name": started["run_id"]},
        },
        None,
    )
    return {
        "lifecycle_status": failed["status"],
        "daily_report_posts": daily_report_posts,
        "stopped_runs": answer.get("stopped_runs", []),
        "stopped_run_status": stopped.status if stopped else None,
        "stopped_execution_status": sfn.describe(running_arn)["status"] if running_arn else None,
    }


def run_embedded(incident_id: str) -> dict[str, Any]:
    from chalice.test import Client

    import app as chalice_app
    from chalicelib.service.local import LocalApp
    from chalicelib.web import Backend, install
    from sandbox.testing import running_sandbox

    state = Path(tempfile.mkdtemp(prefix="aof-e2e-embedded-"))
    with running_sandbox(SCENARIOS[incident_id], speed=SPEED) as cluster, far_side(incident_id) as far:
        env = environment(cluster.env, far, {"AOF_STATE_DIR": str(state)})
        local = LocalApp([str(ROOT / "agents"), str(ROOT / "flows")], env=env, state_dir=state)
        install(Backend(env, local_app=local))
        try:
            with Client(chalice_app.app, stage_name=STAGE) as client:
                answer = post_incident(client, incident_id)
                run_id = answer["run_id"]
                approval = click_approve(client, local.store, run_id) if incident_id == "TEST002" else None
                description = local.wait(run_id, timeout=240)
                history = local.runtime.history(description.execution_id)
                states = [e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith("StateEntered")]
                result = report(local.store, run_id, far, incident_id, states, approval)
                result.update(mode="embedded", status=description.status, approval=approval)
                return result
        finally:
            install(None)
            local.close()


def main(argv: list[str]) -> int:
    mode, incident_id, out = argv
    try:
        if mode == "cloud-iam":
            result = run_cloud(incident_id, iam=True)
        elif mode == "cloud-without-pagerduty-key":
            result = run_cloud(incident_id, without=("PAGERDUTY_API_KEY",))
        else:
            result = (run_cloud if mode == "cloud" else run_embedded)(incident_id)
    except Exception as error:  # reported to the parent test, which fails with it
        import traceback

        result = {"mode": mode, "error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()}
        result["aws_calls"] = [c.__dict__ for c in RECORDED.calls if c.principal != "harness"] if RECORDED else []
    Path(out).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
