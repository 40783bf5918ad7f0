"""The flow registry: flow name -> state machine ARN and trigger path, in one SSM parameter.

Why SSM and not the Lambda environment: ``aofctl apply`` runs after ``chalice deploy`` (it
needs the functions' ARNs), so the state machines do not exist yet when the functions'
environment is written. One String parameter, ``/<table prefix>/flows``, read once per cold
start, lets the webhook Lambda find the machine to start without redeploying the functions.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.record import Record

from ..errors import ConfigurationError


class FlowEntry(Record):
    state_machine_arn: str
    trigger_path: str | None = None
    #: The flow's ``rate_limit`` (max_concurrent, queue_size, timeout_seconds): the webhook
    #: Lambda admits runs with it, so an incident storm does not become a remediation storm.
    rate_limit: dict[str, Any] | None = None


def registry_parameter_name(prefix: str) -> str:
    return f"/{prefix}/flows"


def encode_registry(entries: dict[str, FlowEntry]) -> str:
    """Stable JSON (sorted keys) so an unchanged registry compares equal as text."""
    body = {
        name: {
            "state_machine_arn": entry.state_machine_arn,
            "trigger_path": entry.trigger_path,
            **({"rate_limit": entry.rate_limit} if entry.rate_limit else {}),
        }
        for name, entry in entries.items()
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def decode_registry(text: str) -> dict[str, FlowEntry]:
    try:
        raw: Any = json.loads(text)
        return {
            str(name): FlowEntry(str(item["state_machine_arn"]), item.get("trigger_path"), item.get("rate_limit"))
            for name, item in raw.items()
        }
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ConfigurationError(f"the flow registry parameter is not valid: {error}") from None


def state_machine_arns(entries: dict[str, FlowEntry]) -> dict[str, str]:
    return {name: entry.state_machine_arn for name, entry in entries.items()}


def read_registry(ssm: Any, prefix: str) -> dict[str, FlowEntry]:
    """The registry as the webhook Lambda reads it at cold start: one GetParameter.

    Through the client alone (its own exception classes) rather than the deploy client, which
    would load the whole of ``aofctl apply`` into the API function.
    """
    name = registry_parameter_name(prefix)
    try:
        text = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return {}
    except ssm.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        raise ConfigurationError(f"cannot read the flow registry {name} ({code}); check the function's role") from error
    return decode_registry(str(text))
