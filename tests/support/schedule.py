"""Invoke app.py's scheduled daily report the way EventBridge does, on a given environment."""

from __future__ import annotations

import pytest
from chalice.test import Client

import app as chalice_app
from chalicelib.web import Backend, install


def invoke_schedule(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    install(Backend(env))
    try:
        with Client(chalice_app.app) as chalice:
            event = chalice.events.generate_cw_event(
                source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
            )
            chalice.lambda_.invoke("post_incident_daily", event)
    finally:
        install(None)
