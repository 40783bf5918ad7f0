"""``POST /slack/interactivity`` (buttons) and ``POST /slack/events`` (reactions).

Slack wants an answer within 3 seconds: the handlers check the size, verify the signature,
parse (only a signed body), and make one
call to the :class:`ApprovalResolver` (one store operation plus one SendTaskSuccess); nothing
slower belongs here.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalicelib.errors import AlreadyExists, AofError, BadRequest
from chalicelib.record import Record
from chalicelib.webhooks.http import RetryLater, WebhookRequest, WebhookResponse
from chalicelib.webhooks.limits import MAX_WEBHOOK_BYTES, check_size
from chalicelib.webhooks.ports import ApprovalResolver, Decision, DeliveryLog, MessageRef, ResolutionResult
from chalicelib.webhooks.slack_signature import verify_slack_request
from chalicelib.webhooks.text import object_without_lone_surrogates

logger = logging.getLogger(__name__)

ACTION_DECISIONS: dict[str, Decision] = {
    "approval.approve": "approve",
    "approval.pause": "pause",
    "approval.skip": "skip",
}
#: The tutorial's reactions ✅ ⏸️ ❌ under the names Slack sends (and their look-alikes).
REACTION_DECISIONS: dict[str, Decision] = {
    "white_check_mark": "approve",
    "heavy_check_mark": "approve",
    "double_vertical_bar": "pause",
    "pause_button": "pause",
    "x": "skip",
    "negative_squared_cross_mark": "skip",
}


class SlackWebhookDeps(Record):
    signing_secret: str | None
    resolver: ApprovalResolver
    deliveries: DeliveryLog
    #: The bot's own user id: its reactions (it may seed ✅ ⏸️ ❌ on its message) are not votes.
    bot_user_id: str | None = None
    clock: Callable[[], float] = time.time
    max_body_bytes: int = MAX_WEBHOOK_BYTES


def handle_slack_interactivity(request: WebhookRequest, deps: SlackWebhookDeps) -> WebhookResponse:
    try:
        check_size(request.body, deps.max_body_bytes)
        verify_slack_request(request, deps.signing_secret, deps.clock)
        payload = _interactivity_payload(request.body)
        if payload.get("type") != "block_actions":
            return _ephemeral("Nothing to do for this interaction.", ignored=True)
        action = next(
            (a for a in payload.get("actions") or [] if isinstance(a, dict) and a.get("action_id") in ACTION_DECISIONS),
            None,
        )
        if action is None:
            return _ephemeral("Nothing to do for this action.", ignored=True)
        user_id = _str((payload.get("user") or {}).get("id"), "user.id")
        approval_id = _str(action.get("value"), "actions[].value")
        decision = ACTION_DECISIONS[str(action["action_id"])]
        at = _time(action.get("action_ts"), deps.clock)
        try:
            result = deps.resolver.resolve(approval_id, decision, user_id, at)
        except AofError:
            raise
        except Exception as error:
            logger.exception("approval %s: resolver failed", approval_id)
            raise RetryLater("could not record your decision; please try again") from error
        return _result(result)
    except AofError as error:
        return WebhookResponse.from_error(error)


def handle_slack_events(request: WebhookRequest, deps: SlackWebhookDeps) -> WebhookResponse:
    try:
        check_size(request.body, deps.max_body_bytes)
        verify_slack_request(request, deps.signing_secret, deps.clock)
        payload = _json_object(request.body)
        kind = payload.get("type")
        if kind == "url_verification":
            return WebhookResponse(200, {"challenge": _str(payload.get("challenge"), "challenge")})
        if kind != "event_callback":
            return WebhookResponse(200, {"ok": True, "ignored": True})
        return _event_callback(payload, request, deps)
    except AofError as error:
        return WebhookResponse.from_error(error)


def _event_callback(payload: dict[str, Any], request: WebhookRequest, deps: SlackWebhookDeps) -> WebhookResponse:
    event = payload.get("event")
    if not isinstance(event, dict):
        raise BadRequest("event_callback without an 'event' object", field="event")
    decision = _reaction_decision(event, deps.bot_user_id)
    if decision is None:
        return WebhookResponse(200, {"ok": True, "ignored": True})
    event_id = _str(payload.get("event_id"), "event_id")
    delivery_id = f"slack:{event_id}"
    try:
        deps.deliveries.record(
            delivery_id,
            {"source": "slack", "status": "received", "retry_num": request.header("X-Slack-Retry-Num") or "0"},
        )
    except AlreadyExists as repeat:
        # Slack retries when we were slow; only a finished first attempt makes this a duplicate
        # (the resolver applies a decision at most once, so finishing an unfinished one is safe).
        if repeat.existing.get("status") == "done":
            return WebhookResponse(200, {"ok": True, "duplicate": True, **_stored_result(repeat.existing)})
    item = event.get("item") or {}
    target = MessageRef(_str(item.get("channel"), "event.item.channel"), _str(item.get("ts"), "event.item.ts"))
    user_id = _str(event.get("user"), "event.user")
    try:
        result = deps.resolver.resolve(target, decision, user_id, _time(event.get("event_ts"), deps.clock))
    except Exception as error:
        # Marked failed so Slack's retry of this event id is processed again, not skipped.
        deps.deliveries.update(delivery_id, status="failed")
        if isinstance(error, AofError):
            raise
        raise RetryLater(f"could not apply the decision ({type(error).__name__})") from error
    deps.deliveries.update(delivery_id, status="done", applied=result.applied, message=result.message)
    return WebhookResponse(200, {"ok": True, "applied": result.applied, "message": result.message})


def _reaction_decision(event: dict[str, Any], bot_user_id: str | None) -> Decision | None:
    if event.get("type") != "reaction_added":
        return None
    if (event.get("item") or {}).get("type") != "message":
        return None
    if bot_user_id and event.get("user") == bot_user_id:
        return None
    return REACTION_DECISIONS.get(str(event.get("reaction", "")).split("::")[0])


def _interactivity_payload(body: bytes) -> dict[str, Any]:
    try:
        fields = urllib.parse.parse_qs(body.decode("utf-8"), strict_parsing=False)
    except UnicodeDecodeError:
        raise BadRequest("body is not UTF-8 form data") from None
    raw = fields.get("payload")
    if not raw:
        raise BadRequest("missing 'payload' form field", field="payload")
    return _json_object(raw[0].encode())


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (RecursionError, ValueError) as exc:
        raise BadRequest(f"body is not valid JSON: {type(exc).__name__}") from None
    if not isinstance(value, dict):
        raise BadRequest("body must be a JSON object")
    return object_without_lone_surrogates(value)


def _str(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise BadRequest(f"missing or empty field {field}", field=field)
    return value


def _time(slack_ts: Any, clock: Callable[[], float]) -> datetime:
    try:
        seconds = float(slack_ts)
    except (TypeError, ValueError):
        seconds = clock()
    return datetime.fromtimestamp(seconds, UTC)


def _result(result: ResolutionResult) -> WebhookResponse:
    return _ephemeral(result.message, applied=result.applied)


def _ephemeral(text: str, **extra: Any) -> WebhookResponse:
    # ``replace_original: false`` keeps the message; the resolver updates it through the API.
    return WebhookResponse(200, {"response_type": "ephemeral", "replace_original": False, "text": text, **extra})


def _stored_result(existing: dict[str, Any]) -> dict[str, Any]:
    return {key: existing[key] for key in ("applied", "message") if key in existing}
