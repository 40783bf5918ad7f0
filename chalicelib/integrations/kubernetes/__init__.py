"""Kubernetes: typed operations on the ``kubernetes`` client, the cluster a run acts on, EKS access.

Importing this package loads no SDK: the client is imported when an operation first runs.
"""

from __future__ import annotations

from .client import KubeOps
from .kinds import READ_OPERATIONS, WRITE_OPERATIONS, KubeCallError, OpResult, normalise_kind
from .target import ClusterTarget, cluster_reference, parse_reference
from .translate import kubectl_to_operation

__all__ = [
    "READ_OPERATIONS",
    "WRITE_OPERATIONS",
    "ClusterTarget",
    "KubeCallError",
    "KubeOps",
    "OpResult",
    "cluster_reference",
    "kubectl_to_operation",
    "normalise_kind",
    "parse_reference",
]
