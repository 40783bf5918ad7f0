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
    services: [...]; configmaps: [...]; events: [...]   # extra objects
"""

from __future__ import annotations

import copy
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
    with path.open(encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    return parse_scenario(doc, path=str(path))


def parse_scenario(doc: Any, *, path: str = "<memory>") -> Scenario:
    """Check and normalise a scenario document (already parsed from YAML)."""
    if not isinstance(doc, dict):
        raise ScenarioError(f"{path}: a scenario is a mapping")
    doc = copy.deepcopy(doc)
    for key in ("name", "incident", "expected", "workloads"):
        if key not in doc:
            raise ScenarioError(f"{path}: missing {key!r}")
    name = str(doc["name"])
    namespace = str(doc.get("namespace", "default"))

    inc = doc["incident"]
    try:
        inner = inc["event"]["incident"]
        for k in ("id", "title", "service", "urgency", "html_url", "custom_details"):
            inner[k]
    except (KeyError, TypeError) as exc:
        raise ScenarioError(f"{path}: incident must be {{event: {{incident: {{id, title, ...}}}}}}: {exc}") from exc

    expected = doc["expected"]
    if expected.get("severity") not in SEVERITIES:
        raise ScenarioError(f"{path}: expected.severity must be one of {SEVERITIES}")
    expected.setdefault("root_cause_keywords", [])
    expected.setdefault("action", None)
    expected.setdefault("resolvable", expected["action"] is not None)
    expected.setdefault("outcome", "remediate" if expected["action"] is not None else "escalate")
    if expected["outcome"] not in OUTCOMES:
        raise ScenarioError(f"{path}: expected.outcome must be one of {OUTCOMES}")
    action = expected["action"]
    if action is not None:
        for k in ("verb", "target", "namespace"):
            if k not in action:
                raise ScenarioError(f"{path}: expected.action needs {k!r}")

    remediations = doc.get("remediations") or []
    if not isinstance(remediations, list):
        raise ScenarioError(f"{path}: remediations is a list of {{verb, target, resolves, outcome}}")
    for rem in remediations:
        if rem.get("verb") not in REMEDIATION_VERBS or "target" not in rem or "resolves" not in rem:
            raise ScenarioError(f"{path}: remediation {rem!r}: needs verb in {REMEDIATION_VERBS}, target, resolves")
        rem.setdefault("namespace", namespace)

    profiles = doc.get("profiles") or {}
    profiles.setdefault("healthy", {"status": "Running"})
    for pname, prof in profiles.items():
        prof.setdefault("status", "Running")
        if prof["status"] not in POD_STATUSES:
            raise ScenarioError(f"{path}: profile {pname}: status must be one of {POD_STATUSES}")
        prof.setdefault("healthy", prof["status"] == "Running")

    workloads = doc["workloads"]
    for w in workloads:
        if w.get("kind") not in WORKLOAD_KINDS:
            raise ScenarioError(f"{path}: workload kind must be one of {WORKLOAD_KINDS}")
        w.setdefault("namespace", namespace)
        w.setdefault("replicas", 1)
        w.setdefault("labels", {"app": w["name"]})
        w.setdefault("history", [])
        w.setdefault("pods", [{"profile": "healthy"}])
        if not w.get("containers"):
            raise ScenarioError(f"{path}: workload {w.get('name')}: containers required")
        for c in w["containers"]:
            _normalise_container(c)
        for rule in w["pods"]:
            if rule.get("profile") not in profiles:
                raise ScenarioError(f"{path}: workload {w['name']}: unknown profile {rule.get('profile')!r}")

    nodes = doc.get("nodes") or copy.deepcopy(_DEFAULT_NODES)
    namespaces = list(doc.get("namespaces") or [])
    for obj in [*workloads, *doc.get("services", []), *doc.get("configmaps", [])]:
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
