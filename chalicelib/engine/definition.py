"""Loading a definition: refuse anything outside the subset this engine runs, naming state and field."""

from __future__ import annotations

from typing import Any

from chalicelib.engine import choice, intrinsics, paths, templates

from .errors import DefinitionError

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
LAMBDA_INVOKE_WAIT = "arn:aws:states:::lambda:invoke.waitForTaskToken"
RESOURCES = frozenset({LAMBDA_INVOKE, LAMBDA_INVOKE_WAIT})

_TOP_FIELDS = frozenset({"StartAt", "States", "Comment", "TimeoutSeconds", "Version", "QueryLanguage"})
_COMMON = frozenset({"Type", "Comment", "InputPath", "OutputPath"})
_FLOW = frozenset({"Next", "End"})
_FIELDS: dict[str, frozenset[str]] = {
    "Task": _COMMON
    | _FLOW
    | {
        "Resource",
        "Parameters",
        "ResultSelector",
        "ResultPath",
        "Retry",
        "Catch",
        "TimeoutSeconds",
        "HeartbeatSeconds",
    },
    "Pass": _COMMON | _FLOW | {"Result", "ResultPath", "Parameters"},
    "Choice": _COMMON | {"Choices", "Default"},
    "Wait": _COMMON | _FLOW | {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
    "Parallel": _COMMON | _FLOW | {"Branches", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch"},
    "Map": _COMMON
    | _FLOW
    | {
        "ItemsPath",
        "ItemSelector",
        "Parameters",
        "ItemProcessor",
        "Iterator",
        "MaxConcurrency",
        "MaxConcurrencyPath",
        "ToleratedFailureCount",
        "ToleratedFailureCountPath",
        "ToleratedFailurePercentage",
        "ToleratedFailurePercentagePath",
        "ResultSelector",
        "ResultPath",
        "Retry",
        "Catch",
        "Label",
    },
    "Succeed": _COMMON,
    "Fail": frozenset({"Type", "Comment", "Error", "Cause", "ErrorPath", "CausePath"}),
}
_RETRY_FIELDS = frozenset(
    {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"}
)
_CATCH_FIELDS = frozenset({"ErrorEquals", "Next", "ResultPath", "Comment"})

Problem = tuple[str | None, str | None, str]


class Findings(list[Problem]):
    """The problems found so far, and whether Task states may name any resource (mocked runs)."""

    def __init__(self, *, any_resource: bool = False) -> None:
        super().__init__()
        self.any_resource = any_resource


def validate(definition: Any, *, any_resource: bool = False) -> None:
    """Raise :class:`DefinitionError` listing every unsupported or invalid thing.

    ``any_resource``: Task states may name any resource ARN (their results are mocked);
    otherwise only the Lambda integrations this engine calls are accepted.
    """
    problems = Findings(any_resource=any_resource)
    if not isinstance(definition, dict):
        raise DefinitionError([(None, None, "a definition must be a JSON object")])
    _machine(definition, problems, top=True)
    if problems:
        raise DefinitionError(problems)


def _machine(d: dict[str, Any], problems: Findings, *, top: bool) -> None:
    allowed = _TOP_FIELDS if top else frozenset({"StartAt", "States", "Comment"})
    for field in d:
        if field not in allowed:
            problems.append((None, field, "unsupported top-level field"))
    if d.get("QueryLanguage", "JSONPath") != "JSONPath":
        problems.append((None, "QueryLanguage", "only JSONPath is supported"))
    if "TimeoutSeconds" in d and not _positive_int(d["TimeoutSeconds"]):
        problems.append((None, "TimeoutSeconds", "must be a positive integer"))
    states = d.get("States")
    if not isinstance(states, dict) or not states:
        problems.append((None, "States", "must be a non-empty object"))
        return
    if d.get("StartAt") not in states:
        problems.append((None, "StartAt", f"names no state: {d.get('StartAt')!r}"))
    for name, state in states.items():
        if len(name) > 80:
            problems.append((name, None, "a state name is at most 80 characters"))
        _state(name, state, states, problems)
    if not problems and d.get("StartAt") in states:
        for name in states:
            if name not in _reachable(d["StartAt"], states):
                problems.append((name, None, "no transition reaches this state"))


def _reachable(start: str, states: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen or not isinstance(states.get(name), dict):
            continue
        seen.add(name)
        s = states[name]
        todo.extend(t for t in (s.get("Next"), s.get("Default")) if isinstance(t, str))
        for group in ("Choices", "Catch"):
            todo.extend(r["Next"] for r in s.get(group, []) if isinstance(r, dict) and isinstance(r.get("Next"), str))
    return seen


def _positive_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def _state(name: str, s: Any, states: dict[str, Any], problems: Findings) -> None:
    if not isinstance(s, dict):
        problems.append((name, None, "a state must be an object"))
        return
    kind = s.get("Type")
    if kind not in _FIELDS:
        problems.append((name, "Type", f"unsupported state type {kind!r}"))
        return
    for field in s:
        if field not in _FIELDS[kind]:
            problems.append((name, field, f"unsupported field for a {kind} state"))
    if kind in ("Task", "Pass", "Wait", "Parallel", "Map"):
        if ("Next" in s) == bool(s.get("End")):
            problems.append((name, "Next", "exactly one of Next or End: true is required"))
        elif "Next" in s and s["Next"] not in states:
            problems.append((name, "Next", f"names no state: {s['Next']!r}"))
    for field in ("InputPath", "OutputPath", "ResultPath"):
        if field in s and s[field] is not None:
            _path(name, field, s[field], problems, reference=field == "ResultPath")
    for field in ("Parameters", "ResultSelector", "ItemSelector"):
        if field in s:
            for msg in templates.problems(s[field]):
                problems.append((name, field, msg))
    if kind == "Task":
        _task(name, s, problems)
    if kind in ("Task", "Parallel", "Map"):
        _retry_catch(name, s, states, problems)
    if kind == "Choice":
        _choices(name, s, states, problems)
    if kind == "Wait":
        _wait(name, s, problems)
    if kind == "Fail":
        for field in ("Error", "Cause"):
            if field in s and f"{field}Path" in s:
                problems.append((name, f"{field}Path", f"{field} and {field}Path cannot be used together"))
            if field in s and not isinstance(s[field], str):
                problems.append((name, field, "must be a string"))
            if f"{field}Path" in s:
                _dynamic_string(name, f"{field}Path", s[f"{field}Path"], problems)
    if kind == "Parallel":
        branches = s.get("Branches")
        if not isinstance(branches, list) or not branches:
            problems.append((name, "Branches", "must be a non-empty list"))
        else:
            for i, branch in enumerate(branches):
                _nested(name, f"Branches[{i}]", branch, problems)
    if kind == "Map":
        _map(name, s, problems)


def _nested(name: str, field: str, machine: Any, problems: Findings, extra: frozenset[str] = frozenset()) -> None:
    """A Parallel branch or a Map's processor: a state machine of its own, problems prefixed."""
    sub = Findings(any_resource=problems.any_resource)
    if isinstance(machine, dict):
        _machine({k: v for k, v in machine.items() if k not in extra}, sub, top=False)
    else:
        sub.append((None, None, "must be an object with StartAt and States"))
    for st, f, msg in sub:
        problems.append((f"{name}.{field}" + (f".{st}" if st else ""), f, msg))


_MAP_PROCESSOR_EXTRA = frozenset({"ProcessorConfig"})


def _map(name: str, s: dict[str, Any], problems: Findings) -> None:
    given = [f for f in ("ItemProcessor", "Iterator") if f in s]
    if len(given) != 1:
        problems.append((name, "ItemProcessor", "exactly one of ItemProcessor or Iterator is required"))
    else:
        processor = s[given[0]]
        _nested(
            name, given[0], processor, problems, _MAP_PROCESSOR_EXTRA if given[0] == "ItemProcessor" else frozenset()
        )
        config = processor.get("ProcessorConfig", {}) if isinstance(processor, dict) else {}
        if not isinstance(config, dict) or config.get("Mode", "INLINE") != "INLINE":
            problems.append((name, f"{given[0]}.ProcessorConfig", "only the INLINE mode runs on this engine"))
    if "ItemSelector" in s and "Parameters" in s:
        problems.append((name, "Parameters", "ItemSelector and Parameters cannot be used together"))
    if "ItemsPath" in s:
        _path(name, "ItemsPath", s["ItemsPath"], problems, reference=True)
    for field, check, wording in (
        ("MaxConcurrency", _non_negative_int, "a non-negative integer"),
        ("ToleratedFailureCount", _non_negative_int, "a non-negative integer"),
        ("ToleratedFailurePercentage", _percentage, "a number from 0 to 100"),
    ):
        if field in s and f"{field}Path" in s:
            problems.append((name, f"{field}Path", f"{field} and {field}Path cannot be used together"))
        if field in s and not check(s[field]):
            problems.append((name, field, f"must be {wording}"))
        if f"{field}Path" in s:
            _path(name, f"{field}Path", s[f"{field}Path"], problems, reference=True)


def _non_negative_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _percentage(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 100


def _task(name: str, s: dict[str, Any], problems: Findings) -> None:
    resource = s.get("Resource")
    if problems.any_resource:
        if not isinstance(resource, str) or not resource.startswith("arn:"):
            problems.append((name, "Resource", f"must be an ARN, got {resource!r}"))
    elif resource not in RESOURCES:
        problems.append((name, "Resource", f"unsupported resource {resource!r}"))
    if resource in RESOURCES:
        params = s.get("Parameters")
        if not isinstance(params, dict) or not ("FunctionName" in params or "FunctionName.$" in params):
            problems.append((name, "Parameters", "a lambda:invoke task needs Parameters.FunctionName"))
    for field in ("TimeoutSeconds", "HeartbeatSeconds"):
        if field in s and not _positive_int(s[field]):
            problems.append((name, field, "must be a positive integer"))
    timeout = s.get("TimeoutSeconds", 60 * 60 * 24 * 365)
    if _positive_int(s.get("HeartbeatSeconds")) and _positive_int(timeout) and s["HeartbeatSeconds"] >= timeout:
        problems.append((name, "HeartbeatSeconds", "must be smaller than TimeoutSeconds"))


def _wait(name: str, s: dict[str, Any], problems: Findings) -> None:
    given = [f for f in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath") if f in s]
    if len(given) != 1:
        problems.append((name, "Seconds", "exactly one of Seconds/SecondsPath/Timestamp/TimestampPath"))
        return
    field = given[0]
    if field == "Seconds" and not _non_negative_int(s[field]):
        problems.append((name, field, "must be a non-negative integer"))
    elif field == "Timestamp" and choice.timestamp(s[field]) is None:
        problems.append((name, field, f"{s[field]!r} is not an RFC 3339 timestamp (2026-01-01T10:00:00Z)"))
    elif field.endswith("Path"):
        _path(name, field, s[field], problems, reference=True)


def _dynamic_string(name: str, field: str, value: Any, problems: Findings) -> None:
    """ErrorPath/CausePath: a reference path, or an intrinsic (one that gives a string)."""
    if isinstance(value, str) and intrinsics.is_intrinsic(value):
        try:
            call = intrinsics.parse(value)
        except ValueError as exc:
            problems.append((name, field, str(exc)))
            return
        if intrinsics.SIGNATURES[call.name].result not in ("str", "any"):
            problems.append((name, field, f"{call.name} does not give a string"))
        return
    _path(name, field, value, problems, reference=True)


def _path(name: str, field: str, value: Any, problems: Findings, *, reference: bool) -> None:
    if not isinstance(value, str):
        problems.append((name, field, "must be a JSONPath string or null"))
        return
    msg = paths.validate_path(value)
    if msg is None and reference and not paths.is_definite(value):
        msg = f"{value!r} is not a reference path (one node, no wildcards or filters)"
    if msg is not None:
        problems.append((name, field, msg))


_RETRY_NUMBERS: dict[str, tuple[Any, str]] = {
    "IntervalSeconds": (lambda v: _positive_int(v) and v < 99_999_999, "a positive integer"),
    "MaxAttempts": (lambda v: _non_negative_int(v) and v < 99_999_999, "a non-negative integer"),
    "BackoffRate": (lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v >= 1.0, "a number >= 1.0"),
    "MaxDelaySeconds": (lambda v: _positive_int(v) and v < 31_622_401, "a positive integer below 31622401"),
}


def _retry_catch(name: str, s: dict[str, Any], states: dict[str, Any], problems: Findings) -> None:
    for group, allowed in (("Retry", _RETRY_FIELDS), ("Catch", _CATCH_FIELDS)):
        entries = s.get(group, [])
        if not isinstance(entries, list):
            problems.append((name, group, "must be a list"))
            continue
        for i, entry in enumerate(entries):
            where = f"{group}[{i}]"
            if not isinstance(entry, dict):
                problems.append((name, where, "must be an object"))
                continue
            for field in entry:
                if field not in allowed:
                    problems.append((name, f"{where}.{field}", f"unsupported {group} field"))
            _error_equals(name, where, entry.get("ErrorEquals"), last=i == len(entries) - 1, problems=problems)
            if group == "Retry":
                for field, (ok, wording) in _RETRY_NUMBERS.items():
                    if field in entry and not ok(entry[field]):
                        problems.append((name, f"{where}.{field}", f"must be {wording}"))
                if entry.get("JitterStrategy", "NONE") not in ("NONE", "FULL"):
                    problems.append((name, f"{where}.JitterStrategy", "must be NONE or FULL"))
            else:
                if entry.get("Next") not in states:
                    problems.append((name, f"{where}.Next", f"names no state: {entry.get('Next')!r}"))
                if entry.get("ResultPath") is not None:
                    _path(name, f"{where}.ResultPath", entry["ResultPath"], problems, reference=True)


def _error_equals(name: str, where: str, errors: Any, *, last: bool, problems: Findings) -> None:
    field = f"{where}.ErrorEquals"
    if not isinstance(errors, list) or not errors or not all(isinstance(e, str) for e in errors):
        problems.append((name, field, "must be a non-empty list of error names"))
        return
    if "States.ALL" in errors:
        # Step Functions: States.ALL appears alone, in the last retrier or catcher.
        if len(errors) != 1:
            problems.append((name, field, "States.ALL must be the only error name in its ErrorEquals"))
        if not last:
            problems.append((name, field, "States.ALL must be in the last entry"))


def _choices(name: str, s: dict[str, Any], states: dict[str, Any], problems: Findings) -> None:
    rules = s.get("Choices")
    if not isinstance(rules, list) or not rules:
        problems.append((name, "Choices", "must be a non-empty list"))
        return
    if "Default" in s and s["Default"] not in states:
        problems.append((name, "Default", f"names no state: {s['Default']!r}"))
    for i, rule in enumerate(rules):
        where = f"Choices[{i}]"
        if not isinstance(rule, dict):
            problems.append((name, where, "a rule must be an object"))
            continue
        if rule.get("Next") not in states:
            problems.append((name, f"{where}.Next", f"names no state: {rule.get('Next')!r}"))
        _rule(name, where, rule, problems, top=True)


def _operand(name: str, where: str, op: str, value: Any, problems: Findings) -> None:
    """The literal a data-test operator compares with has the operator's type."""
    if op.endswith("Path"):
        _path(name, f"{where}.{op}", value, problems, reference=False)
        return
    if op in choice.TYPE_TESTS:
        ok, wording = isinstance(value, bool), "true or false"
    elif op.startswith("String"):
        ok, wording = isinstance(value, str), "a string"
    elif op.startswith("Numeric"):
        ok, wording = isinstance(value, int | float) and not isinstance(value, bool), "a number"
    elif op.startswith("Boolean"):
        ok, wording = isinstance(value, bool), "true or false"
    else:
        ok, wording = choice.timestamp(value) is not None, "an RFC 3339 timestamp"
    if not ok:
        problems.append((name, f"{where}.{op}", f"must be {wording}, got {value!r}"))


def _rule(name: str, where: str, rule: Any, problems: Findings, *, top: bool) -> None:
    if not isinstance(rule, dict):
        problems.append((name, where, "a rule must be an object"))
        return
    allowed = {"Variable", "Comment"} | ({"Next"} if top else set())
    ops = choice.rule_operator(rule)
    for field in rule:
        if field == "Next" and not top:
            problems.append((name, f"{where}.Next", "only a top-level choice rule has Next"))
        elif field not in allowed and field not in choice.OPERATORS and field not in choice.BOOLEAN_OPERATORS:
            problems.append((name, f"{where}.{field}", "unsupported choice rule field"))
    if len(ops) != 1:
        problems.append((name, where, "a rule needs exactly one operator"))
        return
    op = ops[0]
    if op in ("And", "Or"):
        subs = rule[op]
        if not isinstance(subs, list) or not subs:
            problems.append((name, f"{where}.{op}", "must be a non-empty list"))
            return
        for j, sub in enumerate(subs):
            _rule(name, f"{where}.{op}[{j}]", sub, problems, top=False)
    elif op == "Not":
        _rule(name, f"{where}.Not", rule["Not"], problems, top=False)
    else:
        if "Variable" not in rule:
            problems.append((name, f"{where}.Variable", "a data-test rule needs Variable"))
        else:
            _path(name, f"{where}.Variable", rule["Variable"], problems, reference=False)
        _operand(name, where, op, rule[op], problems)
