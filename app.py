"""Chalice app: the HTTP routes (API Gateway) and one Lambda function per node type.

Thin adapters only: every route and function hands its event to ``chalicelib``. The routes
import no LLM, Kubernetes or MCP SDK (cold starts stay small); node functions import what
their handler needs when it runs.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from chalice import Chalice, Response

from chalicelib.errors import AofError
from chalicelib.nodes.notify import make_notifier
from chalicelib.observability import bind
from chalicelib.observability.webhooks import incident_in, log_answer, log_received
from chalicelib.web import backend
from chalicelib.webhooks.http import WebhookRequest, WebhookResponse
from chalicelib.webhooks.limits import bounded_body, limit_for

# Each route and function imports the handler it calls when it first runs, so a cold Lambda
# loads only its own: the daily report (141 ms), execution_finished's Powertools logger (17 ms),
# the PagerDuty handler (4 ms) and the Slack ones (2 ms) are not paid by the others.

app = Chalice(app_name="aof-incident-response")


def _respond(result: WebhookResponse) -> Response:
    return Response(body=result.body, status_code=result.status, headers={"Content-Type": "application/json"})


def _request() -> WebhookRequest:
    """The request as the handlers take it; a body over the route's limit is refused from its
    declared length before it is decoded, and from its real length after (``PayloadTooLarge``)."""
    request = app.current_request
    headers = dict(request.headers)
    body = bounded_body(headers, lambda: request.raw_body or b"", limit_for(request.path))
    return WebhookRequest(headers=headers, body=body)


def _route(handle: Any, deps: Any) -> Response:
    route = app.current_request.path
    try:
        request = _request()
    except AofError as error:  # too large or a malformed length: the handler never sees it
        answer = WebhookResponse.from_error(error)
        log_answer(route, answer.status, answer.body, {})
        return _respond(answer)
    log_received(route, len(request.body))
    built = deps()
    answer = handle(request, built)
    # The incident is read only from a delivery the route authenticated and accepted.
    accepted = answer.status < 400 and route == "/pagerduty/webhook"
    fields = (
        {**incident_in(request.body), "flow": str(getattr(getattr(built, "runs", None), "flow", ""))}
        if accepted
        else {}
    )
    log_answer(route, answer.status, answer.body, fields)
    return _respond(answer)


@app.route("/healthz", methods=["GET"])
def healthz() -> dict[str, Any]:
    return {"ok": True}


@app.route("/pagerduty/webhook", methods=["POST"], content_types=["application/json", "text/plain"])
def pagerduty_webhook() -> Response:
    from chalicelib.webhooks.pagerduty import handle_pagerduty_webhook

    return _route(handle_pagerduty_webhook, backend().pagerduty_deps)


@app.route("/slack/interactivity", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def slack_interactivity() -> Response:
    from chalicelib.webhooks.slack import handle_slack_interactivity

    return _route(handle_slack_interactivity, backend().slack_deps)


@app.route("/slack/events", methods=["POST"], content_types=["application/json"])
def slack_events() -> Response:
    from chalicelib.webhooks.slack import handle_slack_events

    return _route(handle_slack_events, backend().slack_deps)


def _node(function: str, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    # run_task binds the run's fields to every line the node logs (chalicelib.observability);
    # the Lambda context bounds an agent's tool calls (agents.time_limits).
    return backend().run_node(function, event, context)


# One function per entry of chalicelib.nodes.registry (a test holds the two together). Each
# adapts the Step Functions task payload to the handler the embedded engine calls too; an error leaves as one of chalicelib.errors' classes, whose name the Lambda
# runtime reports as errorType, which is what the definition's Retry/Catch match.
@app.lambda_function(name="transform_node")
def transform_node(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _node("transform_node", event)


@app.lambda_function(name="agent_node")
def agent_node(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _node("agent_node", event, context)


@app.lambda_function(name="slack_node")
def slack_node(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _node("slack_node", event)


@app.lambda_function(name="approval_node")
def approval_node(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _node("approval_node", event)


@app.lambda_function(name="http_node")
def http_node(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _node("http_node", event)


@app.lambda_function(name="lifecycle")
def lifecycle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _node("lifecycle", event)


@app.on_cw_event(
    {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]},
    },
    name="execution_finished",
)
def execution_finished(event: Any) -> None:
    """A run ended: record its outcome (resolved / escalated / failed) in the store."""
    from chalicelib.observability.logging import logger
    from chalicelib.observability.runs import execution_fields

    with bind(**execution_fields(event.detail)):
        logger.info("execution finished", extra={"status": str(event.detail.get("status") or "")})
        backend().finish(str(event.detail["executionArn"]))
        logger.info("run outcome recorded")


@app.schedule("rate(1 day)", name="post_incident_daily")
def post_incident_daily(event: Any) -> None:
    """The tutorial's daily post-incident analysis: the last 24 hours of runs, posted to Slack."""
    from chalicelib.reports import run_daily_analysis

    here = os.path.dirname(os.path.abspath(__file__))
    paths = [
        os.environ.get("AOF_AGENTS_DIR", os.path.join(here, "agents")),
        os.environ.get("AOF_FLOWS_DIR", os.path.join(here, "flows")),
    ]
    agent, channel = backend().daily_analysis_settings(paths)
    store = backend().store()
    notifier = make_notifier(os.environ, store)
    run_daily_analysis(store, notifier, os.environ, datetime.now(UTC), agent=agent, channel=channel)
