"""Which cluster a run acts on, and how the client reaches it.

A cluster reference is a string, so it travels wherever a kubeconfig path used to:

- ``eks:NAME`` or ``eks:NAME@REGION``: an EKS cluster, reached as the function's IAM role;
- ``kubeconfig:PATH`` or a bare path: a kubeconfig file (any other cluster);
- ``None``: ``KUBECONFIG``'s default, or the in-cluster service account.

A stage names its clusters in ``AOF_CLUSTERS`` (``name=reference,...``); a flow takes its
cluster from ``AOF_FLOW_CLUSTERS`` (``flow=name,...``) or ``AOF_DEFAULT_CLUSTER``; an incident
may choose one of the named clusters with ``custom_details.cluster``. An incident naming a
cluster the stage does not list is refused: the payload comes from outside, and acting on the
default cluster instead would change the wrong one.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import ConfigurationError
from chalicelib.settings import (
    AOF_CLUSTERS,
    AOF_DEFAULT_CLUSTER,
    AOF_FLOW_CLUSTERS,
    KUBECONFIG,
    resolve,
)

# The kubernetes SDK (about 240 ms) and EKS access (1 ms, boto3 with it) are imported when a
# client is first built.

EKS_SCHEME = "eks:"
KUBECONFIG_SCHEME = "kubeconfig:"


@dataclass(frozen=True)
class ClusterTarget:
    eks_cluster: str | None = None
    region: str | None = None
    kubeconfig: str | None = None

    @property
    def label(self) -> str:
        if self.eks_cluster:
            return f"EKS cluster {self.eks_cluster}" + (f" in {self.region}" if self.region else "")
        return f"the kubeconfig {self.kubeconfig}" if self.kubeconfig else "the default kubeconfig"


def parse_reference(reference: str | None) -> ClusterTarget:
    if not reference:
        return ClusterTarget()
    if reference.startswith(EKS_SCHEME):
        name, _, region = reference[len(EKS_SCHEME) :].partition("@")
        if not name:
            raise ConfigurationError(f"cluster reference {reference!r} names no EKS cluster (eks:NAME[@REGION])")
        return ClusterTarget(eks_cluster=name, region=region or None)
    if reference.startswith(KUBECONFIG_SCHEME):
        reference = reference[len(KUBECONFIG_SCHEME) :]
    return ClusterTarget(kubeconfig=reference)


def _pairs(variable: str, env: Mapping[str, str] | None) -> dict[str, str]:
    raw = resolve(variable, None, env) or ""
    found: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigurationError(f"{variable}: {item!r} is not name=value")
        found[key.strip()] = value.strip()
    return found


def _incident_cluster(state: Mapping[str, Any]) -> str | None:
    event = state.get("event") if isinstance(state, Mapping) else None
    incident = event.get("incident") if isinstance(event, Mapping) else None
    details = incident.get("custom_details") if isinstance(incident, Mapping) else None
    value = details.get("cluster") if isinstance(details, Mapping) else None
    return str(value).strip() or None if value is not None else None


def cluster_reference(state: Mapping[str, Any], flow_name: str | None, env: Mapping[str, str] | None) -> str | None:
    """The reference of the cluster this run acts on: incident, then flow, then stage default.

    With no ``AOF_CLUSTERS`` the stage works as before: ``KUBECONFIG`` (or in-cluster).
    """
    clusters = _pairs(AOF_CLUSTERS, env)
    chosen = _incident_cluster(state)
    if chosen is not None:
        if chosen not in clusters:
            known = ", ".join(sorted(clusters)) or "none"
            raise ConfigurationError(
                f"the incident asks for cluster {chosen!r}, which {AOF_CLUSTERS} does not list (known: {known})"
            )
        return clusters[chosen]
    name = _pairs(AOF_FLOW_CLUSTERS, env).get(flow_name or "") or resolve(AOF_DEFAULT_CLUSTER, None, env)
    if name:
        if name not in clusters:
            raise ConfigurationError(f"cluster {name!r} is not listed in {AOF_CLUSTERS}")
        return clusters[name]
    return resolve(KUBECONFIG, None, env)


def _ca_file(cluster: str, data: str) -> str:
    """The CA as a file (the client wants a path); one per cluster under the temp directory."""
    path = os.path.join(tempfile.gettempdir(), f"aof-eks-{cluster}-ca.pem")
    pem = base64.b64decode(data)
    try:
        with open(path, "rb") as existing:
            if existing.read() == pem:
                return path
    except OSError:
        pass
    with open(path, "wb") as handle:
        handle.write(pem)
    return path


def eks_api_client(target: ClusterTarget, access: Any | None = None) -> Any:
    """A ``kubernetes`` ApiClient for an EKS cluster; every request carries a fresh token."""
    from kubernetes import client

    from .eks import access_for

    name = str(target.eks_cluster)
    access = access or access_for(target.region)
    cluster = access.cluster(name)
    configuration: Any = client.Configuration()
    configuration.host = cluster.endpoint
    configuration.ssl_ca_cert = _ca_file(name, cluster.certificate_authority)
    configuration.api_key_prefix = {"authorization": "Bearer"}
    configuration.api_key = {"authorization": access.token(name)}

    def refresh(conf: Any) -> None:
        # Called before each request: the token is replaced only when it is about to expire.
        conf.api_key = {"authorization": access.token(name)}

    configuration.refresh_api_key_hook = refresh
    return client.ApiClient(configuration)


def api_client(reference: str | None, eks_access: Any | None = None) -> Any:
    """A ``kubernetes`` ApiClient for a cluster reference (see the module's docstring)."""
    from kubernetes import client
    from kubernetes import config as kube_config  # heavy: only when a tool is used

    config: Any = kube_config  # the kubernetes package is untyped
    target = parse_reference(reference)
    if target.eks_cluster:
        return eks_api_client(target, eks_access)
    if target.kubeconfig:
        return config.new_client_from_config(config_file=target.kubeconfig)
    try:
        config.load_incluster_config()
        return client.ApiClient()
    except config.ConfigException:
        return config.new_client_from_config()
