"""Reach an EKS cluster as the function's own IAM role, as ``aws-iam-authenticator`` does.

The bearer token is ``k8s-aws-v1.`` followed by the unpadded base64url of a presigned STS
``GetCallerIdentity`` URL whose signed headers include ``x-k8s-aws-id: <cluster name>``. The
API server's authenticator calls that URL and maps the answering role through the cluster's
access entries, so no long-lived credential is shipped with the function. The endpoint and CA
come from ``eks:DescribeCluster`` and are cached; a token is signed locally (no network) and
replaced well before the URL's 60 second expiry.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import ConfigurationError

# boto3 (130 ms) and botocore's errors are imported when EKS access is first asked for.

TOKEN_PREFIX = "k8s-aws-v1."  # noqa: S105 - the token format's name, not a secret
CLUSTER_ID_HEADER = "x-k8s-aws-id"
#: X-Amz-Expires of the presigned URL, as aws-iam-authenticator and ``aws eks get-token`` sign it.
URL_EXPIRES_SECONDS = 60
#: A token older than this is replaced before the next request: the URL expires at 60 s and a
#: request may take a few seconds to reach the authenticator.
TOKEN_REFRESH_SECONDS = 40
#: An endpoint and CA are read again after this long (a cluster's CA rotates rarely).
DESCRIBE_TTL_SECONDS = 900.0


@dataclass(frozen=True)
class EksCluster:
    name: str
    endpoint: str
    #: Base64 PEM, as DescribeCluster returns ``certificateAuthority.data``.
    certificate_authority: str


@dataclass(frozen=True)
class BearerToken:
    value: str
    issued_at: float

    def fresh(self, now: float) -> bool:
        return now - self.issued_at < TOKEN_REFRESH_SECONDS


def _register_cluster_header(sts_client: Any) -> None:
    """Sign ``x-k8s-aws-id`` into GetCallerIdentity, with the cluster passed as a call parameter.

    The cluster name travels in the request context (not the API's own parameters, which have
    none), the way ``aws eks get-token`` does it, so one client signs for any cluster.
    """
    if getattr(sts_client, "_aof_cluster_header", False):
        return

    def keep_cluster(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if CLUSTER_ID_HEADER in params:
            context[CLUSTER_ID_HEADER] = params.pop(CLUSTER_ID_HEADER)

    def add_header(request: Any, **_: Any) -> None:
        cluster = request.context.get(CLUSTER_ID_HEADER)
        if cluster:
            request.headers[CLUSTER_ID_HEADER] = cluster

    events = sts_client.meta.events
    events.register("provide-client-params.sts.GetCallerIdentity", keep_cluster, unique_id="aof-k8s-aws-id-params")
    events.register("before-sign.sts.GetCallerIdentity", add_header, unique_id="aof-k8s-aws-id-header")
    sts_client._aof_cluster_header = True


def presigned_token(sts_client: Any, cluster_name: str) -> str:
    """The bearer token for ``cluster_name``, signed with ``sts_client``'s credentials."""
    _register_cluster_header(sts_client)
    url: str = sts_client.generate_presigned_url(
        "get_caller_identity",
        Params={CLUSTER_ID_HEADER: cluster_name},
        ExpiresIn=URL_EXPIRES_SECONDS,
        HttpMethod="GET",
    )
    encoded = base64.urlsafe_b64encode(url.encode("utf-8")).decode("ascii").rstrip("=")
    return TOKEN_PREFIX + encoded


class EksAccess:
    """Endpoints (cached) and fresh tokens for the clusters of one region."""

    def __init__(self, eks_client: Any, sts_client: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.eks = eks_client
        self.sts = sts_client
        self.clock = clock
        self._clusters: dict[str, tuple[float, EksCluster]] = {}
        self._tokens: dict[str, BearerToken] = {}

    def cluster(self, name: str) -> EksCluster:
        now = self.clock()
        cached = self._clusters.get(name)
        if cached is not None and now - cached[0] < DESCRIBE_TTL_SECONDS:
            return cached[1]
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            described = self.eks.describe_cluster(name=name)["cluster"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise ConfigurationError(f"EKS cluster {name!r} cannot be described ({code}): {exc}") from exc
        except BotoCoreError as exc:
            raise ConfigurationError(f"EKS cluster {name!r} cannot be described: {exc}") from exc
        endpoint = described.get("endpoint")
        ca = (described.get("certificateAuthority") or {}).get("data")
        if not endpoint or not ca:
            status = described.get("status", "unknown")
            raise ConfigurationError(f"EKS cluster {name!r} has no endpoint or CA yet (status {status})")
        found = EksCluster(name=name, endpoint=str(endpoint), certificate_authority=str(ca))
        self._clusters[name] = (now, found)
        return found

    def token(self, name: str) -> str:
        now = self.clock()
        current = self._tokens.get(name)
        if current is None or not current.fresh(now):
            current = BearerToken(presigned_token(self.sts, name), now)
            self._tokens[name] = current
        return current.value


_ACCESS: dict[str, EksAccess] = {}


def access_for(region: str | None) -> EksAccess:
    """One :class:`EksAccess` per region for the life of the process (a warm Lambda keeps it)."""
    import boto3

    key = region or ""
    if key not in _ACCESS:
        session = boto3.session.Session(region_name=region)
        region_name = session.region_name
        if not region_name:
            raise ConfigurationError("no AWS region for EKS: set AWS_REGION or name the cluster as eks:NAME@REGION")
        # The regional STS endpoint: the authenticator accepts tokens signed for its own region.
        sts = session.client("sts", endpoint_url=f"https://sts.{region_name}.amazonaws.com")
        _ACCESS[key] = EksAccess(session.client("eks"), sts)
    return _ACCESS[key]
