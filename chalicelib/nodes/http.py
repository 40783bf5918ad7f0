"""The ``HTTP`` node: templated request, secrets resolved at run time and redacted in history.

Every other request goes only where the flow may reach (:mod:`chalicelib.egress`): public
addresses, and internal ones only when the flow's ``spec.egress.allowed_hosts`` names them;
checked after resolution, connected to the checked address, and again on each redirect
(at most five are followed). The PagerDuty base URL an operator configures
(``PAGERDUTY_API_URL``) is trusted as configured.

A request to the PagerDuty REST API gets what PagerDuty requires (``From`` header from
``PAGERDUTY_FROM_EMAIL``, its ``Accept`` media type) and is sent to ``PAGERDUTY_API_URL`` when
that is configured. Resolving an incident also adds the diagnosis as a note on its timeline.
With no ``PAGERDUTY_API_KEY`` the PagerDuty call is printed instead of sent in the embedded
default (it needs no account); in a deployed stage it fails as ``MissingCredential``.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from .. import egress
from ..egress import Allowlist, EgressPolicy
from ..errors import MissingCredential, ServiceError, ServiceUnavailable
from ..expr import Ref, evaluate_expr, parse_template, render_structure, to_text
from ..expr.json_template import looks_like_json, render_json
from ..expr.scope import MISSING
from ..settings import PAGERDUTY_API_KEY, PAGERDUTY_API_URL, PAGERDUTY_FROM_EMAIL, is_deployed, resolve
from .deps import NodeDeps
from .models import NodeInput, NodeOutput
from .scope import StateScope, redact

PAGERDUTY_HOST = "api.pagerduty.com"
MAX_BODY_IN_STATE = 4096
MAX_REDIRECTS = 5


def _render(value: Any, scope: StateScope) -> Any:
    if isinstance(value, str):
        return parse_template(value).render(scope).text
    if isinstance(value, dict):
        return {k: _render(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, scope) for v in value]
    return value


def _content_type(headers: dict[str, str]) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == "content-type"), None)


def _render_body(body: Any, headers: dict[str, str], scope: StateScope) -> tuple[Any, bool]:
    """The body to send and whether it is JSON.

    A JSON body is rendered as the structure it describes, each ``${...}`` encoded as a JSON
    value where it lands (:mod:`chalicelib.expr.json_template`): an agent's answer with a quote in
    it neither breaks the document nor adds a key. A mapping or list in the YAML is JSON whose
    leaves are rendered one by one. Any other text body is sent as text.
    """
    if body is None:
        return None, False
    if isinstance(body, dict | list):
        return render_structure(body, scope)[0], True
    text = str(body)
    if looks_like_json(text, _content_type(headers)):
        return render_json(text, scope)[0], True
    return parse_template(text).render(scope).text, False


def _render_url(template: str, scope: StateScope) -> str:
    """Values spliced into a URL are percent-encoded (``API Service`` -> ``API%20Service``), so an
    incident field can neither break the URL nor add a path segment or query of its own."""
    out: list[str] = []
    for part in parse_template(template).parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = scope.lookup(part) if isinstance(part, Ref) else evaluate_expr(part, scope)
        if isinstance(part, Ref) and part.default is not None and value in (MISSING, None, ""):
            value = part.default
        text = "" if value is MISSING else to_text(value)
        out.append(urllib.parse.quote(text, safe=""))
    return "".join(out)


def _pagerduty_target(url: str, deps: NodeDeps) -> tuple[str, bool]:
    parts = urllib.parse.urlsplit(url)
    if (parts.hostname or "").lower() != PAGERDUTY_HOST:
        return url, False
    base = resolve(PAGERDUTY_API_URL, None, deps.env)
    if base:
        url = base.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
    return url, True


def handle(event: NodeInput, deps: NodeDeps, *, sleep: Callable[[float], None] = time.sleep) -> NodeOutput:
    config = event.node.config
    scope = StateScope(event.state, env=deps.env, now=deps.clock(), started_at=event.context.started_at or None)
    url = _render_url(str(config.get("url", "")), scope)
    headers = {str(k): str(v) for k, v in _render(config.get("headers") or {}, scope).items()}
    body, is_json = _render_body(config.get("body"), headers, scope)
    method = str(config.get("method", "GET")).upper()
    url, is_pagerduty = _pagerduty_target(url, deps)
    secrets = scope.used_secrets
    shown_request = redact({"method": method, "url": url, "headers": headers}, secrets)

    if is_pagerduty and not resolve(PAGERDUTY_API_KEY, None, deps.env):
        if is_deployed(deps.env):
            raise MissingCredential(PAGERDUTY_API_KEY, f"the PagerDuty call of node '{event.node.id}'")
        return _simulated_pagerduty(event, deps, method, url, body, shown_request)

    data: bytes | None = None
    if is_json:
        data = json.dumps(body, ensure_ascii=False).encode()
        if _content_type(headers) is None:
            headers["Content-Type"] = "application/json"
    elif body is not None:
        data = str(body).encode()
    if is_pagerduty:
        headers.setdefault("Accept", "application/vnd.pagerduty+json;version=2")
        sender = resolve(PAGERDUTY_FROM_EMAIL, None, deps.env)
        if sender and method in ("PUT", "POST"):
            headers.setdefault("From", sender)
    policy = _egress_policy(event, url if is_pagerduty else None)
    status, raw, response_headers = _send(
        method,
        url,
        headers,
        data,
        float(config.get("timeout_seconds", 10)),
        int(config.get("retries", 2)),
        sleep,
        policy,
    )
    text = raw.decode("utf-8", errors="replace")
    parsed: Any = None
    try:
        parsed = json.loads(text) if text else None
    except json.JSONDecodeError:
        parsed = None
    meta: dict[str, Any] = {"request": shown_request}
    ref = None
    if len(raw) > MAX_BODY_IN_STATE:
        ref = deps.store.artifacts.put_artifact(event.context.run_id, f"{event.node.id}-response", raw)
        parsed = None if len(json.dumps(parsed)) > MAX_BODY_IN_STATE else parsed
    output = {
        "status_code": status,
        "ok": 200 <= status < 300,
        "json": redact(parsed, secrets),
        "body": redact(text[:MAX_BODY_IN_STATE], secrets),
        "headers": {k: v for k, v in response_headers.items() if k.lower() in ("content-type", "location")},
        "ref": ref,
    }
    if not output["ok"]:
        raise ServiceError(f"{method} {redact(url, secrets)} answered {status}: {redact(text[:300], secrets)}")
    if is_pagerduty and _resolves_incident(method, body):
        meta["resolved_incident"] = True
        _add_note(event, deps)
    return NodeOutput(status="succeeded", output=output, meta=meta)


def _egress_policy(event: NodeInput, pagerduty_url: str | None) -> EgressPolicy:
    allow = Allowlist.of(str(h) for h in event.flow.get("allowed_hosts") or [])
    if pagerduty_url is not None:
        # The operator's PAGERDUTY_API_URL (a local PagerDuty in tests and demos): configured, trusted.
        allow = allow.merged(Allowlist.of([urllib.parse.urlsplit(pagerduty_url).hostname or ""]))
    return EgressPolicy(allow=allow, max_redirects=MAX_REDIRECTS)


def _send(
    method: str,
    url: str,
    headers: dict[str, str],
    data: bytes | None,
    timeout: float,
    retries: int,
    sleep: Callable[[float], None],
    policy: EgressPolicy,
) -> tuple[int, bytes, dict[str, str]]:
    attempt = 0
    while True:
        try:
            response = egress.request(
                method, url, headers=headers, body=data, timeout=timeout, max_bytes=1_048_576, policy=policy
            )
        except OSError as error:  # refused destinations raise ToolRefused: never retried
            if attempt < retries:
                sleep(0.5 * 2**attempt)
                attempt += 1
                continue
            raise ServiceUnavailable(f"{method} {url} failed: {error}") from None
        status, got = response.status, response.headers
        if status in (429, 500, 502, 503, 504) and attempt < retries:
            retry_after = got.get("Retry-After", "")
            sleep(min(float(retry_after), 30.0) if retry_after.isdigit() else 0.5 * 2**attempt)
            attempt += 1
            continue
        if status >= 500 or status == 429:
            raise ServiceUnavailable(f"{method} {url} answered {status} after {attempt + 1} attempt(s)")
        return status, response.body, got


def _resolves_incident(method: str, body: Any) -> bool:
    if method != "PUT" or not isinstance(body, dict):
        return False
    incident = body.get("incident")
    return isinstance(incident, dict) and incident.get("status") == "resolved"


def _diagnosis_note(event: NodeInput) -> str:
    lines = ["AOF auto-remediation summary"]
    for key, record in (event.state.get("nodes") or {}).items():
        output = record.get("output") if isinstance(record, dict) else None
        if isinstance(output, dict):
            for field in ("severity", "root_cause", "recommended_action", "action_taken", "result"):
                if field in output:
                    lines.append(f"- {key}.{field}: {output[field]}")
    return "\n".join(lines)


def _incident_id(event: NodeInput) -> str | None:
    incident = (event.state.get("event") or {}).get("incident") or {}
    value = incident.get("id") or (event.state.get("vars") or {}).get("INCIDENT_ID")
    return str(value) if value else None


def _add_note(event: NodeInput, deps: NodeDeps) -> None:
    client = deps.pagerduty()
    incident_id = _incident_id(event)
    if client is not None and incident_id:
        client.add_note(incident_id, _diagnosis_note(event))


def _simulated_pagerduty(
    event: NodeInput, deps: NodeDeps, method: str, url: str, body: Any, shown: dict[str, Any]
) -> NodeOutput:
    out = deps.out or sys.stdout
    resolving = _resolves_incident(method, body)
    what = "resolve" if resolving else f"{method} {urllib.parse.urlsplit(url).path}"
    out.write(f"\n  ⇢ PagerDuty (printed: {PAGERDUTY_API_KEY} is not set): {what} incident {_incident_id(event)}\n")
    if resolving:
        out.write("    note: " + _diagnosis_note(event).replace("\n", "\n          ") + "\n")
    out.flush()
    meta: dict[str, Any] = {"request": shown, "simulated": True}
    if resolving:
        meta["resolved_incident"] = True
    output: dict[str, Any] = {"status_code": 200, "ok": True, "json": None, "body": "", "headers": {}, "ref": None}
    return NodeOutput(status="succeeded", output=output, meta=meta)
