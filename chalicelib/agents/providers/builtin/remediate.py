"""The offline remediation: carry out the one action the input names, then check health.

Only the remediation agent's own actions (rollout restart, scale, patch resources, delete pod,
rollout undo) are carried out; anything else is reported as not done.
"""

from __future__ import annotations

import json
import re
from typing import Any

from chalicelib.agents.providers.builtin.kube import KubeChannel, as_json, items
from chalicelib.agents.providers.builtin.transcript import Transcript
from chalicelib.agents.providers.builtin.triage import _KIND, NAMESPACE_RE, TARGET_RE

_VERB_RE = re.compile(r"\b(rollout\s+restart|rollout\s+undo|scale|delete\s+pod|patch)\b", re.I)
_REPLICAS_RE = re.compile(r"--replicas[= ](\d+)")
_POD_RE = re.compile(r"delete\s+pods?\s+([a-z0-9][a-z0-9.-]*)", re.I)
_PATCH_RE = re.compile(r"-p\s+'?(\{.*\})'?", re.S)


def parse_action(text: str, default_namespace: str) -> dict[str, Any] | None:
    verb_m = _VERB_RE.search(text)
    if not verb_m:
        return None
    verb = re.sub(r"\s+", " ", verb_m.group(1).lower())
    ns_m = NAMESPACE_RE.search(text[verb_m.start() :]) or NAMESPACE_RE.search(text)
    namespace = ns_m.group(1) if ns_m else default_namespace
    action: dict[str, Any] = {"verb": verb, "namespace": namespace}
    if verb == "delete pod":
        pod = _POD_RE.search(text)
        if not pod:
            return None
        action["target"] = f"pod/{pod.group(1)}"
        return action
    target_m = TARGET_RE.search(text)
    if not target_m:
        return None
    action["target"] = f"{_KIND[target_m.group(1).lower()]}/{target_m.group(2)}"
    if verb == "scale":
        replicas = _REPLICAS_RE.search(text)
        if not replicas:
            return None
        action["replicas"] = int(replicas.group(1))
    if verb == "patch":
        body = _PATCH_RE.search(text)
        try:
            patch: Any = json.loads(body.group(1)) if body else {}
            container = patch["spec"]["template"]["spec"]["containers"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            return None
        action.update(verb="patch resources", container=container.get("name"), resources=container["resources"])
    return action


def remediation_input(t: Transcript) -> tuple[dict[str, Any] | None, bool, str]:
    """(action to carry out, is this a rollback, the text the action came from)."""
    default_ns = (t.field("Namespace") or "default").split()[0]
    rollback = re.search(r"roll\s*back the failed remediation\s*:?\s*(.*)", t.prompt, re.I | re.S)
    if rollback:
        original = parse_action(rollback.group(1), default_ns)
        if original is None or original["verb"] in ("scale", "delete pod"):
            return None, True, rollback.group(1).strip()
        # Undoing a restart, patch or undo is rolling the workload back one revision.
        return (
            {"verb": "rollout undo", "target": original["target"], "namespace": original["namespace"]},
            True,
            rollback.group(1).strip(),
        )
    source = t.field("Action") or t.prompt
    return parse_action(source, default_ns), False, source


def remediate(t: Transcript, kube: KubeChannel) -> dict[str, Any]:
    action, rollback, source = remediation_input(t)
    if rollback and (source.lower().startswith("none") or "rolled back automatically" in source):
        # The change protocol already restored the snapshot, or nothing was changed: undoing
        # again would move the workload further from where it was.
        return {
            "action_taken": "none",
            "result": "success",
            "verification": "nothing to roll back: " + source[:300],
            "rollback_needed": False,
            "logs": "",
        }
    if action is None or (action["verb"] == "delete pod" and not action.get("target")):
        return {
            "action_taken": "none",
            "result": "failed",
            "verification": "not attempted",
            "rollback_needed": False,
            "logs": f"No supported remediation could be read from the input ({source[:200]!r}); nothing was "
            "changed. Supported: rollout restart, rollout undo, scale, patch resources, delete pod.",
        }
    ns, target, verb = action["namespace"], action["target"], action["verb"]
    kind, _, name = target.partition("/")
    # 1. Verify the current state before changing anything.
    before = t.gather([kube.get("pods" if kind == "pod" else kind + "s", ns, name)])[0]
    if not before.ok:
        return {
            "action_taken": "none",
            "result": "failed",
            "verification": f"{target} not found in {ns}: {before.text[:200]}",
            "rollback_needed": False,
            "logs": before.text[:1000],
        }
    # 2. The action itself.
    call = kube.action(verb, target if kind != "pod" else f"pod/{name}", ns, action)
    done = t.gather([call], fresh=True)[0]
    command = kube.last_command + (" (through the Kubernetes API)" if kube.mode == "kubernetes" else "")
    if not done.ok:
        return {
            # "none": nothing changed, so a rollback step must not undo anything.
            "action_taken": f"none (refused or failed: {command})",
            "result": "failed",
            "verification": "action refused or failed; nothing changed",
            "rollback_needed": False,
            "logs": done.text[:2000],
        }
    # 3. Health check: rollout status waits for the new pods to be ready (bounded).
    if kind in ("deployment", "statefulset"):
        status = t.gather([kube.rollout_status(target, ns)], fresh=True)[0]
        if not status.ok:
            # Once more: kubectl can read a progress condition left over from before the change.
            status = t.gather([kube.rollout_status(target, ns)], fresh=True)[0]
        healthy = status.ok
        verification = status.text.strip()[:500]
        if not healthy:
            current = as_json(t.gather([kube.get(kind + "s", ns, name)], fresh=True)[0])
            healthy, detail = replicas_ready(current)
            verification = f"{detail} (rollout status said: {verification.removeprefix('ERROR: ')[:200]})"
    else:
        pods = t.gather([kube.get("pods", ns)], fresh=True)[0]
        healthy = pods.ok
        verification = f"{len(items(pods))} pods listed in {ns} after the deletion"
    label = "Rollback" if rollback else "Remediation"
    return {
        "action_taken": command,
        "result": "success" if healthy else "partial",
        "verification": f"{label} applied; health check: {verification}"
        if healthy
        else f"{label} applied but health did not return: {verification}",
        "rollback_needed": not healthy and not rollback and verb in ("rollout restart", "patch resources"),
        "logs": done.text[:2000],
    }


def replicas_ready(workload: Any) -> tuple[bool, str]:
    if not isinstance(workload, dict):
        return False, "workload status unreadable"
    want = int((workload.get("spec") or {}).get("replicas", 1))
    status = workload.get("status") or {}
    ready = int(status.get("readyReplicas") or 0)
    updated = int(status.get("updatedReplicas") or 0)
    ok = ready >= want and updated >= want
    return ok, f"{ready}/{want} replicas ready, {updated} updated"
