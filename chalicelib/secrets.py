"""Secrets from SSM Parameter Store or Secrets Manager, named in the stage configuration.

A deployed stage names where each secret lives instead of carrying its value:
``SLACK_BOT_TOKEN_SSM_PARAMETER=/aof-prod/slack-bot-token`` (a SecureString, decrypted) or
``SLACK_BOT_TOKEN_SECRET_ID=aof-prod/slack-bot-token`` (a Secrets Manager secret string). The
value is fetched through Powertools' parameters utility, which caches it in the warm function
(``SECRET_MAX_AGE_SECONDS``), so a rotation is seen within minutes and an incident costs no
extra call. A plain ``SLACK_BOT_TOKEN`` still wins, for local use. Values fetched are kept for
redaction and never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from .errors import ConfigurationError

# Powertools' parameters utility (119 ms, boto3 with it) is imported when a secret is first read.

SSM_SUFFIX = "_SSM_PARAMETER"
SECRET_ID_SUFFIX = "_SECRET_ID"  # noqa: S105 - a variable-name suffix, not a secret
#: How long a fetched secret is reused before it is read again (Powertools' cache).
SECRET_MAX_AGE_SECONDS = 300

#: Every value fetched in this process, so that reports and logs can redact it.
_FETCHED: set[str] = set()


def reference(name: str, env: Mapping[str, str]) -> tuple[str, str] | None:
    """("ssm" or "secretsmanager", where) when the environment names a store for ``name``."""
    parameter = env.get(name + SSM_SUFFIX)
    if parameter:
        return "ssm", parameter
    secret_id = env.get(name + SECRET_ID_SUFFIX)
    if secret_id:
        return "secretsmanager", secret_id
    return None


def fetch(name: str, env: Mapping[str, str]) -> str | None:
    """The secret ``name`` from the store its reference names, or None when it names none."""
    found = reference(name, env)
    if found is None:
        return None
    store, where = found
    _quiet_wire_logs()
    from aws_lambda_powertools.utilities import parameters

    try:
        if store == "ssm":
            value = parameters.get_parameter(where, decrypt=True, max_age=SECRET_MAX_AGE_SECONDS)
        else:
            value = parameters.get_secret(where, max_age=SECRET_MAX_AGE_SECONDS)
    except parameters.exceptions.GetParameterError as exc:
        # The cause names the store's error (AccessDenied, ParameterNotFound), never a value.
        cause = type(exc.__cause__).__name__ if exc.__cause__ else "error"
        raise ConfigurationError(f"{name}: cannot read {store} {where!r} ({cause}: {exc.__cause__ or exc})") from exc
    text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
    if len(text) >= 4:
        _FETCHED.add(text)
    return text


#: botocore's DEBUG lines hold whole response bodies, a secret's value among them.
_WIRE_LOGGERS = ("botocore.parsers", "botocore.endpoint", "botocore.httpchecksum")


def _quiet_wire_logs() -> None:
    for name in _WIRE_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)


def fetched_values() -> list[str]:
    return sorted(_FETCHED)
