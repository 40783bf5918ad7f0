"""Observe: what exists in AWS today, for the resources apply manages."""

from __future__ import annotations

from .aws import AwsDeployClient
from .model import Desired, Observed


def observe(desired: Desired, aws: AwsDeployClient) -> Observed:
    observed = Observed()
    for table in desired.tables:
        name = table["create_table"]["TableName"]
        observed.tables[name] = aws.table(name)
    observed.log_group_exists = aws.log_group_exists(desired.log_group)
    observed.failure_queue_exists = aws.queue_exists(desired.failure_queue)
    for arn in desired.async_functions.values():
        observed.on_failure[arn] = aws.on_failure(arn)
    observed.role = aws.role(desired.role.name, desired.role.policy_name)
    for machine in desired.state_machines:
        observed.state_machines[machine.name] = aws.state_machine(machine.arn)
    observed.registry_value = aws.parameter(desired.registry_parameter)
    return observed
