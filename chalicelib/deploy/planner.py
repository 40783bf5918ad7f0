"""Plan: compare desired and observed state; no IO, so every decision is unit-testable."""

from __future__ import annotations

from .desired import ASYNC_RETRIES
from .model import Change, Desired, Observed, Plan


def plan(desired: Desired, observed: Observed) -> Plan:
    changes: list[Change] = []
    for table in desired.tables:
        name = table["create_table"]["TableName"]
        seen = observed.tables.get(name)
        if seen is None or not seen.exists:
            changes.append(Change("table", name, "create"))
        elif not seen.ttl_enabled:
            changes.append(Change("table", name, "update", "enable TTL"))
        else:
            changes.append(Change("table", name, "unchanged"))

    changes.append(Change("log-group", desired.log_group, "unchanged" if observed.log_group_exists else "create"))
    queue = desired.failure_queue
    changes.append(Change("failure-queue", queue, "unchanged" if observed.failure_queue_exists else "create"))
    for short, arn in sorted(desired.async_functions.items()):
        configured = observed.on_failure.get(arn)
        if configured is None:
            changes.append(Change("on-failure", short, "create"))
        elif configured != (desired.failure_queue_arn, ASYNC_RETRIES):
            changes.append(Change("on-failure", short, "update", "destination or retries"))
        else:
            changes.append(Change("on-failure", short, "unchanged"))

    role = desired.role
    if observed.role is None:
        changes.append(Change("role", role.name, "create"))
    else:
        reasons = []
        if observed.role.trust_policy != role.trust_policy:
            reasons.append("trust policy")
        if observed.role.policy != role.policy:
            reasons.append("policy")
        changes.append(Change("role", role.name, "update" if reasons else "unchanged", ", ".join(reasons)))

    for machine in desired.state_machines:
        current = observed.state_machines.get(machine.name)
        if current is None:
            changes.append(Change("state-machine", machine.name, "create"))
            continue
        reasons = []
        if current.definition != machine.definition:
            reasons.append("definition")
        if current.role_arn != role.arn:
            reasons.append("role")
        if current.logging != machine.logging:
            reasons.append("logging")
        if current.tracing != machine.tracing:
            reasons.append("tracing")
        changes.append(Change("state-machine", machine.name, "update" if reasons else "unchanged", ", ".join(reasons)))

    if observed.registry_value is None:
        changes.append(Change("flow-registry", desired.registry_parameter, "create"))
    elif observed.registry_value != desired.registry_value:
        changes.append(Change("flow-registry", desired.registry_parameter, "update", "flows or trigger paths"))
    else:
        changes.append(Change("flow-registry", desired.registry_parameter, "unchanged"))
    return Plan(changes)
