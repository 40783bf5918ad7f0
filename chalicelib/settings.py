"""Configuration resolved in one place: explicit argument, then environment, then default.

Every environment variable the product reads is named here. Functions take an ``env``
mapping so tests pass their own instead of mutating ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .secrets import fetch, fetched_values

PAGERDUTY_WEBHOOK_TOKEN = "PAGERDUTY_WEBHOOK_TOKEN"
PAGERDUTY_WEBHOOK_SECRET = "PAGERDUTY_WEBHOOK_SECRET"
PAGERDUTY_API_KEY = "PAGERDUTY_API_KEY"
PAGERDUTY_FROM_EMAIL = "PAGERDUTY_FROM_EMAIL"
PAGERDUTY_API_URL = "PAGERDUTY_API_URL"
SLACK_BOT_TOKEN = "SLACK_BOT_TOKEN"
SLACK_SIGNING_SECRET = "SLACK_SIGNING_SECRET"
SLACK_API_URL = "SLACK_API_URL"
SLACK_APPROVERS = "SLACK_APPROVERS"
ANTHROPIC_API_KEY = "ANTHROPIC_API_KEY"
ANTHROPIC_BASE_URL = "ANTHROPIC_BASE_URL"
OPENAI_API_KEY = "OPENAI_API_KEY"
OPENAI_BASE_URL = "OPENAI_BASE_URL"
KUBECONFIG = "KUBECONFIG"
#: The clusters a stage may act on, ``name=reference,...`` (``eks:NAME[@REGION]`` or a kubeconfig).
AOF_CLUSTERS = "AOF_CLUSTERS"
#: The cluster (a name from AOF_CLUSTERS) of runs whose flow and incident name none.
AOF_DEFAULT_CLUSTER = "AOF_DEFAULT_CLUSTER"
#: Per-flow clusters, ``flow=name,...``.
AOF_FLOW_CLUSTERS = "AOF_FLOW_CLUSTERS"
AOF_STATE_DIR = "AOF_STATE_DIR"
AOF_DB_PATH = "AOF_DB_PATH"
AOF_BACKEND = "AOF_BACKEND"  # "local" (embedded engine + SQLite) or "aws"
AOF_TABLE_PREFIX = "AOF_TABLE_PREFIX"
AOF_FLOWS_DIR = "AOF_FLOWS_DIR"
AOF_AGENTS_DIR = "AOF_AGENTS_DIR"
#: Where a Transform node's ``cat > FILE <<EOF`` files are written (the embedded default sets
#: STATE_DIR/files); unset, they are kept as run artifacts only (a Lambda has no disk to keep).
AOF_FILES_DIR = "AOF_FILES_DIR"
#: Overrides the flow's ``safety.monitor_seconds`` (the watch after each change).
AOF_MONITOR_SECONDS = "AOF_MONITOR_SECONDS"
#: The structured log's level (DEBUG, INFO, WARNING, ERROR); INFO unless the stage sets it.
AOF_LOG_LEVEL = "AOF_LOG_LEVEL"


def is_deployed(env: Mapping[str, str] | None = None) -> bool:
    """A deployed stage (``AOF_BACKEND=aws``): nothing may be printed instead of sent there."""
    return resolve(AOF_BACKEND, None, env) == "aws"


#: Values of these variables are secrets: never logged, never stored in run history.
SECRET_VARIABLES = frozenset(
    {
        PAGERDUTY_WEBHOOK_TOKEN,
        PAGERDUTY_WEBHOOK_SECRET,
        PAGERDUTY_API_KEY,
        SLACK_BOT_TOKEN,
        SLACK_SIGNING_SECRET,
        ANTHROPIC_API_KEY,
        OPENAI_API_KEY,
    }
)


def resolve(
    name: str,
    explicit: str | None = None,
    env: Mapping[str, str] | None = None,
    default: str | None = None,
) -> str | None:
    """Explicit value first, then the environment variable ``name``, then ``default``.

    A secret may instead be named by ``NAME_SSM_PARAMETER`` or ``NAME_SECRET_ID`` (see
    :mod:`chalicelib.secrets`); it is then read from that store, cached, and never logged.
    """
    if explicit is not None:
        return explicit
    source = os.environ if env is None else env
    value = source.get(name)
    if value is not None and value != "":
        return value
    if name in SECRET_VARIABLES:
        stored = fetch(name, source)
        if stored:
            return stored
    return default


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where the embedded default keeps its SQLite database (XDG state directory)."""
    source = os.environ if env is None else env
    explicit = source.get(AOF_STATE_DIR)
    if explicit:
        return Path(explicit)
    xdg = source.get("XDG_STATE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "state"
    return base / "aof"


def db_path(env: Mapping[str, str] | None = None) -> Path:
    source = os.environ if env is None else env
    explicit = source.get(AOF_DB_PATH)
    return Path(explicit) if explicit else state_dir(source) / "aof.db"


def secret_values(env: Mapping[str, str] | None = None) -> list[str]:
    """The current values of every secret variable, for redaction."""
    source = os.environ if env is None else env
    return [*(v for k in SECRET_VARIABLES if (v := source.get(k)) and len(v) >= 4), *fetched_values()]
