"""``make demo``: the tutorial's two incidents, end to end, on the embedded default.

No accounts needed: a sandbox Kubernetes cluster plays production, the offline model
(``builtin:triage``) stands in for the LLM when no API key is set, and Slack and PagerDuty are
printed to the terminal (or reached for real when their tokens are set).
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from chalicelib.cli.invocation import aofctl_command
from chalicelib.cli.run_cmd import LiveView, load_event, summary
from chalicelib.console import ConsoleServer, console_for
from chalicelib.nodes.approvals import resolve_approval
from chalicelib.service.local import LocalApp
from chalicelib.webhooks.execution_names import execution_name
from sandbox.testing import running_sandbox

ROOT = Path(__file__).resolve().parent.parent
FLOW = "incident-auto-response"
#: ``AOF_DEMO_CONSOLE=8700 make demo``: watch (and approve) the runs in the browser console.
DEMO_CONSOLE = "AOF_DEMO_CONSOLE"
#: With the console on, the scripted engineer leaves this long for a click in the browser.
BROWSER_GRACE_SECONDS = 60.0


def banner(text: str) -> None:
    print("\n" + "═" * 78 + f"\n  {text}\n" + "═" * 78, flush=True)


def story(app: LocalApp, run_id: str) -> None:
    """The run told from its recorded state: diagnosis, decision, action, verification."""
    description = app.runtime.describe(app.execution_id(run_id))
    nodes = (description.output or {}).get("nodes") or {}
    diagnosis = (nodes.get("diagnose") or {}).get("output") or {}
    remediation = (nodes.get("remediate") or {}).get("output") or {}
    approval = (nodes.get("request_approval") or {}).get("output") or {}
    print("\nWhat happened")
    print(f"  Diagnosis     : {diagnosis.get('severity', '?')} - {str(diagnosis.get('root_cause', '?'))[:160]}")
    print(f"  Proposed fix  : {diagnosis.get('recommended_action', '?')}")
    if approval:
        print(f"  Approval      : {approval.get('decision')} by {approval.get('decided_by')}")
    elif (nodes.get("auto_approve") or {}).get("status") == "succeeded":
        print("  Approval      : not needed (not critical), auto-approved")
    if remediation:
        print(f"  Action taken  : {remediation.get('action_taken')} -> {remediation.get('result')}")
        print(f"  Verification  : {str(remediation.get('verification', '')).splitlines()[0][:160]}")
    policy = ((nodes.get("remediate") or {}).get("meta") or {}).get("policy") or {}
    for line in _policy_lines(policy):
        print(f"  Policy        : {line}")


def _policy_lines(policy: Any) -> list[str]:
    """What the safety layer decided, in a few words (the model never has the last word)."""
    if not isinstance(policy, dict):
        return []
    lines = []
    for item in policy.get("allowed") or []:
        lines.append(f"allowed {item if isinstance(item, str) else item.get('action', item)}")
    for item in policy.get("refused") or []:
        lines.append(f"REFUSED {item if isinstance(item, str) else item.get('action', item)}")
    for item in policy.get("monitored") or []:
        lines.append(f"watched {item if isinstance(item, str) else item.get('change', item)}")
    return lines[:6]


def run_incident(app: LocalApp, event_file: Path, approve_as: str | None, grace: float = 1.0) -> int:
    flow_event = load_event(str(event_file))
    incident = flow_event["incident"]
    banner(f"PagerDuty: {incident['id']} {incident['title']}")
    name = execution_name(str(incident["id"]), f"demo-{time.time_ns()}")
    run_id = app.start_run(FLOW, flow_event, name)
    if approve_as:
        threading.Thread(target=approve_when_asked, args=(app, run_id, approve_as, grace), daemon=True).start()
    app.wait(run_id, timeout=300)
    code = summary(app, run_id, sys.stdout)
    story(app, run_id)
    return code


def approve_when_asked(app: LocalApp, run_id: str, who: str, grace: float = 1.0) -> None:
    """Plays the on-call engineer: waits for the approval request, then approves it (unless
    someone decided in the console meanwhile: an approval is decided once)."""
    deadline = time.monotonic() + 120 + grace
    while time.monotonic() < deadline:
        pending = app.store.approvals.find_pending_by_run(run_id)
        if pending and pending[0].message_ts:
            time.sleep(grace)
            print(
                f"\n  👤 {who} reviews the plan and approves (same as: {aofctl_command(ROOT)} approve {run_id} --decision approve)"
            )
            result = resolve_approval(
                app.store, app.runtime.send_task_success, pending[0].approval_id, "approve", who, datetime.now(UTC)
            )
            print(f"  ✔ {result.message}\n", flush=True)
            return
        time.sleep(0.2)


def _console_settings() -> tuple[int, dict[str, str]] | None:
    """The console's port and one sign-in token for the whole demo (the same URL every time)."""
    port = os.environ.get(DEMO_CONSOLE)
    if not port:
        return None

    return int(port), {getpass.getuser(): secrets.token_urlsafe(24)}


def _serve_console(app: LocalApp, settings: tuple[int, dict[str, str]] | None) -> Any:
    if settings is None:
        return None


    port, tokens = settings
    server = ConsoleServer(console_for(app, list(tokens), tokens), port=port)
    for name, token in tokens.items():
        url = f"{server.url}/console/?{urlencode({'token': token})}"
        print(f"  🌐 Run console: {url} (signed in as {name}; approve there within {BROWSER_GRACE_SECONDS:.0f} s)")
    return server


def closing_lines(state_dirs: dict[str, Path]) -> list[str]:
    """Where each incident's history is and commands that read it, as they can be pasted here
    (each incident ran with a state directory of its own)."""
    aofctl = aofctl_command(ROOT)
    lines = ["  Run history (SQLite), one state directory per incident:"]
    lines += [f"    {incident}: {path}" for incident, path in state_dirs.items()]
    lines.append("  Try:")
    for incident, path in state_dirs.items():
        lines.append(f"    {aofctl} get runs --state-dir {path}")
        lines.append(f"    {aofctl} report {incident} --state-dir {path}")
    lines.append(f"    {aofctl} validate agents flows")
    return lines


def main() -> int:
    os.chdir(ROOT)
    state = Path(tempfile.mkdtemp(prefix="aof-demo-"))
    codes: list[int] = []
    console = _console_settings()
    incidents = (
        ("test001-high-memory", "examples/events/test001.json", None),
        ("test002-postgres-down", "examples/events/test002.json", "U0ONCALL (alice)"),
    )
    for scenario, event, approver in incidents:
        with running_sandbox(scenario) as cluster:
            # The tutorial watches each change for 60 s; the demo watches for 10 s unless told otherwise.
            env = {"AOF_MONITOR_SECONDS": "10", **os.environ, **cluster.env}
            banner(f"Sandbox cluster up: scenario {scenario} (KUBECONFIG={cluster.kubeconfig_path})")
            app = LocalApp(["agents", "flows"], env=env, state_dir=state / scenario)
            app.engine.subscribe(LiveView(sys.stdout))
            server = _serve_console(app, console)
            try:
                grace = BROWSER_GRACE_SECONDS if server is not None else 1.0
                codes.append(run_incident(app, ROOT / event, approver, grace))
            finally:
                if server is not None:
                    server.close()
                app.close()
    banner("Demo finished")
    for name, code, (_, _, approver) in zip(("TEST001", "TEST002"), codes, incidents, strict=True):
        how = f"resolved after {approver} approved the fix" if approver else "resolved automatically"
        print(f"  {name}: {how if code == 0 else 'escalated to a human'}")
    print(
        "\n"
        + "\n".join(
            closing_lines(
                {
                    name: state / scenario
                    for name, (scenario, _, _) in zip(("TEST001", "TEST002"), incidents, strict=True)
                }
            )
        )
    )
    return 0 if all(c in (0, 2) for c in codes) else 1


if __name__ == "__main__":
    json.dumps({})  # keep json imported for users extending the demo
    sys.exit(main())
