"""What the app's routes and functions run against, built once per process.

``AOF_BACKEND=local`` (``aofctl serve``): the embedded engine and SQLite. ``aws``: Step
Functions and DynamoDB (``AOF_TABLE_PREFIX``). The state machine of each flow comes from the
flow registry that ``aofctl apply`` (or the packaged template) writes to the SSM parameter
``/<prefix>/flows``; ``AOF_STATE_MACHINE_ARNS`` (JSON, flow -> ARN) overrides it.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from typing import Any

from . import settings

_lock = threading.Lock()
_backend: Backend | None = None


class Backend:
    def __init__(self, env: Mapping[str, str], local_app: Any = None) -> None:
        self.env = dict(env)
        self.local_app = local_app
        self._store: Any = None
        self._notifier: Any = None
        self._bot_id: str | None = None
        self._runtime: Any = None
        self._flows: dict[str, Any] | None = None

    def _prefix(self) -> str:
        return settings.resolve(settings.AOF_TABLE_PREFIX, None, self.env, "aof") or "aof"

    def _client(self, service: str) -> Any:
        import boto3  # the aws backend only; local runs never pay for it

        region = self.env.get("AWS_REGION") or self.env.get("AWS_DEFAULT_REGION")
        return boto3.client(service, region_name=region)

    def flows(self) -> dict[str, Any]:
        """Flow name -> :class:`chalicelib.deploy.registry.FlowEntry`, read once per process."""
        if self._flows is None:
            from .deploy.registry import read_registry

            self._flows = read_registry(self._client("ssm"), self._prefix())
        return self._flows

    def state_machine_arns(self) -> dict[str, str]:
        explicit = self.env.get("AOF_STATE_MACHINE_ARNS")
        if explicit:
            arns: dict[str, str] = json.loads(explicit)
            return arns
        from .deploy.registry import state_machine_arns

        return state_machine_arns(self.flows())

    def flow_for_path(self, path: str) -> str | None:
        """The flow whose trigger listens on ``path`` (as registered by ``aofctl apply``)."""
        if self.local_app is not None:
            found: str | None = self.local_app.flow_for_path(path)
            return found
        return next((name for name, entry in self.flows().items() if entry.trigger_path == path), None)

    # -- the pieces, lazily ------------------------------------------------------------------

    def store(self) -> Any:
        if self.local_app is not None:
            return self.local_app.store
        if self._store is None:
            from .store import open_store

            self._store = open_store(f"dynamodb://{self._prefix()}", dynamodb_client=self._client("dynamodb"))
        return self._store

    def runtime(self) -> Any:
        if self.local_app is not None:
            return self.local_app.runtime
        if self._runtime is None:
            from .runtime.factory import make_runtime

            self._runtime = make_runtime(
                self.env,
                backend="aws",
                client=self._client("stepfunctions"),
                state_machine_arns=self.state_machine_arns(),
            )
        return self._runtime

    def start(self, flow: str, flow_event: dict[str, Any], name: str) -> str:
        if self.local_app is not None:
            run_id: str = self.local_app.start_run(flow, flow_event, name)
            return run_id
        from .service.remote import start_remote_run

        entry = self.flows().get(flow)
        limits = getattr(entry, "rate_limit", None)
        return start_remote_run(self.store(), self.runtime(), flow, flow_event, name, limits)

    def finish(self, execution_id: str) -> Any:
        """Record the outcome of a finished execution on its run (cloud: from the status event)."""
        if self.local_app is not None:
            self.local_app.finish(execution_id)
            return None
        from .service.remote import finish_remote_run

        return finish_remote_run(self.store(), self.runtime(), execution_id)

    def daily_analysis_settings(self, yaml_paths: list[str]) -> tuple[Any, str]:
        """The daily report's analyzer agent and channel: from the applied post-incident-daily
        state machine when the flow registry has one (a Lambda package carries no YAML), else
        from the project's YAML at ``yaml_paths``."""
        from .errors import ConfigurationError
        from .reports.daily import DAILY_FLOW, daily_from_definition, load_daily

        entry = None if self.local_app is not None else self.flows().get(DAILY_FLOW)
        if entry is None:
            missing = [p for p in yaml_paths if not os.path.isdir(p)]
            if missing:
                raise ConfigurationError(
                    f"no {DAILY_FLOW} flow applied (aofctl apply) and no YAML at {', '.join(missing)}"
                )
            return load_daily(yaml_paths)
        described = self._client("stepfunctions").describe_state_machine(stateMachineArn=entry.state_machine_arn)
        return daily_from_definition(json.loads(described["definition"]))

    def stop(self, execution_id: str) -> None:
        self.runtime().stop_execution(execution_id, error="HumanTookOver", cause="acknowledged in PagerDuty")

    # -- deps for the handlers ---------------------------------------------------------------

    def pagerduty_deps(self) -> Any:
        from .service.ports import FlowRunStarter, StoreDeliveryLog, StoreRunController, pagerduty_enricher
        from .webhooks.pagerduty import PagerDutyWebhookDeps
        from .webhooks.pagerduty_auth import PagerDutyAuthConfig

        flow = self.env.get("AOF_WEBHOOK_FLOW", "incident-auto-response")
        return PagerDutyWebhookDeps(
            auth=PagerDutyAuthConfig.from_env(self.env),
            deliveries=StoreDeliveryLog(self.store()),
            runs=FlowRunStarter(self.start, flow),
            controller=StoreRunController(self.store(), self.stop),
            # v3 deliveries carry no custom_details: read them from the REST API when a key is set.
            enricher=pagerduty_enricher(self.env),
        )

    def slack_deps(self) -> Any:
        from .nodes.approvals import show_decision
        from .service.ports import StoreApprovalResolver, StoreDeliveryLog
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

    def notifier(self) -> Any:
        if self.local_app is not None:
            return self.local_app.deps.notifier
        if self._notifier is None:
            from .nodes.notify import make_notifier

            self._notifier = make_notifier(self.env, self.store())
        return self._notifier

    def _bot_user_id(self) -> str | None:
        """The bot's own user id, so its reactions on its own message are never votes."""
        if self._bot_id is None and settings.resolve(settings.SLACK_BOT_TOKEN, None, self.env):
            from .integrations.slack import SlackClient

            try:
                self._bot_id = SlackClient(env=self.env).bot_user_id()
            except Exception:  # without it, reactions by anyone not an approver are still refused
                return None
        return self._bot_id

    def node_deps(self) -> Any:
        if self.local_app is not None:
            return self.local_app.deps
        from .nodes import deps_from_env

        deps = deps_from_env(self.store(), self.env)
        deps.send_task_success = self.runtime().send_task_success
        return deps


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
