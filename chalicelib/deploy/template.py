"""The CloudFormation merge template for ``chalice package --merge-template``.

Chalice packages the API and the Lambdas; this adds what ``aofctl apply`` would otherwise
create: the table, the Step Functions role (invoke only our functions), one state machine per
flow with the Lambda ARNs substituted at deploy time, and the flow registry parameter.
"""

from __future__ import annotations

import json
import re
from typing import Any

from chalice.utils import to_cfn_resource_name

from ..compiler import compile_flow
from ..nodes.dispatch import PLACEHOLDER_FUNCTIONS
from ..spec import Resources
from ..store import cloudformation_resources
from .desired import STATES_TRUST_POLICY, role_name, state_machine_name
from .registry import registry_parameter_name

_PLACEHOLDER = re.compile(r"\$\{(" + "|".join(map(re.escape, PLACEHOLDER_FUNCTIONS)) + r")\}")
ROLE_ID = "FlowExecutionRole"
REGISTRY_ID = "FlowRegistryParameter"


def _function_arn(short_name: str) -> dict[str, Any]:
    # Chalice names each @app.lambda_function's resource after its name, CamelCased.
    return {"Fn::GetAtt": [to_cfn_resource_name(short_name), "Arn"]}


def _substituted(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition as text with each placeholder replaced by the function's ARN.

    Fn::Join rather than Fn::Sub or DefinitionSubstitutions: the definition is full of the
    flows' own ``${...}`` expressions, which those would try (and fail) to resolve.
    """
    text = json.dumps(definition, indent=1, sort_keys=False)
    parts: list[Any] = []
    last = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(text[last : match.start()])
        parts.append(_function_arn(PLACEHOLDER_FUNCTIONS[match.group(1)]))
        last = match.end()
    parts.append(text[last:])
    return {"Fn::Join": ["", [_escaped(p) if isinstance(p, str) else p for p in parts if p != ""]]}


def _escaped(text: str) -> str:
    """``$`` before ``{`` written as the JSON escape ``\\u0024``: the same definition once Step
    Functions parses it, but no ``${...}`` for CloudFormation (and cfn-lint) to mistake for
    one of its own substitutions."""
    return text.replace("${", "\\u0024{")


def _machine_id(flow: str) -> str:
    return to_cfn_resource_name(flow) + "StateMachine"


def merge_template(resources: Resources, prefix: str, lambda_timeouts: dict[str, int] | None = None) -> dict[str, Any]:
    template_resources: dict[str, Any] = dict(cloudformation_resources(prefix))
    template_resources[ROLE_ID] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": role_name(prefix),
            "AssumeRolePolicyDocument": STATES_TRUST_POLICY,
            "Policies": [
                {
                    "PolicyName": "invoke-node-functions",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "lambda:InvokeFunction",
                                "Resource": [_function_arn(n) for n in sorted(PLACEHOLDER_FUNCTIONS.values())],
                            }
                        ],
                    },
                }
            ],
        },
    }
    registry: list[Any] = ["{"]
    for index, flow_name in enumerate(sorted(resources.flows)):
        flow = resources.flows[flow_name]
        machine_id = _machine_id(flow_name)
        template_resources[machine_id] = {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": state_machine_name(prefix, flow_name),
                "RoleArn": {"Fn::GetAtt": [ROLE_ID, "Arn"]},
                "DefinitionString": _substituted(compile_flow(flow, resources.agents, lambda_timeouts)),
            },
        }
        path = getattr(flow.spec.trigger.config, "path", None)
        registry.append(("," if index else "") + json.dumps(flow_name) + ':{"state_machine_arn":"')
        registry.append({"Ref": machine_id})
        registry.append('","trigger_path":' + json.dumps(path) + "}")
    registry.append("}")
    template_resources[REGISTRY_ID] = {
        "Type": "AWS::SSM::Parameter",
        "Properties": {
            "Name": registry_parameter_name(prefix),
            "Type": "String",
            "Description": "AOF flow registry: flow -> state machine ARN and trigger path",
            "Value": {"Fn::Join": ["", registry]},
        },
    }
    return {"Resources": template_resources}
