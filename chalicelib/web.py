"""What the app's routes and functions run against, built once per process.

A composition root builds the object graph: :class:`chalicelib.service.deployed.DeployedStage`
(Step Functions, DynamoDB; ``app.py`` in a deployed stage) unless one is given, such as the
embedded default's :class:`chalicelib.service.local.LocalApp` (``aofctl serve``, tests). The
routes only ever talk to the root's run service, store, runtime and notifier.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from . import settings
from .service.ports import FlowRunStarter, StoreApprovalResolver, StoreDeliveryLog, pagerduty_enricher
from .webhooks.pagerduty_auth import PagerDutyAuthConfig

if TYPE_CHECKING:
    from .nodes.deps import NodeDeps
    from .nodes.notify import Notifier
    from .runtime.base import Runtime
    from .service.runs import RunService
    from .store import Store
    from .webhooks.pagerduty import PagerDutyWebhookDeps
    from .webhooks.slack import SlackWebhookDeps

# Imported where used, so that one route or function does not pay for another's: Slack's Web
# API client (52 ms), the Lambda time limits of node functions (11 ms), the approval node (6 ms),
# the PagerDuty handler (4 ms), the deployed root (2 ms) and the Slack handlers (2 ms).

_lock = threading.Lock()
_backend: Backend | None = None


class Root(Protocol):
    """What a composition root offers the routes and the Lambda functions."""

    @property
    def service(self) -> RunService: ...

    @property
    def store(self) -> Store: ...

    @property
    def runtime(self) -> Runtime: ...

    @property
    def notifier(self) -> Notifier: ...

    @property
    def node_deps(self) -> NodeDeps: ...

    def daily_analysis_settings(self, yaml_paths: list[str]) -> tuple[Any, str]: ...


class Backend:
    def __init__(self, env: Mapping[str, str], local_app: Root | None = None) -> None:
        self.env = dict(env)
        if local_app is None:
            from .service.deployed import DeployedStage

            local_app = DeployedStage(self.env)
        self.root: Root = local_app
        self._bot_id: str | None = None

    def store(self) -> Store:
        return self.root.store

    def runtime(self) -> Runtime:
        return self.root.runtime

    def service(self) -> RunService:
        return self.root.service

    def flow_for_path(self, path: str) -> str | None:
        """The flow whose trigger listens on ``path``."""
        return self.root.service.flow_for_path(path)

    def start(self, flow: str, flow_event: dict[str, Any], name: str) -> str:
        return self.root.service.start(flow, flow_event, name)

    def finish(self, execution_id: str) -> str | None:
        """Record the outcome of a finished execution on its run (cloud: from the status event)."""
        return self.root.service.finish(execution_id)

    def run_node(self, function: str, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        """A node Lambda's work: the handler, then the run service hears what the node found."""
        deps = self.root.node_deps
        if context is not None:
            # An agent starts no tool call that could outlast this invocation.
            from .agents.time_limits import with_lambda_context

            deps = with_lambda_context(deps, context)
        return self.root.service.run_node(function, event, deps)

    def daily_analysis_settings(self, yaml_paths: list[str]) -> tuple[Any, str]:
        """The daily report's analyzer agent and channel (from the applied flow when deployed)."""
        return self.root.daily_analysis_settings(yaml_paths)

    # -- deps for the handlers ---------------------------------------------------------------

    def pagerduty_deps(self) -> PagerDutyWebhookDeps:
        from .webhooks.pagerduty import PagerDutyWebhookDeps

        flow = self.env.get("AOF_WEBHOOK_FLOW", "incident-auto-response")
        return PagerDutyWebhookDeps(
            auth=PagerDutyAuthConfig.from_env(self.env),
            deliveries=StoreDeliveryLog(self.store()),
            runs=FlowRunStarter(self.start, flow),
            controller=self.root.service,
            # v3 deliveries carry no custom_details: read them from the REST API when a key is set.
            enricher=pagerduty_enricher(self.env),
        )

    def slack_deps(self) -> SlackWebhookDeps:
        from .nodes.approvals import show_decision
        from .webhooks.slack import SlackWebhookDeps

        # On a decision the approval message shows who decided what and when (buttons gone).
        resolver = StoreApprovalResolver(
            self.store(), self.runtime().send_task_success, self.env, on_decided=show_decision(self.notifier)
        )
        return SlackWebhookDeps(
            signing_secret=settings.resolve(settings.SLACK_SIGNING_SECRET, None, self.env),
            resolver=resolver,
            deliveries=StoreDeliveryLog(self.store()),
            bot_user_id=self._bot_user_id(),
        )

    def notifier(self) -> Notifier:
        return self.root.notifier

    def _bot_user_id(self) -> str | None:
        """The bot's own user id, so its reactions on its own message are never votes."""
        if self._bot_id is None and settings.resolve(settings.SLACK_BOT_TOKEN, None, self.env):
            from .integrations.slack import SlackClient

            try:
                self._bot_id = SlackClient(env=self.env).bot_user_id()
            except Exception:  # without it, reactions by anyone not an approver are still refused
                return None
        return self._bot_id

    def node_deps(self) -> NodeDeps:
        return self.root.node_deps


def backend() -> Backend:
    global _backend
    with _lock:
        if _backend is None:
            _backend = Backend(os.environ)
        return _backend


def install(new: Backend | None) -> None:
    """Use ``new`` for the app's routes (``aofctl serve`` and tests install theirs)."""
    global _backend
    with _lock:
        _backend = new
