"""The planner is pure: desired vs observed state in, changes out (no AWS at all)."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from chalicelib.deploy.desired import desired_state
from chalicelib.deploy.model import Observed, ObservedRole, ObservedStateMachine, ObservedTable
from chalicelib.deploy.planner import plan
from chalicelib.nodes.dispatch import PLACEHOLDER_FUNCTIONS
from chalicelib.spec import Resources, load_resources
from tests.cloud.incidents import ROOT

ARNS = {
    s: f"arn:aws:lambda:eu-west-1:111122223333:function:aof-incident-response-dev-{s}"
    for s in [*PLACEHOLDER_FUNCTIONS.values(), "execution_finished", "post_incident_daily"]
}


@pytest.fixture(scope="module")
def resources() -> Resources:
    return load_resources([ROOT / "agents", ROOT / "flows"])


def everything_in_place(resources: Resources) -> Observed:
    desired = desired_state(resources, ARNS, "aof")
    return Observed(
        tables={"aof-store": ObservedTable(exists=True, ttl_enabled=True)},
        role=ObservedRole(
            trust_policy=copy.deepcopy(desired.role.trust_policy), policy=copy.deepcopy(desired.role.policy)
        ),
        state_machines={
            m.name: ObservedStateMachine(copy.deepcopy(m.definition), desired.role.arn, copy.deepcopy(m.logging), True)
            for m in desired.state_machines
        },
        log_group_exists=True,
        failure_queue_exists=True,
        on_failure={arn: (desired.failure_queue_arn, 2) for arn in desired.async_functions.values()},
        registry_value=desired.registry_value,
    )


def test_nothing_to_do_when_everything_matches(resources: Resources) -> None:
    result = plan(desired_state(resources, ARNS, "aof"), everything_in_place(resources))
    assert result.empty
    assert {c.action for c in result.changes} == {"unchanged"}


def test_names_and_arns_follow_the_region_and_account_of_the_functions(resources: Resources) -> None:
    desired = desired_state(resources, ARNS, "aof-prod")
    assert desired.role.arn == "arn:aws:iam::111122223333:role/aof-prod-states-execution"
    machine = next(m for m in desired.state_machines if m.flow == "incident-auto-response")
    assert machine.arn == "arn:aws:states:eu-west-1:111122223333:stateMachine:aof-prod-incident-auto-response"
    assert desired.registry_parameter == "/aof-prod/flows"


def test_a_widened_role_policy_is_put_back(resources: Resources) -> None:
    observed = everything_in_place(resources)
    assert observed.role is not None
    widened = copy.deepcopy(observed.role.policy)
    assert widened is not None
    widened["Statement"][0]["Resource"] = "*"
    observed.role = ObservedRole(observed.role.trust_policy, widened)
    (change,) = plan(desired_state(resources, ARNS, "aof"), observed).pending
    assert (change.kind, change.action, change.reason) == ("role", "update", "policy")


def test_missing_ttl_and_a_foreign_role_on_a_machine_are_updates(resources: Resources) -> None:
    observed = everything_in_place(resources)
    observed.tables["aof-store"] = ObservedTable(exists=True, ttl_enabled=False)
    current = observed.state_machines["aof-incident-auto-response"]
    assert current is not None
    observed.state_machines["aof-incident-auto-response"] = dataclasses.replace(
        current, role_arn="arn:aws:iam::111122223333:role/someone-else"
    )
    pending = {(c.kind, c.name): c.reason for c in plan(desired_state(resources, ARNS, "aof"), observed).pending}
    assert pending == {("table", "aof-store"): "enable TTL", ("state-machine", "aof-incident-auto-response"): "role"}


def test_a_machine_that_stopped_logging_or_tracing_is_put_back(resources: Resources) -> None:
    observed = everything_in_place(resources)
    current = observed.state_machines["aof-post-incident-daily"]
    assert current is not None
    with_data = {**current.logging, "includeExecutionData": True}  # incident text would reach the logs
    observed.state_machines["aof-post-incident-daily"] = dataclasses.replace(current, logging=with_data, tracing=False)
    observed.log_group_exists = False
    pending = {(c.kind, c.name): c.reason for c in plan(desired_state(resources, ARNS, "aof"), observed).pending}
    assert pending == {
        ("log-group", "/aws/vendedlogs/states/aof-flows"): "",
        ("state-machine", "aof-post-incident-daily"): "logging, tracing",
    }


def test_an_async_function_whose_failures_go_elsewhere_is_put_back(resources: Resources) -> None:
    observed = everything_in_place(resources)
    desired = desired_state(resources, ARNS, "aof")
    observed.on_failure[desired.async_functions["execution_finished"]] = ("arn:aws:sqs:eu-west-1:1:elsewhere", 2)
    observed.on_failure[desired.async_functions["post_incident_daily"]] = None
    pending = {(c.kind, c.name): (c.action, c.reason) for c in plan(desired, observed).pending}
    assert pending == {
        ("on-failure", "execution_finished"): ("update", "destination or retries"),
        ("on-failure", "post_incident_daily"): ("create", ""),
    }


def test_new_deployment_of_functions_moves_definitions_and_policy(resources: Resources) -> None:
    moved = {s: arn.replace("-dev-", "-dev2-") for s, arn in ARNS.items()}
    pending = plan(desired_state(resources, moved, "aof"), everything_in_place(resources)).pending
    # the new asynchronous functions have no failure destination yet
    assert {(c.kind, c.action) for c in pending} == {
        ("role", "update"),
        ("state-machine", "update"),
        ("on-failure", "create"),
    }
    assert {c.name for c in pending if c.kind == "state-machine"} == {
        "aof-incident-auto-response",
        "aof-post-incident-daily",
    }
