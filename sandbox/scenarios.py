"""Scenario files: what the simulated cluster starts with, the fault, and the expected answer.

A scenario is a YAML file in ``sandbox/scenarios/``; ``load_scenario(name)`` parses and checks it.
The format is described in ``sandbox/README.md``; in short::

    name: test001-high-memory
    title: ...
    description: ...
    namespace: production            # default namespace of the kubeconfig context
    incident: {event: {incident: {id, title, service: {name}, urgency, html_url, custom_details}}}
    expected: {severity, root_cause_keywords, action: {verb, target, namespace} | null, resolvable}
    remediations: [{verb: "rollout restart", target: deployment/api, resolves: true, outcome: "..."}, ...]
    nodes: [...]                     # optional, three healthy workers by default
    namespaces: [...]                # optional, derived from the objects by default
    profiles: {NAME: {status, ready, restarts, usage, logs, previous_logs, events, healthy, ...}}
    workloads: [{kind, name, namespace, replicas, labels, containers, history, pods: [rules]}]
    services: [...]; configmaps: [...]; secrets: [...]; events: [...]   # extra objects
"""

from __future__ import annotations

import copy
import difflib
import importlib.resources
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"

POD_STATUSES = (
    "Running",  # container running and ready
    "NotReady",  # container running, readiness probe failing
    "CrashLoopBackOff",  # container waiting to restart after exiting
    "OOMKilled",  # container running again after being OOM-killed (restarts, lastState OOMKilled)
    "Error",  # container terminated with an error (shown as Error)
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "Pending",  # unschedulable: no node assigned
    "ContainerCreating",
)
SEVERITIES = ("low", "medium", "high", "critical")
WORKLOAD_KINDS = ("Deployment", "StatefulSet")
OUTCOMES = ("remediate", "escalate", "no_action")
REMEDIATION_VERBS = ("rollout restart", "rollout undo", "delete pod", "scale")


class ScenarioError(ValueError):
    """A scenario file is missing or malformed."""


@dataclass
class Scenario:
    """A parsed scenario. ``raw`` keeps the whole YAML document (deep-copied on use)."""

    name: str
    title: str
    description: str
    namespace: str
    incident: dict[str, Any]
    expected: dict[str, Any]
    remediations: list[dict[str, Any]]
    profiles: dict[str, dict[str, Any]]
    workloads: list[dict[str, Any]]
    nodes: list[dict[str, Any]]
    namespaces: list[str]
    services: list[dict[str, Any]] = field(default_factory=list)
    configmaps: list[dict[str, Any]] = field(default_factory=list)
    # None: the scenario says nothing about Secrets (references to them are not checked).
    secrets: list[dict[str, Any]] | None = None
    # None: the scenario says nothing about StorageClasses (every claim binds).
    storage_classes: list[dict[str, Any]] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    path: str = ""

    # --- convenience accessors used by tests and by the agents' scoring ---
    @property
    def incident_payload(self) -> dict[str, Any]:
        """The PagerDuty webhook body announcing the incident (``{"event": {"incident": {...}}}``)."""
        return copy.deepcopy(self.incident)

    @property
    def incident_id(self) -> str:
        return str(self.incident["event"]["incident"]["id"])

    @property
    def expected_action(self) -> dict[str, Any] | None:
        action = self.expected.get("action")
        return dict(action) if action else None

    @property
    def resolvable(self) -> bool:
        return bool(self.expected.get("resolvable", False))

    def workload(self, target: str, namespace: str | None = None) -> dict[str, Any]:
        """The workload spec for ``deployment/api`` style targets."""
        kind, _, name = target.partition("/")
        for w in self.workloads:
            if w["kind"].lower() == kind.lower() and w["name"] == name:
                if namespace is None or w["namespace"] == namespace:
                    return w
        raise KeyError(target)


_DEFAULT_NODES: list[dict[str, Any]] = [
    {"name": "ip-10-0-1-21.ec2.internal", "cpu": "4", "memory": "16Gi", "usage": {"cpu": "900m", "memory": "6Gi"}},
    {"name": "ip-10-0-2-37.ec2.internal", "cpu": "4", "memory": "16Gi", "usage": {"cpu": "1100m", "memory": "7Gi"}},
    {"name": "ip-10-0-3-54.ec2.internal", "cpu": "4", "memory": "16Gi", "usage": {"cpu": "800m", "memory": "5Gi"}},
]


def list_scenarios() -> list[str]:
    """Names of the scenario files shipped in ``sandbox/scenarios/``, sorted."""
    names: list[str] = []
    try:
        root = importlib.resources.files("sandbox") / "scenarios"
        for entry in root.iterdir():
            if entry.name.endswith(".yaml"):
                names.append(entry.name[: -len(".yaml")])
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - source tree fallback
        names = [p.stem for p in SCENARIO_DIR.glob("*.yaml")]
    return sorted(names)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a scenario by name (``test001-high-memory``) or by path to a YAML file."""
    path = Path(name_or_path)
    if not (path.suffix in (".yaml", ".yml") and path.exists()):
        path = SCENARIO_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        raise ScenarioError(f"unknown scenario {name_or_path!r}; known: {', '.join(list_scenarios())}")
    text = path.read_text(encoding="utf-8")
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ScenarioError(f"{path}:{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    return parse_scenario(doc, path=str(path))


def load_scenarios(paths: list[str] | list[Path]) -> list[Scenario]:
    """Every scenario in ``paths`` (directories of ``*.yaml``/``*.yml``, or files), sorted by name
    per directory; no paths: the shipped ones. The first malformed file raises ``ScenarioError``."""
    if not paths:
        return [load_scenario(n) for n in list_scenarios()]
    found: list[Scenario] = []
    for entry in paths:
        p = Path(entry)
        if p.is_dir():
            files = sorted([*p.glob("*.yaml"), *p.glob("*.yml")])
        elif p.exists():
            files = [p]
        else:
            raise ScenarioError(f"{p}: no such file or directory")
        found.extend(load_scenario(f) for f in files)
    return found


class _LineMap(dict[Any, Any]):
    """A mapping that remembers the line it starts on and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _LineMap:
    loader.flatten_mapping(node)
    out = _LineMap()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[str(key)] = key_node.start_mark.line + 1
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line(obj: Any, key: str | None = None) -> int:
    if key is not None and isinstance(getattr(obj, "key_lines", None), dict) and key in obj.key_lines:
        return int(obj.key_lines[key])
    return int(getattr(obj, "line", 0) or 0)


def _fail(path: str, obj: Any, message: str, key: str | None = None) -> ScenarioError:
    line = _line(obj, key)
    return ScenarioError(f"{path}:{line}: {message}" if line else f"{path}: {message}")


#: The fields each part of a scenario may have (docs/scenarios.md); anything else is an error.
_FIELDS: dict[str, frozenset[str]] = {
    "scenario": frozenset(
        "name title description namespace incident expected remediations nodes namespaces profiles workloads "
        "services configmaps secrets storage_classes events health class approve".split()
    ),
    "expected": frozenset("severity root_cause_keywords root_cause action resolvable outcome".split()),
    "root_cause": frozenset("object all none".split()),
    "remediation": frozenset("verb target namespace replicas pod resolves harmful outcome".split()),
    "profile": frozenset(
        "status healthy fault ready restarts exit_code last_state message usage logs previous_logs container_logs "
        "events per_pod node age started_ago".split()
    ),
    "workload": frozenset(
        "kind name namespace replicas age pod_age rollout_age labels selector annotations strategy containers "
        "volumes volume_claim_templates history change_cause previous_replicas current_replicas pods "
        "pod_management_policy service_name per_pod_initial_only serviceAccountName nodeSelector affinity "
        "tolerations imagePullSecrets".split()
    ),
    "health": frozenset("workloads services".split()),
    "secret": frozenset("name namespace type data age deleted".split()),
}


def _check_fields(path: str, obj: Any, part: str, where: str) -> None:
    if not isinstance(obj, dict):
        raise _fail(path, obj, f"{where} must be a mapping")
    allowed = _FIELDS[part]
    for key in obj:
        if str(key) not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(allowed))}"
            raise _fail(path, obj, f"{where}: unknown field {key!r}{hint}", str(key))


def parse_scenario(doc: Any, *, path: str = "<memory>") -> Scenario:
    """Check and normalise a scenario document (already parsed from YAML).

    Errors name the file and, for documents read by :func:`load_scenario`, the line.
    """
    if not isinstance(doc, dict):
        raise ScenarioError(f"{path}:1: a scenario is a mapping")
    doc = copy.deepcopy(doc)  # the caller's document is left as it was
    _check_fields(path, doc, "scenario", "scenario")
    for key in ("name", "incident", "expected", "workloads"):
        if key not in doc:
            raise _fail(path, doc, f"missing {key!r}")
    name = str(doc["name"])
    namespace = str(doc.get("namespace", "default"))

    inc = doc["incident"]
    try:
        inner = inc["event"]["incident"]
        for k in ("id", "title", "service", "urgency", "html_url", "custom_details"):
            inner[k]
    except (KeyError, TypeError) as exc:
        raise _fail(
            path, doc, f"incident must be {{event: {{incident: {{id, title, ...}}}}}}: missing {exc}", "incident"
        ) from exc

    expected = doc["expected"]
    _check_fields(path, expected, "expected", "expected")
    if expected.get("severity") not in SEVERITIES:
        raise _fail(path, expected, f"expected.severity must be one of {SEVERITIES}", "severity")
    keywords = expected.setdefault("root_cause_keywords", []) or []
    if not isinstance(keywords, list):
        raise _fail(path, expected, "expected.root_cause_keywords is a list of phrases", "root_cause_keywords")
    # Numbers are phrases too ("137"): kept as text so scoring compares text with text.
    expected["root_cause_keywords"] = [str(k) for k in keywords]
    expected.setdefault("action", None)
    expected.setdefault("resolvable", expected["action"] is not None)
    expected.setdefault("outcome", "remediate" if expected["action"] is not None else "escalate")
    if expected["outcome"] not in OUTCOMES:
        raise _fail(path, expected, f"expected.outcome must be one of {OUTCOMES}", "outcome")
    action = expected["action"]
    if action is not None:
        for k in ("verb", "target", "namespace"):
            if k not in action:
                raise _fail(path, expected, f"expected.action needs {k!r}", "action")
        if action["verb"] not in REMEDIATION_VERBS:
            raise _fail(path, action, f"expected.action.verb must be one of {REMEDIATION_VERBS}", "verb")
    if (expected["outcome"] == "remediate") != (action is not None):
        raise _fail(path, expected, "expected.outcome remediate needs an action, and only it has one", "outcome")
    details = inner.get("custom_details") or {}
    rule = expected.get("root_cause")
    if rule is None:
        rule = {"all": list(expected["root_cause_keywords"])}
    _check_fields(path, rule, "root_cause", "expected.root_cause")
    for key in ("all", "none"):
        entries = rule.get(key) or []
        if not isinstance(entries, list):
            raise _fail(path, rule, f"expected.root_cause.{key} is a list of phrases or lists of phrases", key)
        rule[key] = [[str(e) for e in entry] if isinstance(entry, list) else str(entry) for entry in entries]
    rule.setdefault("object", (action or {}).get("target") or details.get("resource"))
    expected["root_cause"] = rule

    remediations = doc.get("remediations") or []
    if not isinstance(remediations, list):
        raise _fail(path, doc, "remediations is a list of {verb, target, resolves, outcome}", "remediations")
    for rem in remediations:
        _check_fields(path, rem, "remediation", "remediation")
        if rem.get("verb") not in REMEDIATION_VERBS or "target" not in rem or "resolves" not in rem:
            raise _fail(path, rem, f"remediation needs verb in {REMEDIATION_VERBS}, target, resolves")
        rem.setdefault("namespace", namespace)
        rem.setdefault("harmful", False)

    profiles = doc.get("profiles") or {}
    profiles.setdefault("healthy", {"status": "Running"})
    for pname, prof in profiles.items():
        _check_fields(path, prof, "profile", f"profile {pname}")
        prof.setdefault("status", "Running")
        if prof["status"] not in POD_STATUSES:
            raise _fail(path, prof, f"profile {pname}: status must be one of {POD_STATUSES}", "status")
        prof.setdefault("healthy", prof["status"] == "Running")
        # A pod that looks healthy may still carry the incident's cause (a restarted leak).
        prof.setdefault("fault", not prof["healthy"])

    workloads = doc["workloads"]
    if not isinstance(workloads, list):
        raise _fail(path, doc, "workloads is a list", "workloads")
    for w in workloads:
        _check_fields(path, w, "workload", f"workload {w.get('name') if isinstance(w, dict) else w}")
        if w.get("kind") not in WORKLOAD_KINDS:
            raise _fail(path, w, f"workload kind must be one of {WORKLOAD_KINDS}", "kind")
        w.setdefault("namespace", namespace)
        w.setdefault("replicas", 1)
        w.setdefault("labels", {"app": w["name"]})
        w.setdefault("history", [])
        w.setdefault("pods", [{"profile": "healthy"}])
        if not w.get("containers"):
            raise _fail(path, w, f"workload {w.get('name')}: containers required", "name")
        for c in w["containers"]:
            _normalise_container(c)
        for rule_ in w["pods"]:
            if rule_.get("profile") not in profiles:
                raise _fail(path, rule_, f"workload {w['name']}: unknown profile {rule_.get('profile')!r}", "profile")

    health = doc.get("health")
    if health is not None:
        _check_fields(path, health, "health", "health")
        names = {f"{w['kind'].lower()}/{w['name']}" for w in workloads}
        for target in health.get("workloads") or []:
            if str(target).lower() not in names:
                raise _fail(
                    path, health, f"health.workloads: {target!r} is not a workload of the scenario", "workloads"
                )
        svc_names = {str(svc.get("name")) for svc in doc.get("services") or []}
        for svc_name in health.get("services") or []:
            if str(svc_name).removeprefix("service/").removeprefix("svc/") not in svc_names:
                raise _fail(path, health, f"health.services: {svc_name!r} is not a Service of the scenario", "services")

    nodes = doc.get("nodes") or copy.deepcopy(_DEFAULT_NODES)
    namespaces = list(doc.get("namespaces") or [])
    secrets = doc.get("secrets")
    if secrets is not None and not isinstance(secrets, list):
        raise _fail(path, doc, "secrets is a list of {name, namespace, type, data}", "secrets")
    for sec in secrets or []:
        _check_fields(path, sec, "secret", f"secret {sec.get('name') if isinstance(sec, dict) else sec}")
        if "name" not in sec:
            raise _fail(path, sec, "a secret needs a name")
    for obj in [*workloads, *doc.get("services", []), *doc.get("configmaps", []), *(secrets or [])]:
        ns = obj.get("namespace", namespace)
        if ns not in namespaces:
            namespaces.append(ns)
    for ns in ("default", "kube-system", namespace):
        if ns not in namespaces:
            namespaces.append(ns)

    return Scenario(
        name=name,
        title=str(doc.get("title", inner["title"])),
        description=str(doc.get("description", "")),
        namespace=namespace,
        incident=inc,
        expected=expected,
        remediations=remediations,
        profiles=profiles,
        workloads=workloads,
        nodes=nodes,
        namespaces=namespaces,
        services=doc.get("services") or [],
        configmaps=doc.get("configmaps") or [],
        secrets=None if secrets is None else list(secrets),
        storage_classes=None if doc.get("storage_classes") is None else list(doc["storage_classes"]),
        events=doc.get("events") or [],
        raw=doc,
        path=path,
    )


def _normalise_container(c: dict[str, Any]) -> None:
    """Accept ``env: {K: V}`` and ``ports: [8080]`` shorthands; leave k8s forms alone."""
    env = c.get("env")
    if isinstance(env, dict):
        c["env"] = [{"name": k, "value": str(v)} for k, v in env.items()]
    ports = c.get("ports")
    if isinstance(ports, list):
        c["ports"] = [{"containerPort": int(p), "protocol": "TCP"} if isinstance(p, int | str) else p for p in ports]


_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def parse_duration(text: str | int | float | None, default: float = 0.0) -> float:
    """``"3d4h"`` -> seconds. Numbers are seconds."""
    if text is None:
        return default
    if isinstance(text, int | float):
        return float(text)
    total = 0.0
    mult = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    for num, unit in _DURATION.findall(str(text)):
        total += float(num) * mult[unit]
    return total
