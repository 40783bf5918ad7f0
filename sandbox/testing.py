"""Start a sandbox cluster from Python (tests, demo, evaluation).

    from sandbox.testing import running_sandbox

    with running_sandbox("test001-high-memory") as sb:
        sb.kubectl("get", "pods")                  # real kubectl, KUBECONFIG set
        api = sb.core_v1()                         # kubernetes.client.CoreV1Api on the sandbox
        sb.cluster.pods("production", "app=api")   # in-memory state for assertions
        sb.scenario.expected                       # the scenario's expected diagnosis/action
        sb.resolved()                              # is the incident's workload healthy now?

Pytest fixtures (import them into a conftest.py: ``from sandbox.testing import sandbox_factory``):
``sandbox_factory`` -> ``make(scenario, **kw) -> Sandbox``, all stopped at teardown.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.cluster import Cluster
from sandbox.scenarios import Scenario, load_scenario
from sandbox.server import SandboxServer

# The kubernetes SDK (about 230 ms) is imported only by the helpers that hand out its clients.

DEFAULT_SPEED = 1.0
KUBECTL = os.environ.get("SANDBOX_KUBECTL", "kubectl")
KUBECTL_MISSING = (
    f"{KUBECTL} is not on PATH: these tests drive the real kubectl against the sandbox cluster. "
    "Install it (Debian: apt-get install kubernetes-client; .ci/run does) or set SANDBOX_KUBECTL."
)


def write_kubeconfig(path: str | Path, url: str, namespace: str, *, name: str = "sandbox") -> Path:
    """A kubeconfig with one cluster/user/context (no auth), current context set."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "apiVersion: v1\n"
        "kind: Config\n"
        "preferences: {}\n"
        "clusters:\n"
        f"- name: {name}\n"
        "  cluster:\n"
        f"    server: {url}\n"
        "contexts:\n"
        f"- name: {name}\n"
        "  context:\n"
        f"    cluster: {name}\n"
        f"    user: {name}\n"
        f"    namespace: {namespace}\n"
        f"current-context: {name}\n"
        "users:\n"
        f"- name: {name}\n"
        "  user: {}\n",
        encoding="utf-8",
    )
    return path


def remediation_command(
    verb: str,
    target: str,
    namespace: str,
    *,
    replicas: int | None = None,
    pod: str | None = None,
    dry_run: bool = False,
) -> list[str]:
    """kubectl arguments for an ``expected.action`` / ``remediations`` entry.

    verbs: ``rollout restart``, ``rollout undo``, ``delete pod`` (needs ``pod`` unless target is ``pod/x``),
    ``scale`` (needs ``replicas``).
    """
    extra = ["--dry-run=server"] if dry_run else []
    if verb in ("rollout restart", "rollout undo"):
        if dry_run and verb == "rollout restart":
            # kubectl 1.32 `rollout restart` has no --dry-run; the same patch, server-side dry run
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            patch = '{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"%s"}}}}}'
            return ["patch", target, "-n", namespace, "-p", patch % stamp, *extra]
        return ["rollout", verb.split()[1], target, "-n", namespace, *extra]
    if verb == "scale":
        if replicas is None:
            raise ValueError("scale needs replicas")
        return ["scale", target, f"--replicas={replicas}", "-n", namespace, *extra]
    if verb == "delete pod":
        name = pod or (target.split("/", 1)[1] if target.startswith("pod/") else None)
        if not name:
            raise ValueError("delete pod needs a pod name")
        return ["delete", "pod", name, "-n", namespace, "--wait=false", *extra]
    raise ValueError(f"unknown remediation verb {verb!r}")


def settled(sb: Sandbox, rem: dict[str, Any], before: set[str]) -> bool:
    """The change has played out (for tests that check a fix does not heal: judge it once its
    effect is there, not after a fixed wait): the rollout is complete, or every pod made since the change has
    left ContainerCreating for the state its profile gives it (and the controller saw the change).
    Call it under the cluster's lock (``cluster.wait_for``)."""
    target, ns = rem["target"], rem["namespace"]
    if sb.cluster.rollout_complete(target, ns):
        return True
    kind, _, name = target.partition("/")
    obj = sb.cluster.get({"deployment": "deployments", "statefulset": "statefulsets"}[kind], name, ns)
    if obj is None or (obj.get("status") or {}).get("observedGeneration", 0) < obj["metadata"].get("generation", 1):
        return False
    pods = sb.cluster.workload_pods(target, ns)
    new = [p for p in pods if p["metadata"]["uid"] not in before]
    if rem["verb"] == "scale":
        return len(pods) == int(rem.get("replicas", 0)) or bool(new)
    if not new:
        return False
    for pod in new:
        sim = sb.cluster.podsim.get(pod["metadata"]["uid"])
        # Started, held back by the kubelet (a missing Secret), or never scheduled.
        if sim is None or (sim.started is None and sim.blocked is None and sim.profile.get("status") != "Pending"):
            return False
    return True


@dataclass
class Sandbox:
    """A running sandbox: HTTP server on 127.0.0.1 + in-memory cluster + scenario."""

    scenario: Scenario
    cluster: Cluster
    server: SandboxServer
    kubeconfig_path: str
    workdir: str
    speed: float
    _owns_workdir: bool = True
    _stopped: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def namespace(self) -> str:
        return self.scenario.namespace

    @property
    def incident(self) -> dict[str, Any]:
        """The PagerDuty webhook body for this scenario (a fresh copy)."""
        return self.scenario.incident_payload

    @property
    def expected(self) -> dict[str, Any]:
        return self.scenario.expected

    @property
    def env(self) -> dict[str, str]:
        """Environment for subprocesses: KUBECONFIG pointing here, a private kubectl cache."""
        env = dict(os.environ)
        env["KUBECONFIG"] = self.kubeconfig_path
        env["KUBECACHEDIR"] = os.path.join(self.workdir, "kubecache")
        return env

    def kubectl(
        self, *args: str, timeout: float = 30, check: bool = False, request_timeout: str = "5s"
    ) -> subprocess.CompletedProcess[str]:
        """Run the real kubectl against this sandbox; returns the CompletedProcess (text)."""
        cmd = [
            KUBECTL,
            f"--kubeconfig={self.kubeconfig_path}",
            f"--cache-dir={os.path.join(self.workdir, 'kubecache')}",
            f"--request-timeout={request_timeout}",
            *args,
        ]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=self.env, check=check)

    def api_client(self) -> Any:
        """A ``kubernetes.client.ApiClient`` configured for this sandbox (no auth)."""
        from kubernetes import client

        cfg = client.Configuration()
        cfg.host = self.url
        cfg.verify_ssl = False
        return client.ApiClient(cfg)

    def core_v1(self) -> Any:
        from kubernetes import client

        return client.CoreV1Api(self.api_client())

    def apps_v1(self) -> Any:
        from kubernetes import client

        return client.AppsV1Api(self.api_client())

    def load_kube_config(self) -> None:
        """Point the kubernetes client's default configuration at this sandbox."""
        from kubernetes import config

        config.load_kube_config(config_file=self.kubeconfig_path)

    def apply(self, action: dict[str, Any], *, dry_run: bool = False) -> subprocess.CompletedProcess[str]:
        """Run an ``expected.action`` / ``remediations`` entry with kubectl (``delete pod``: the first pod)."""
        ns = action.get("namespace") or self.namespace
        pod = None
        if action["verb"] == "delete pod" and not action["target"].startswith("pod/"):
            pods = sorted(p["metadata"]["name"] for p in self.cluster.workload_pods(action["target"], ns))
            pod = pods[0] if pods else None
        args = remediation_command(
            action["verb"], action["target"], ns, replicas=action.get("replicas"), pod=pod, dry_run=dry_run
        )
        return self.kubectl(*args)

    # --- outcome checks ---
    def resolved(self) -> bool:
        """True when the incident's resource (``custom_details.resource``) is healthy."""
        return self.cluster.incident_resolved()

    def wait_resolved(self, timeout: float = 5.0) -> bool:
        return self.cluster.wait_for(self.cluster.incident_resolved, timeout=timeout)

    def wait_rollout(self, target: str, namespace: str | None = None, timeout: float = 5.0) -> bool:
        """Wait until ``deployment/x`` or ``statefulset/x`` has finished rolling out (all pods updated)."""
        ns = namespace or self.namespace
        return self.cluster.wait_for(lambda: self.cluster.rollout_complete(target, ns), timeout=timeout)

    @property
    def actions(self) -> list[dict[str, Any]]:
        """Audit log of mutating requests (method, resource, name, namespace, dry_run, ...)."""
        return self.cluster.audit_log()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.server.stop()
        self.cluster.stop()
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(
    scenario: str | Scenario,
    *,
    speed: float = DEFAULT_SPEED,
    port: int = 0,
    kubeconfig_path: str | Path | None = None,
    seed: int | None = None,
    log_requests: bool = False,
) -> Sandbox:
    """Start a sandbox and return it (call ``.stop()``); prefer ``running_sandbox``."""
    scn = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    cluster = Cluster(scn, speed=speed, seed=seed)
    server = SandboxServer(cluster, port=port, log_requests=log_requests)
    workdir = tempfile.mkdtemp(prefix=f"sandbox-{scn.name}-")
    try:
        server.start()
        cluster.start()
        kc = Path(kubeconfig_path) if kubeconfig_path else Path(workdir) / "kubeconfig"
        write_kubeconfig(kc, server.url, scn.namespace)
    except BaseException:
        server.stop()
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return Sandbox(
        scenario=scn,
        cluster=cluster,
        server=server,
        kubeconfig_path=str(kc),
        workdir=workdir,
        speed=speed,
    )


@contextlib.contextmanager
def running_sandbox(
    scenario: str | Scenario,
    *,
    speed: float = DEFAULT_SPEED,
    port: int = 0,
    kubeconfig_path: str | Path | None = None,
    seed: int | None = None,
    log_requests: bool = False,
) -> Iterator[Sandbox]:
    """Context manager: a sandbox cluster for ``scenario`` on 127.0.0.1 (free port by default)."""
    sb = start_sandbox(
        scenario, speed=speed, port=port, kubeconfig_path=kubeconfig_path, seed=seed, log_requests=log_requests
    )
    try:
        yield sb
    finally:
        sb.stop()


# --------------------------------------------------------------------------- pytest fixtures
try:
    import pytest
except ImportError:  # pragma: no cover - pytest is a dev dependency only
    pytest = None  # type: ignore[assignment]

if pytest is not None:
    @pytest.fixture
    def sandbox_factory() -> Iterator[Callable[..., Sandbox]]:
        """``make(scenario, speed=..., ...) -> Sandbox``; every sandbox made is stopped at teardown."""
        made: list[Sandbox] = []

        def make(scenario: str | Scenario, **kwargs: Any) -> Sandbox:
            sb = start_sandbox(scenario, **kwargs)
            made.append(sb)
            return sb

        yield make
        for sb in made:
            sb.stop()

    @pytest.fixture
    def kubectl_available() -> str:
        """Path of kubectl; without one the test fails (a missing kubectl never passes for green)."""
        path = shutil.which(KUBECTL)
        if not path:
            pytest.fail(KUBECTL_MISSING, pytrace=False)
        return path
