"""``KubeOps``: the typed Kubernetes operations on one cluster, on the ``kubernetes`` client."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import ConfigurationError

from .kinds import KubeCallError
from .target import api_client
from .writes import WriteOps

# The kubernetes SDK (about 230 ms) is imported when the first operation runs.


class KubeOps(WriteOps):
    """Reads and changes of the cluster a reference names (see :mod:`.target`)."""

    def __init__(self, cluster: str | None, eks_access: Any | None = None) -> None:
        from kubernetes import client  # heavy: only when the tool is used

        try:
            self.api = api_client(cluster, eks_access)
        except ConfigurationError as exc:
            raise KubeCallError(str(exc)) from exc
        except Exception as exc:
            raise KubeCallError(f"no usable Kubernetes configuration: {exc}") from exc
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        self.custom = client.CustomObjectsApi(self.api)

    def close(self) -> None:
        self.api.close()
