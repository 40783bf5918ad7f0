"""What node handlers need from the outside world, built once per process from the environment."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from ..settings import PAGERDUTY_API_KEY, resolve
from ..store import Store
from .notify import Notifier, make_notifier

if TYPE_CHECKING:
    from ..integrations.pagerduty import PagerDutyClient

# The PagerDuty REST client (13 ms) is imported when a node first needs it.


@dataclass
class NodeDeps:
    store: Store
    env: Mapping[str, str]
    notifier: Notifier
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    #: Sends the decision of an approval to the execution (Step Functions or the engine).
    send_task_success: Callable[[str, str], None] | None = None
    #: Extra options handed to the agent runtime (e.g. default fallback model).
    agent_options: dict[str, Any] = field(default_factory=dict)
    out: TextIO | None = None

    def pagerduty(self) -> PagerDutyClient | None:
        """A PagerDuty REST client when ``PAGERDUTY_API_KEY`` is set, else None (printed instead)."""
        if not resolve(PAGERDUTY_API_KEY, None, self.env):
            return None
        from ..integrations.pagerduty import PagerDutyClient

        return PagerDutyClient(env=self.env)


def deps_from_env(store: Store, env: Mapping[str, str] | None = None, out: TextIO | None = None) -> NodeDeps:
    source = dict(os.environ if env is None else env)
    return NodeDeps(store=store, env=source, notifier=make_notifier(source, store, out), out=out)
