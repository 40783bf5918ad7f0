"""Execute a plan: one AWS call group per pending change, in dependency order.

The order matters: the queue must exist before a function sends its failed events there, the
role and the log group before a state machine names them, and the machines before the registry
points the webhook at them.
"""

from __future__ import annotations

from .aws import AwsDeployClient
from .model import Change, Desired, Plan


def execute(desired: Desired, plan: Plan, aws: AwsDeployClient) -> list[Change]:
    """Apply every pending change of ``plan``; return those applied."""
    done: list[Change] = []
    pending = {(c.kind, c.name): c for c in plan.pending}

    tables = [c for c in plan.pending if c.kind == "table"]
    if tables:
        aws.ensure_tables(desired.prefix, desired.tables)
        done.extend(tables)

    log_group = pending.get(("log-group", desired.log_group))
    if log_group is not None:
        aws.create_log_group(desired.log_group)
        done.append(log_group)

    queue = pending.get(("failure-queue", desired.failure_queue))
    if queue is not None:
        aws.create_failure_queue(desired.failure_queue)
        done.append(queue)
    for short, arn in sorted(desired.async_functions.items()):
        on_failure = pending.get(("on-failure", short))
        if on_failure is not None:
            aws.put_on_failure(arn, desired.failure_queue_arn)
            done.append(on_failure)

    role = pending.get(("role", desired.role.name))
    if role is not None:
        if role.action == "create":
            aws.create_role(desired.role.name, desired.role.trust_policy)
        else:
            aws.update_trust_policy(desired.role.name, desired.role.trust_policy)
        aws.put_role_policy(desired.role.name, desired.role.policy_name, desired.role.policy)
        done.append(role)

    for machine in desired.state_machines:
        change = pending.get(("state-machine", machine.name))
        if change is None:
            continue
        if change.action == "create":
            aws.create_state_machine(machine.name, machine.definition, desired.role.arn, machine.logging)
        else:
            aws.update_state_machine(machine.arn, machine.definition, desired.role.arn, machine.logging)
        done.append(change)

    registry = pending.get(("flow-registry", desired.registry_parameter))
    if registry is not None:
        aws.put_parameter(desired.registry_parameter, desired.registry_value)
        done.append(registry)
    return done
