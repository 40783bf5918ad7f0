"""TEST002 watched and approved in the run console, in headless Chromium, against a real
``aofctl serve`` with Slack and PagerDuty played by local fakes and a sandbox cluster.

With ``AOF_CONSOLE_SCREENSHOT=docs/console.png`` the test also writes the README's picture of
the run page (never compared: it is an illustration)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib.store import open_store
from tests.local.console.browser import Chromium
from tests.local.console.conftest import Served, screenshot_target
from tests.local.routes.support import APPROVER, SECRETS, bearer, pending_approval, tutorial

BYSTANDER = "U0BYSTANDER9"
PATH = [
    "parse-alert",
    "diagnose",
    "notify-diagnosis",
    "check-severity",
    "request-approval",
    "remediate?",
    "remediate",
    "verify-fix",
    "remediation-failed",
    "notify-success",
    "close-pagerduty",
    "log-incident",
]
NOT_TAKEN = ["auto-approve", "rollback", "escalate", "flow failed", "request-approval timed out"]
STATUSES = "Object.fromEntries([...document.querySelectorAll('g.state')].map(g => [g.dataset.state, g.dataset.status]))"
# Records every colour change of a state, in order, from the moment it is installed.
WATCH = """(() => {
  window.__sameDocument = true;
  window.__changes = [];
  new MutationObserver((records) => records.forEach((r) => {
    const now = r.target.getAttribute('data-status');
    if (r.oldValue !== now) window.__changes.push([r.target.getAttribute('data-state'), now]);
  })).observe(document.getElementById('graph'), {attributes: true, subtree: true, attributeOldValue: true,
                                                  attributeFilter: ['data-status']});
  return true;
})()"""


def _statuses(browser: Chromium) -> dict[str, str]:
    found: dict[str, str] = browser.evaluate(STATUSES)
    return found


def test_test002_waits_is_refused_to_a_bystander_and_turns_green_when_an_approver_clicks(
    served: Callable[..., Served], chromium: Callable[[], Chromium]
) -> None:
    s = served("TEST002", (BYSTANDER, APPROVER), scenario="test002-postgres-down")
    answer, body = s.server.post("/pagerduty/webhook", json.dumps(tutorial("TEST002")).encode(), bearer())
    assert answer == 202, body
    run_id = body["run_id"]
    with open_store(f"sqlite:///{s.state_dir / 'aof.db'}") as store:
        approval = pending_approval(store, run_id, timeout=90)
    urls = s.sign_in_urls()
    assert set(urls) == {BYSTANDER, APPROVER}
    run_path = f"/console/runs/{run_id}"
    browser = chromium()

    # A bystander signs in with their URL and finds the run waiting for its approval.
    browser.open(urls[BYSTANDER])
    assert browser.evaluate("document.getElementById('who').textContent") == BYSTANDER
    assert run_id in browser.evaluate("document.querySelector('table.runs').textContent")
    browser.click(f'tr[data-run="{run_id}"] a')
    browser.wait_for(f"location.pathname === {json.dumps(run_path)} && !!document.getElementById('graph')")
    browser.wait_for("document.querySelector('g.state[data-state=\"request-approval\"]').dataset.status === 'waiting'")
    statuses = _statuses(browser)
    assert {statuses[n] for n in PATH[:4]} == {"succeeded"}
    assert {statuses[n] for n in PATH[5:] + NOT_TAKEN} == {"not-started"}
    card = browser.evaluate("document.querySelector('.approval-card').textContent")
    assert approval.plan_hash in card and "waiting for a decision" in card
    assert approval.plan["proposed_actions"]["diagnose"] in card

    # Clicking a state shows what it did.
    browser.click_until(
        'g.state[data-state="diagnose"]', "document.getElementById('state-name').textContent === 'diagnose'"
    )
    assert browser.evaluate("document.getElementById('state-attempts').textContent") == "Attempts: 1"
    assert "root_cause" in browser.evaluate("document.getElementById('state-output').textContent")
    assert "TEST002" in browser.evaluate("document.getElementById('state-input').textContent")

    # The bystander's Approve is refused, as a Slack click would be; nothing moves.
    browser.click("form.approval button.approve")
    message = browser.wait_for("document.getElementById('decision-message').textContent")
    assert f"{BYSTANDER} is not an allowed approver" in message
    with open_store(f"sqlite:///{s.state_dir / 'aof.db'}") as store:
        assert store.approvals.get_approval(approval.approval_id).status == "pending"
    assert _statuses(browser)["request-approval"] == "waiting"

    # The approver signs in on the run page itself and approves; the page follows the run.
    browser.open(urls[APPROVER].replace("/console/?", f"{run_path}?"))
    assert browser.evaluate("document.getElementById('who').textContent") == APPROVER
    assert browser.evaluate("location.search") == "", "the token does not stay in the address bar"
    browser.wait_for("document.body.dataset.live === 'following'")
    target = screenshot_target()
    if target is not None:
        browser.screenshot(target)
    assert browser.evaluate(WATCH)
    browser.click("form.approval button.approve")
    message = browser.wait_for("document.getElementById('decision-message').textContent")
    assert message.startswith(f"approved by {APPROVER}"), message
    browser.wait_for("document.body.dataset.live === 'finished'", timeout=180)
    browser.wait_for("document.getElementById('run-status').textContent === 'succeeded'")

    assert browser.evaluate("window.__sameDocument === true"), "the page followed the run without reloading"
    panels = browser.wait_for(
        "(t => t.includes('Resolved automatically') && t)(document.getElementById('panels').textContent)"
    )
    assert f"Approval: approve by {APPROVER}" in panels, "the timeline followed too"
    assert "kubectl rollout restart statefulset/postgres -n production" in panels
    changes: list[list[str]] = browser.evaluate("window.__changes")
    greens = [state for state, status in changes if status == "succeeded"]
    assert greens == [n for n in PATH[4:] if n in greens], f"green in the flow's order: {changes}"
    assert set(PATH[4:]) <= set(greens)
    assert ["remediate", "running"] in changes, "a state seen running before it turned green"
    final = _statuses(browser)
    assert {final[n] for n in PATH} == {"succeeded"}
    assert {final[n] for n in NOT_TAKEN} == {"not-started"}

    with open_store(f"sqlite:///{s.state_dir / 'aof.db'}") as store:
        decided = store.approvals.get_approval(approval.approval_id)
        assert (decided.status, decided.decided_by) == ("approved", APPROVER)
        assert store.runs.get_run(run_id).outcome == "resolved"
        decision = next(e for e in store.runs.events(run_id) if e.type == "ApprovalDecided")
        assert decision.details["caller"].startswith(f"console session of {APPROVER}")
    updates = s.slack.calls_to("chat.update")
    assert f"Approved by <@{APPROVER}>" in json.dumps(updates[-1].params["blocks"]), "Slack shows the decision"
    assert s.pagerduty.incidents["TEST002"].status == "resolved"

    page: str = browser.evaluate("document.documentElement.outerHTML")
    for secret in SECRETS:
        assert secret not in page
    loaded: list[Any] = browser.evaluate("performance.getEntriesByType('resource').map(r => r.name)")
    origin = browser.evaluate("location.origin")
    assert loaded and all(name.startswith(origin) for name in loaded), "nothing is loaded from elsewhere"
