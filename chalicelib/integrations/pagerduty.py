"""Typed PagerDuty REST v2 client over ``urllib`` (no extra dependency, quick to import).

Throttling (429, honouring ``Retry-After``), 5xx answers and connection failures are retried
with backoff, then raised as :class:`ServiceUnavailable`; other 4xx answers raise
:class:`ServiceError` carrying PagerDuty's own message. The API key never appears in an
exception, a log line or ``repr``.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from email.message import Message
from typing import Any

from chalicelib.errors import ConfigurationError, ServiceError, ServiceUnavailable
from chalicelib.integrations.pagerduty_objects import Alert, CustomFieldValue, Note, PagerDutyIncident
from chalicelib.settings import PAGERDUTY_API_KEY, PAGERDUTY_API_URL, PAGERDUTY_FROM_EMAIL, resolve

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.pagerduty.com"
ACCEPT = "application/vnd.pagerduty+json;version=2"
PAGE_SIZE = 100
_MAX_PAGES = 50  # an incident with 5,000 alerts is enough to know its details


class PagerDutyClient:
    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        from_email: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_retry_after: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        key = resolve(PAGERDUTY_API_KEY, api_key, env)
        if not key:
            raise ConfigurationError(f"PagerDuty API key missing: set {PAGERDUTY_API_KEY}")
        self._key = key
        self.base_url = (resolve(PAGERDUTY_API_URL, base_url, env, DEFAULT_API_URL) or DEFAULT_API_URL).rstrip("/")
        if not self.base_url.startswith(("https://", "http://")):
            raise ConfigurationError(f"{PAGERDUTY_API_URL} must be an http(s) URL")
        self.from_email = resolve(PAGERDUTY_FROM_EMAIL, from_email, env)
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"PagerDutyClient(base_url={self.base_url!r}, from_email={self.from_email!r})"

    # --- reads ---------------------------------------------------------------------------

    def get_incident(self, incident_id: str) -> PagerDutyIncident:
        return PagerDutyIncident.from_api(self._call("GET", f"/incidents/{_q(incident_id)}").get("incident"))

    def list_alerts(self, incident_id: str) -> list[Alert]:
        alerts: list[Alert] = []
        for page in range(_MAX_PAGES):
            answer = self._call(
                "GET", f"/incidents/{_q(incident_id)}/alerts", query={"limit": PAGE_SIZE, "offset": page * PAGE_SIZE}
            )
            alerts.extend(Alert.from_api(item) for item in answer.get("alerts", []))
            if not answer.get("more"):
                break
        return alerts

    def custom_field_values(self, incident_id: str) -> list[CustomFieldValue]:
        answer = self._call("GET", f"/incidents/{_q(incident_id)}/custom_fields/values")
        return [CustomFieldValue.from_api(item) for item in answer.get("custom_fields", [])]

    # --- writes (PagerDuty requires ``From`` with an account-level key) ---------------------

    def resolve_incident(self, incident_id: str, resolution: str | None = None) -> PagerDutyIncident:
        change: dict[str, Any] = {"status": "resolved"}
        if resolution:
            change["resolution"] = resolution
        return self._update(incident_id, change)

    def acknowledge(self, incident_id: str) -> PagerDutyIncident:
        return self._update(incident_id, {"status": "acknowledged"})

    def reassign_to_escalation_policy(self, incident_id: str, policy_id: str) -> PagerDutyIncident:
        return self._update(
            incident_id, {"escalation_policy": {"id": policy_id, "type": "escalation_policy_reference"}}
        )

    def escalate(self, incident_id: str, level: int) -> PagerDutyIncident:
        return self._update(incident_id, {"escalation_level": level})

    def add_note(self, incident_id: str, content: str) -> Note:
        answer = self._call("POST", f"/incidents/{_q(incident_id)}/notes", body={"note": {"content": content}})
        return Note.from_api(answer.get("note"))

    def _update(self, incident_id: str, change: dict[str, Any]) -> PagerDutyIncident:
        body = {"incident": {"type": "incident_reference", **change}}
        answer = self._call("PUT", f"/incidents/{_q(incident_id)}", body=body)
        return PagerDutyIncident.from_api(answer.get("incident"))

    # --- transport ---------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        url = self.base_url + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        headers = {"Authorization": f"Token token={self._key}", "Accept": ACCEPT}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if method != "GET" and self.from_email:
            headers["From"] = self.from_email
        what = f"PagerDuty {method} {path}"
        attempt = 0
        while True:
            # The scheme was checked in __init__ (http/https only).
            request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return _json(response.read())
            except urllib.error.HTTPError as error:
                status, payload, wait = error.code, _json(error.read()), _retry_after(error.headers)
                error.close()
                if status != 429 and status < 500:
                    raise ServiceError(f"{what} -> {status}: {_pd_message(payload)}", status=status) from None
                reason = f"{status}: {_pd_message(payload)}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                reason, wait, status = f"connection failed ({type(error).__name__})", None, 0
            if attempt >= self.max_retries:
                raise ServiceUnavailable(f"{what} failed after {attempt + 1} attempts: {reason}", status=status)
            delay = min(wait, self.max_retry_after) if wait is not None else self.backoff * 2**attempt
            logger.info("%s: %s; retrying in %.2fs", what, reason, delay)
            self._sleep(delay)
            attempt += 1


def _q(identifier: str) -> str:
    return urllib.parse.quote(identifier, safe="")


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _retry_after(headers: Message | None) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _pd_message(payload: Mapping[str, Any]) -> str:
    """PagerDuty's ``{"error": {"message", "code", "errors": [...]}}`` as one line."""
    error = payload.get("error")
    if not isinstance(error, dict):
        return "no error message"
    message = str(error.get("message") or "error")
    details = error.get("errors")
    if isinstance(details, list) and details:
        message += " (" + "; ".join(str(d) for d in details) + ")"
    return message
