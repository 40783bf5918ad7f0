"""Cold-start import cost of the Lambda entry points, against a bare interpreter, in one run.

Each figure is the median wall time of fresh ``python -c`` processes (so caches of a warm
process never flatter it), measured interleaved so machine noise hits all paths alike:

- bare: ``python -c pass``
- webhook path: every module of ours that answering ``POST /pagerduty/webhook`` really loads.
  The list is not written by hand: a probe process answers the tutorial's TEST001 (the run
  recorded, admitted and its execution started) through ``app.py`` on the cloud backend against
  moto, and reports which ``chalicelib`` modules it loaded. Those are then timed alone.
- webhook path, v3 enriched: the same for a Generic Webhooks v3 ``incident.triggered``, whose
  custom details are read from PagerDuty's REST API first (a local server here): that adds the
  REST client and the standard library's HTTP stack.
- webhook path + boto3: the same plus the AWS SDK the DynamoDB store and Step Functions use
  (part of the Lambda runtime, but still imported at cold start)
- slack click path: the same for an approval button click on ``/slack/interactivity`` (the
  approval decided, its task token resolved, the message updated through Slack's Web API, a
  local server here), with boto3 and slack_sdk, which that route really uses
- webhook path, no bytecode shipped: the webhook path from a copy without ``__pycache__``, run
  with ``-B``: a Lambda cannot write bytecode, so a package without .pyc (plain ``chalice
  deploy``) compiles our modules at every cold start; ``make deploy`` ships them compiled
- agent path (anthropic): ``app.py`` and the agent node with the provider its agent uses

It also checks what each path loaded: the webhook path must load no pydantic, LLM, Kubernetes
or MCP SDK; the agent path only the provider it uses.

    .venv/bin/python bench/coldstart.py [--runs 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("anthropic", "openai", "kubernetes", "mcp", "boto3", "pydantic")

PROBE = r"""
import json, os, sys, time, urllib.parse
os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "AOF_BACKEND": "aws", "AOF_TABLE_PREFIX": "aof-dev", "PAGERDUTY_WEBHOOK_TOKEN": "bench-token",
    "SLACK_SIGNING_SECRET": "bench-secret", "SLACK_APPROVERS": "U0APPROVER1"})
import boto3
from moto import mock_aws
from chalice.test import Client
from tests.fakes.signing import sign_slack
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.pagerduty_api import FakePagerDutyAPI

slack = FakeSlackAPI(tokens=("xoxb-bench",)).start()
os.environ.update({"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_API_URL": slack.api_url})
with mock_aws():
    from chalicelib.store.dynamodb.tables import ensure_tables
    # chalice.test.Client loads the dev stage's environment, whose table prefix is aof-dev.
    ensure_tables(boto3.client("dynamodb"), "aof-dev")
    role = boto3.client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    waits = {"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "End": True,
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "approval_node", "Payload": {"token.$": "$$.Task.Token"}}}}}
    arn = boto3.client("stepfunctions").create_state_machine(
        name="aof-incident-auto-response", roleArn=role, definition=json.dumps(waits))["stateMachineArn"]
    boto3.client("ssm").put_parameter(Name="/aof-dev/flows", Type="String", Value=json.dumps(
        {"incident-auto-response": {"state_machine_arn": arn, "trigger_path": "/pagerduty/webhook",
         "rate_limit": {"max_concurrent": 3, "queue_size": 10}}}))
    import app
    from chalicelib.store import ApprovalRecord, open_store

    store = open_store("dynamodb://aof-dev", dynamodb_client=boto3.client("dynamodb"))
    route = sys.argv[1]
    with Client(app.app) as client:
        if route == "pagerduty":
            # The tutorial's TEST001 body: it carries its custom details, nothing to look up.
            body = open("examples/events/test001.json").read()
            answer = client.http.post("/pagerduty/webhook", body=body,
                headers={"Content-Type": "application/json", "Authorization": "Bearer bench-token"})
            assert answer.status_code == 202, answer.body
            assert boto3.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"], "no run"
        elif route == "pagerduty-v3":
            # A real Generic Webhooks v3 delivery: its custom details are read from PagerDuty's
            # REST API (a local server speaking it) before the run starts, as in production.
            pagerduty = FakePagerDutyAPI(api_key="u+bench").start()
            pagerduty.add_incident("Q1ABCDEF234567", alert_details=[{"namespace": "production"}])
            os.environ.update({"PAGERDUTY_API_KEY": "u+bench", "PAGERDUTY_API_URL": pagerduty.url})
            body = open("tests/events/pagerduty-v3-incident-triggered.json").read()
            answer = client.http.post("/pagerduty/webhook", body=body,
                headers={"Content-Type": "application/json", "Authorization": "Bearer bench-token"})
            assert answer.status_code == 202, answer.body
            started = boto3.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]
            assert started, "no run started"
            assert pagerduty.calls_to("GET", "/alerts"), "the event was not enriched"
            pagerduty.stop()
        else:
            store.approvals.put_approval(ApprovalRecord(approval_id="bench-approval", run_id="bench-run",
                node_id="request-approval", task_token="bench-token", expires_at=4102444800,
                channel="C0INCIDENTS", message_ts="1763630100.000100"))
            payload = json.load(open("tests/events/slack-block-actions.json"))
            payload["user"]["id"] = "U0APPROVER1"
            payload["actions"][0].update(action_id="approval.approve", value="bench-approval")
            click = ("payload=" + urllib.parse.quote(json.dumps(payload))).encode()
            signed = sign_slack(click, "bench-secret", int(time.time()))
            answer = client.http.post("/slack/interactivity", body=click,
                headers={"Content-Type": "application/x-www-form-urlencoded", **signed})
            assert answer.status_code == 200, answer.body
            decided = store.approvals.get_approval("bench-approval")
            assert decided is not None and decided.status == "approved", decided
            assert slack.calls_to("chat.update"), "the approval message was updated"
slack.stop()
print("MODULES: " + " ".join(sorted(m for m in sys.modules if m.startswith("chalicelib"))))
"""


def route_modules(route: str) -> list[str]:
    """The ``chalicelib`` modules answering one request loads: ``pagerduty`` or ``slack``."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, route],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("MODULES: "))
    return line.removeprefix("MODULES: ").split()


PATHS = {
    "bare": "pass",
    # filled in from the probes
    "webhook path": "",
    "webhook path, v3 enriched": "",
    "webhook path + boto3": "",
    "webhook path, v3 enriched + boto3": "",
    "slack click path": "",
    "agent path (anthropic)": "import app; import chalicelib.nodes.agent, chalicelib.agents.providers.anthropic, anthropic",
}


#: Paths timed from a copy of app.py and chalicelib/ without bytecode, with ``-B``: what a cold
#: Lambda pays when the package ships no .pyc (plain ``chalice deploy``; ``make deploy`` ships them).
UNCOMPILED = {"webhook path, no bytecode shipped": "webhook path"}


def timed(code: str, where: Path = ROOT, compile_each_time: bool = False) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *(["-B"] if compile_each_time else []), "-c", code], cwd=where, check=True)
    return time.perf_counter() - start


def without_bytecode() -> Path:
    copy = Path(tempfile.mkdtemp(prefix="aof-coldstart-"))
    shutil.copy(ROOT / "app.py", copy / "app.py")
    shutil.copytree(ROOT / "chalicelib", copy / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def loaded(code: str) -> set[str]:
    probe = f"{code}\nimport sys; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return {name.split(".")[0] for name in out.split()} & set(HEAVY)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    modules = route_modules("pagerduty")
    webhook = "import app; import " + ", ".join(modules)
    PATHS["webhook path"] = webhook
    PATHS["webhook path + boto3"] = webhook + "; import boto3"
    enriched = route_modules("pagerduty-v3")
    PATHS["webhook path, v3 enriched"] = "import app; import " + ", ".join(enriched)
    PATHS["webhook path, v3 enriched + boto3"] = PATHS["webhook path, v3 enriched"] + "; import boto3"
    clicked = route_modules("slack")
    PATHS["slack click path"] = "import app; import " + ", ".join(clicked) + "; import boto3"
    print(f"webhook path: app.py and the {len(modules)} chalicelib modules answering the tutorial's TEST001 loads")
    print(f"webhook path, v3 enriched: app.py and the {len(enriched)} modules a v3 event read from the REST API loads")
    print(f"slack click path: app.py, boto3 and the {len(clicked)} chalicelib modules an approval click loads")
    # Our bytecode as `make deploy` ships it (this is also right where PYTHONDONTWRITEBYTECODE
    # is set, which would otherwise leave every edited module compiling on each import).
    compileall = [sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "checked-hash"]
    subprocess.run([*compileall, "chalicelib", "app.py"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    bare_copy = without_bytecode()
    for code in PATHS.values():  # warm the OS file cache once
        timed(code)
    samples: dict[str, list[float]] = {name: [] for name in [*PATHS, *UNCOMPILED]}
    for _ in range(args.runs):
        for name, code in PATHS.items():
            samples[name].append(timed(code))
        for name, like in UNCOMPILED.items():
            samples[name].append(timed(PATHS[like], bare_copy, compile_each_time=True))
    shutil.rmtree(bare_copy)
    bare = statistics.median(samples["bare"])
    print(f"median of {args.runs} fresh processes each ({sys.version.split()[0]})")
    for name in samples:
        value = statistics.median(samples[name])
        heavy = ", ".join(sorted(loaded(PATHS[UNCOMPILED.get(name, name)]))) or "none"
        print(f"  {name:34s} {value * 1000:7.1f} ms  {value / bare:5.2f}x bare   heavy SDKs loaded: {heavy}")
    ratio = statistics.median(samples["webhook path"]) / bare
    clean = (
        not loaded(PATHS["webhook path"])
        and not loaded(PATHS["webhook path, v3 enriched"])
        and "openai" not in loaded(PATHS["agent path (anthropic)"])
    )
    print(f"webhook path target (<= 3x bare): {'met' if ratio <= 3 else 'NOT met'} ({ratio:.2f}x)")
    print(f"import isolation: {'ok' if clean else 'VIOLATED'}")
    return 0 if ratio <= 3 and clean else 1


if __name__ == "__main__":
    sys.exit(main())
