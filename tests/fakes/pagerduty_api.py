"""A fake PagerDuty REST API v2 on 127.0.0.1 keeping incident state.

Covers what the product calls: ``GET/PUT /incidents/{id}``, ``GET /incidents/{id}/alerts``
(alerts with ``body.details``), ``GET /incidents/{id}/custom_fields/values``,
``GET/POST /incidents/{id}/notes``. Like PagerDuty it wants ``Authorization: Token token=...``,
refuses writes without a ``From`` header (400), answers errors as
``{"error": {"message", "code", "errors"}}``, and can be told to throttle (429 + Retry-After) or
fail (500) for the next N calls. Every call is recorded.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from tests.fakes.slack_api import ThreadedFakeServer, json_response

API_KEY = "u+pd-test-key"
_PATH = re.compile(r"^/incidents/(?P<id>[^/]+)(?P<rest>/alerts|/custom_fields/values|/notes)?$")


@dataclass
class PDCall:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: Any
    status: int = 200


@dataclass
class FakeIncident:
    id: str
    title: str
    status: str = "triggered"
    urgency: str = "high"
    escalation_policy_id: str = "PEP0001"
    escalation_level: int = 1
    resolution: str | None = None
    alerts: list[dict[str, Any]] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    notes: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "incident",
            "title": self.title,
            "status": self.status,
            "urgency": self.urgency,
            "html_url": f"https://acme.pagerduty.com/incidents/{self.id}",
            "self": f"{base}/incidents/{self.id}",
            "service": {"id": "PSVC001", "type": "service_reference", "summary": "API Service"},
            "escalation_policy": {
                "id": self.escalation_policy_id,
                "type": "escalation_policy_reference",
                "summary": "SRE escalation",
            },
            "last_status_change_by": None,
        }


def _error(status: int, message: str, code: int, errors: list[str] | None = None) -> Response:
    return json_response({"error": {"message": message, "code": code, "errors": errors or []}}, status)


class FakePagerDutyAPI(ThreadedFakeServer):
    def __init__(self, api_key: str = API_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        self.incidents: dict[str, FakeIncident] = {}
        self.calls: list[PDCall] = []
        self._failures: list[tuple[int, int]] = []
        self._ids = itertools.count(1)

    # --- test controls --------------------------------------------------------------------

    def add_incident(
        self,
        incident_id: str,
        title: str = "High memory usage on api-deployment",
        alert_details: list[dict[str, Any]] | None = None,
        custom_fields: dict[str, Any] | None = None,
    ) -> FakeIncident:
        alerts = [
            {
                "id": f"PALERT{index:03d}",
                "type": "alert",
                "status": "triggered",
                "summary": title,
                "body": {"type": "alert_body", "contexts": [], "details": details},
            }
            for index, details in enumerate(alert_details or [], start=1)
        ]
        incident = FakeIncident(incident_id, title, alerts=alerts, custom_fields=dict(custom_fields or {}))
        self.incidents[incident_id] = incident
        return incident

    def fail_next(self, count: int, status: int = 429, retry_after: int = 2) -> None:
        with self.lock:
            self._failures.extend([(status, retry_after)] * count)

    def calls_to(self, method: str, path_suffix: str = "") -> list[PDCall]:
        return [c for c in self.calls if c.method == method and c.path.endswith(path_suffix)]

    # --- protocol -----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        body = request.get_json(silent=True) if request.data else None
        call = PDCall(request.method, request.path, dict(request.headers.items()), dict(request.args.items()), body)
        self.calls.append(call)
        response = self._route(request, body)
        call.status = response.status_code
        return response

    def _route(self, request: Request, body: Any) -> Response:
        if self._failures:
            status, retry_after = self._failures.pop(0)
            if status == 429:
                return json_response(
                    {"error": {"message": "Rate Limit Exceeded", "code": 2020}}, 429, {"Retry-After": str(retry_after)}
                )
            return _error(status, "Internal Server Error", 2000)
        if request.headers.get("Authorization") != f"Token token={self.api_key}":
            return _error(401, "Authentication failed", 2006)
        match = _PATH.match(request.path)
        if match is None:
            return _error(404, "Not Found", 2100)
        incident = self.incidents.get(match["id"])
        if incident is None:
            return _error(404, "Not Found", 2100, ["Incident Not Found"])
        rest, method = match["rest"] or "", request.method
        if method in {"PUT", "POST"}:
            if not request.headers.get("From"):
                return _error(
                    400,
                    "Invalid Input Provided",
                    2001,
                    ["A requester email address must be provided in the From header."],
                )
            if not isinstance(body, dict):
                return _error(400, "Invalid Input Provided", 2001, ["Request body must be JSON."])
        if (method, rest) == ("GET", ""):
            return json_response({"incident": incident.as_json(self.url)})
        if (method, rest) == ("PUT", ""):
            return self._update(incident, body)
        if (method, rest) == ("GET", "/alerts"):
            return self._alerts(incident, request)
        if (method, rest) == ("GET", "/custom_fields/values"):
            fields = [
                {
                    "id": f"PCF{name.upper()}",
                    "name": name,
                    "display_name": name.title(),
                    "data_type": "string",
                    "field_type": "single_value",
                    "value": value,
                    "type": "field_value",
                }
                for name, value in incident.custom_fields.items()
            ]
            return json_response({"custom_fields": fields})
        if (method, rest) == ("GET", "/notes"):
            return json_response({"notes": incident.notes})
        if (method, rest) == ("POST", "/notes"):
            content = (body.get("note") or {}).get("content")
            if not content:
                return _error(400, "Invalid Input Provided", 2001, ["Note content can't be blank."])
            note = {
                "id": f"PNOTE{next(self._ids):03d}",
                "content": content,
                "user": {"summary": request.headers["From"]},
                "created_at": "2026-11-20T09:30:00Z",
            }
            incident.notes.append(note)
            return json_response({"note": note}, 201)
        return _error(404, "Not Found", 2100)

    def _update(self, incident: FakeIncident, body: dict[str, Any]) -> Response:
        change = body.get("incident")
        if not isinstance(change, dict) or change.get("type") not in {"incident", "incident_reference"}:
            return _error(400, "Invalid Input Provided", 2001, ["Incident type must be incident_reference."])
        status = change.get("status")
        if status is not None:
            if status not in {"acknowledged", "resolved"}:
                return _error(400, "Invalid Input Provided", 2001, [f"Invalid status: {status}"])
            if incident.status == "resolved":
                return _error(400, "Invalid Input Provided", 2001, ["Incident Already Resolved"])
            incident.status = status
            if status == "resolved":
                incident.resolution = change.get("resolution")
        if "escalation_policy" in change:
            incident.escalation_policy_id = change["escalation_policy"]["id"]
        if "escalation_level" in change:
            incident.escalation_level = int(change["escalation_level"])
        return json_response({"incident": incident.as_json(self.url)})

    def _alerts(self, incident: FakeIncident, request: Request) -> Response:
        limit = int(request.args.get("limit", 25))
        offset = int(request.args.get("offset", 0))
        page = incident.alerts[offset : offset + limit]
        return json_response(
            {
                "alerts": page,
                "limit": limit,
                "offset": offset,
                "more": offset + limit < len(incident.alerts),
                "total": None,
            }
        )


@pytest.fixture
def fake_pagerduty() -> Iterator[FakePagerDutyAPI]:
    with FakePagerDutyAPI() as server:
        yield server
