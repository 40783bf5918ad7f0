"""The AWS actions the product's code can call, found by reading it.

Every call on a botocore client is ``client.<operation>(...)`` (or, through the store's table
wrapper, ``_call("<operation>", ...)``); the operation names of the services the product talks
to come from botocore's own service models, so a new call is found without a list to keep.
The local engine and the SQLite store are left out: they talk to no AWS service.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import botocore.session
from botocore import xform_name

ROOT = Path(__file__).resolve().parents[2]
SERVICES = (
    "dynamodb",
    "stepfunctions",
    "ssm",
    "iam",
    "sts",
    "lambda",
    "logs",
    "secretsmanager",
    "eks",
    "cloudwatch",
    "sqs",
)
NOT_AWS = (
    "chalicelib/engine/",
    "chalicelib/store/sqlite/",
    "chalicelib/runtime/local.py",
    "chalicelib/cli/serve_cmd.py",
)
#: Methods of our own objects that share a name with an AWS operation.
OWN_METHODS = {
    ("get_delivery", "chalicelib/nodes/notify.py"),  # the store's delivery log
    ("invoke", "chalicelib/agents/loop.py"),  # a model's or a tool's invoke
    ("invoke", "chalicelib/agents/tools/kubernetes.py"),
}
#: Powertools' parameters functions and the operation each calls (``get_parameter`` is its own name).
POWERTOOLS_CALLS = {"get_secret": "get_secret_value"}
#: Where IAM's action is not the API operation's name.
IAM_ACTIONS = {"lambda:Invoke": "lambda:InvokeFunction"}


def operations() -> dict[str, set[str]]:
    """``snake_case`` operation name -> the IAM actions it may be, over :data:`SERVICES`."""
    session = botocore.session.get_session()
    found: dict[str, set[str]] = defaultdict(set)
    for service in SERVICES:
        model = session.get_service_model(service)
        for name in model.operation_names:
            action = f"{model.signing_name}:{name}"
            found[xform_name(name)].add(IAM_ACTIONS.get(action, action))
    return found


def called_actions(sources: list[Path] | None = None) -> dict[str, set[str]]:
    """``snake_case`` operation -> the files (relative) that call it, over ``chalicelib/`` and ``app.py``."""
    known = operations()
    files = sources or [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]
    found: dict[str, set[str]] = defaultdict(set)
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(NOT_AWS):
            continue
        for node in ast.walk(ast.parse(path.read_text(), relative)):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            names = [node.func.attr]
            if node.func.attr in POWERTOOLS_CALLS:
                names.append(POWERTOOLS_CALLS[node.func.attr])
            if node.func.attr == "_call" and node.args and isinstance(node.args[0], ast.Constant):
                names.append(str(node.args[0].value))
            for name in names:
                if name in known and (name, relative) not in OWN_METHODS:
                    found[name].add(relative)
    return found
