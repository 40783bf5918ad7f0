"""One exception tree for the whole product.

Each class says whether it is worth retrying (``retryable``) and which HTTP status a route
answers with (``status_code``). A Python Lambda reports the exception class name as
``errorType``, so the compiler emits Step Functions ``Retry``/``Catch`` rules straight from
these classes (see :func:`retryable_error_names`).
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar


class AofError(Exception):
    """Base of every error the product raises on purpose."""

    retryable: ClassVar[bool] = False
    status_code: ClassVar[int] = 500

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"error": type(self).__name__, "message": self.message, **self.details}


class RetryableError(AofError):
    """A transient failure: the same call may succeed later."""

    retryable = True


# --- specification and expressions -------------------------------------------------------


class SpecError(AofError):
    """A YAML resource is invalid. ``problems`` holds every finding as ``file:line: message``."""

    status_code = 400

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class ExpressionError(AofError):
    """A ``${...}`` template or a condition could not be parsed or evaluated."""

    status_code = 400

    def __init__(self, message: str, text: str = "", position: int = 0) -> None:
        super().__init__(message, text=text, position=position)
        self.text = text
        self.position = position

    def __str__(self) -> str:
        if not self.text:
            return self.message
        return f"{self.message} at position {self.position} in {self.text!r}"


class ConfigurationError(AofError):
    """A required setting (environment variable, flow field) is missing or wrong."""


class MissingCredential(ConfigurationError):
    """A deployed stage lacks the credential a node needs to reach its service.

    The node fails by this name instead of pretending to have sent anything; it is retried
    (the stage's configuration may be fixed meanwhile), then the flow's error path takes over.
    ``aofctl doctor`` and ``aofctl apply`` report the same gap before any incident arrives.
    """

    retryable = True

    def __init__(self, variable: str, needed_for: str) -> None:
        super().__init__(
            f"{variable} is not set in this deployed stage: {needed_for} cannot be sent", variable=variable
        )
        self.variable = variable


# --- inbound webhooks ---------------------------------------------------------------------


class WebhookError(AofError):
    status_code = 400


class BadRequest(WebhookError):
    status_code = 400


class Unauthorized(WebhookError):
    status_code = 401


class Forbidden(WebhookError):
    status_code = 403


class PayloadTooLarge(WebhookError):
    status_code = 413


# --- storage ------------------------------------------------------------------------------


class StoreError(AofError):
    pass


class AlreadyExists(StoreError):
    """A conditional write found a record already there; ``existing`` is that record."""

    status_code = 409

    def __init__(self, message: str, existing: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.existing = existing or {}


class NotFound(StoreError):
    status_code = 404


class StoreUnavailable(RetryableError):
    pass


# --- outside services ---------------------------------------------------------------------


class ServiceError(AofError):
    """An outside service (Slack, PagerDuty, an LLM provider, Kubernetes) refused a call."""


class ServiceUnavailable(RetryableError):
    """An outside service timed out, throttled us or answered 5xx."""


class ProviderError(ServiceError):
    """An LLM provider refused the request (bad request, auth): retrying will not help."""


class ProviderUnavailable(ServiceUnavailable):
    """An LLM provider timed out or failed on its side."""


class AgentOutputError(AofError):
    """The agent's final answer did not match its output schema, even after a corrective turn."""


# --- safety -------------------------------------------------------------------------------


class ToolRefused(AofError):
    """A tool call was refused before anything ran (not allowed program, forbidden flag...)."""


class PolicyDenied(AofError):
    """The safety policy refused an action (destructive without approval, budget spent...)."""


class ApprovalError(AofError):
    status_code = 409


# --- engine -------------------------------------------------------------------------------


class ExecutionError(AofError):
    pass


class TaskTimedOut(ExecutionError):
    pass


class WaitingForActingSlot(ExecutionError):
    """Every acting slot of the flow's ``rate_limit`` is taken. The compiled definition retries
    it on its own schedule (a wait in Step Functions, the engine's timer locally), not the
    generic retry policy: nothing sleeps in a Lambda for a slot."""


class RunStopped(ExecutionError):
    """The run was stopped (StopExecution, Ctrl-C, a human took the incident over): the step
    makes no further change. Not retryable: a retried attempt would be stopped all the same."""


def _subclasses(cls: type[AofError]) -> list[type[AofError]]:
    found: list[type[AofError]] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


#: Modules that define error classes of their own. They are imported before the tree is walked,
#: so the compiled Retry rules do not depend on which modules happened to be imported first.
ERROR_MODULES = (
    "chalicelib.store.errors",
    "chalicelib.webhooks.http",
    "chalicelib.engine.errors",
)


def retryable_error_names() -> list[str]:
    """Names of every retryable error class, as a Lambda reports them in ``errorType``."""
    for module in ERROR_MODULES:
        importlib.import_module(module)
    classes: list[type[AofError]] = [AofError, *_subclasses(AofError)]
    return sorted({c.__name__ for c in classes if c.retryable})
