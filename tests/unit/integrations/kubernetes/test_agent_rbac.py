"""deploy/k8s/agent-rbac.yaml grants every API call the typed operations make, and no Secret read.

The calls are found by reading the operations' code (``self.core.read_namespaced_pod(...)`` is a
``get`` of ``pods``), so a new call without a grant fails here, not at 3 a.m. in a cluster.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from chalicelib.integrations.kubernetes.tables import RESOURCE_PATHS

ROOT = Path(__file__).resolve().parents[4]
MANIFEST = ROOT / "deploy" / "k8s" / "agent-rbac.yaml"
CODE = ROOT / "chalicelib" / "integrations" / "kubernetes"
VERBS = {"read": "get", "list": "list", "patch": "patch", "replace": "update", "delete": "delete", "create": "create"}
GROUPS = {"core": "", "apps": "apps"}
#: The client's snake_case type names whose plural is not name + "s".
PLURALS = {"pod_log": "pods/log"}

Grant = tuple[str, str, str]  # API group, resource, verb


def _owner(node: ast.Attribute) -> str | None:
    """``core`` for ``self.core.method``; None for anything else."""
    owner = node.value
    if isinstance(owner, ast.Attribute) and isinstance(owner.value, ast.Name) and owner.value.id == "self":
        return owner.attr
    return None


def _used() -> set[Grant]:
    found: set[Grant] = set()
    for path in sorted(CODE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _owner(node.func) == "custom":
                group, _, plural = (a.value for a in node.args if isinstance(a, ast.Constant))
                found.add((str(group), str(plural), "list"))
            # A method referred to is as good as called (``replace = self.apps.replace_...``).
            if isinstance(node, ast.Attribute) and _owner(node) in GROUPS:
                verb, _, rest = node.attr.partition("_")
                if verb not in VERBS:
                    continue
                rest = re.sub(r"^namespaced_|_for_all_namespaces$", "", rest)
                resource = PLURALS.get(rest, rest.replace("_", "") + "s")
                found.add((GROUPS[str(_owner(node))], resource, VERBS[verb]))
    # kubectl-style tables are read with GET on the same resources (one object or a list).
    for kind, (prefix, _) in RESOURCE_PATHS.items():
        group = "" if prefix == "/api/v1" else prefix.split("/")[2]
        found |= {(group, kind, "get"), (group, kind, "list")}
    return found


def _granted() -> tuple[set[Grant], set[Grant]]:
    """(cluster-wide grants, grants bound per namespace)."""
    documents = list(yaml.safe_load_all(MANIFEST.read_text()))
    roles = {d["metadata"]["name"]: d for d in documents if d["kind"] == "ClusterRole"}
    cluster_wide = {d["roleRef"]["name"] for d in documents if d["kind"] == "ClusterRoleBinding"}
    per_namespace = {d["roleRef"]["name"] for d in documents if d["kind"] == "RoleBinding"}

    def grants(names: set[str]) -> set[Grant]:
        return {
            (g, r, v)
            for name in names
            for rule in roles[name]["rules"]
            for g in rule["apiGroups"]
            for r in rule["resources"]
            for v in rule["verbs"]
        }

    return grants(cluster_wide), grants(per_namespace)


def test_every_call_of_the_typed_operations_is_granted() -> None:
    used = _used()
    reads, changes = _granted()
    assert ("", "pods", "delete") in used and ("apps", "deployments", "update") in used  # the scan sees changes
    assert used - (reads | changes) == set()
    # Changes are granted only per namespace; the cluster-wide role reads.
    assert {v for _, _, v in reads} == {"get", "list"}


def test_nothing_reads_secrets_and_nothing_is_granted_by_wildcard() -> None:
    reads, changes = _granted()
    everything = reads | changes
    assert not [g for g in everything if g[1] in ("secrets", "*") or g[2] == "*" or g[0] == "*"]
    assert not [g for g in _used() if g[1] == "secrets"]
    # No more than what is used: every grant has a caller.
    assert everything - _used() == set()


def test_the_access_entry_group_is_the_one_the_bindings_name() -> None:
    documents = list(yaml.safe_load_all(MANIFEST.read_text()))
    subjects = {s["name"] for d in documents if "subjects" in d for s in d["subjects"]}
    assert subjects == {"aof-agents"}
    assert "--kubernetes-groups aof-agents" in MANIFEST.read_text()
    assert "--kubernetes-groups aof-agents" in (ROOT / "docs" / "deploy.md").read_text()
