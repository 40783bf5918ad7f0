"""Typed views of the PagerDuty REST v2 objects the product reads (unknown fields kept aside)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Reference(_Model):
    id: str
    type: str | None = None
    summary: str | None = None


class Incident(_Model):
    id: str
    title: str | None = None
    status: str | None = None
    urgency: str | None = None
    html_url: str | None = None
    service: Reference | None = None
    escalation_policy: Reference | None = None


class AlertBody(_Model):
    details: dict[str, Any] = Field(default_factory=dict)


class Alert(_Model):
    id: str
    status: str | None = None
    summary: str | None = None
    body: AlertBody | None = None

    @property
    def details(self) -> dict[str, Any]:
        """The alert's custom details (``body.details``; some sources put a string there)."""
        details = self.body.details if self.body else {}
        return details if isinstance(details, dict) else {}


class CustomFieldValue(_Model):
    name: str
    value: Any = None
    id: str | None = None
    display_name: str | None = None
    data_type: str | None = None


class Note(_Model):
    id: str
    content: str
