"""API errors, returned to the client as ``Status`` objects."""

from __future__ import annotations

from typing import Any

from sandbox.apimachinery.registry import Resource


class ApiError(Exception):
    """An error returned to the client as a ``Status`` object."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def _qualified(res: Resource) -> str:
    return f"{res.plural}.{res.group}" if res.group else res.plural


def not_found(res: Resource, name: str) -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'{_qualified(res)} "{name}" not found',
        details={"name": name, "group": res.group, "kind": res.plural},
    )


def already_exists(res: Resource, name: str) -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f'{_qualified(res)} "{name}" already exists',
        details={"name": name, "group": res.group, "kind": res.plural},
    )


def conflict(res: Resource, name: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {_qualified(res)} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        details={"name": name, "group": res.group, "kind": res.plural},
    )


def invalid(kind: str, group: str, name: str, causes: list[tuple[str, str, str]]) -> ApiError:
    """422 Invalid. ``causes`` = [(field, reason, message)] with reason like FieldValueInvalid."""
    msgs = "; ".join(f"{f}: {m}" for f, _r, m in causes)
    msg = f'{kind}.{group} "{name}" is invalid: {msgs}' if group else f'{kind} "{name}" is invalid: {msgs}'
    if len(causes) > 1:
        msg = f'{kind} "{name}" is invalid: [{", ".join(f"{f}: {m}" for f, _r, m in causes)}]'
    return ApiError(
        422,
        "Invalid",
        msg,
        details={
            "name": name,
            "group": group,
            "kind": kind,
            "causes": [{"reason": r, "message": m, "field": f} for f, r, m in causes],
        },
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)
