"""Storage errors beyond the shared tree, each a subclass of a class in :mod:`chalicelib.errors`."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import AlreadyExists, ApprovalError, StoreError


class ApprovalConflict(ApprovalError):
    """An approval can no longer be decided (already decided, cancelled or expired).

    ``existing`` is the stored record as a dict, so a route can answer
    "already approved by U123 at 2026-...".
    """

    def __init__(self, message: str, existing: dict[str, Any]) -> None:
        super().__init__(message, existing=existing)
        self.existing = existing


class InProgress(AlreadyExists):
    """An idempotency key is held by an attempt that has not finished nor expired.

    Retryable on purpose: the other attempt either completes (a retry then gets its result) or
    its claim expires (a retry then takes over).
    """

    retryable = True


class RecordTooLarge(StoreError):
    """A record is over the size both backends accept (DynamoDB caps an item at 400 KB)."""

    status_code = 413


class ArtifactTooLarge(StoreError):
    """An artifact is over :data:`chalicelib.store.rules.MAX_ARTIFACT_BYTES`."""

    status_code = 413
