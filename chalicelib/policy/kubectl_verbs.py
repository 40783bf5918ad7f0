"""What kubectl's verbs accept: each verb's own flags, the refused verbs and flags, the
global flags and ``create``'s sub-commands. :mod:`.kubectl_argv` reads a command against these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Effect = Literal["read", "write"]


@dataclass(frozen=True)
class FlagSpec:
    long: str
    short: str | None = None
    takes_value: bool = True


def _flags(*specs: FlagSpec) -> dict[str, FlagSpec]:
    return {s.long: s for s in specs}


# --- the flags, once each ---------------------------------------------------------------------

F = FlagSpec
NAMESPACE = F("namespace", "n")
ALL_NAMESPACES = F("all-namespaces", "A", False)
OUTPUT = F("output", "o")
SELECTOR = F("selector", "l")
FIELD_SELECTOR = F("field-selector")
DRY_RUN = F("dry-run")
CONTAINER = F("container", "c")
TIMEOUT = F("timeout")
ALL = F("all", None, False)

#: Flags that choose the cluster, the identity or the credentials: the runtime decides these.
IDENTITY_FLAGS = frozenset(
    {
        "kubeconfig",
        "context",
        "cluster",
        "user",
        "token",
        "as",
        "as-group",
        "as-uid",
        "server",
        "username",
        "password",
        "client-certificate",
        "client-key",
        "certificate-authority",
        "insecure-skip-tls-verify",
        "tls-server-name",
        "cache-dir",
        "disable-compression",
        "profile",
        "profile-output",
        "v",
        "vmodule",
        "log-flush-frequency",
        "kuberc",
    }
)
#: Flags that read a manifest or patch from somewhere the gate cannot see (or from the network).
SOURCE_FLAGS = frozenset({"filename", "kustomize", "recursive", "patch-file", "from-file", "from-env-file", "raw"})
SOURCE_SHORT = {"f": "filename", "k": "kustomize", "R": "recursive", "s": "server", "v": "v"}

#: Verbs that are refused outright, with the reason the model is told.
REFUSED_VERBS: dict[str, str] = {
    "exec": "running commands inside a container is off limits to automation",
    "attach": "attaching to a container is off limits to automation",
    "cp": "copying files in or out of a container is off limits to automation",
    "port-forward": "port forwarding opens the cluster's network to this machine; off limits to automation",
    "proxy": "kubectl proxy opens the whole API to this machine; off limits to automation",
    "debug": "debug containers and node shells are off limits to automation",
    "run": "starting new pods from an arbitrary image is off limits to automation",
    "apply": "applying manifests is for a human with a reviewed change; not automation",
    "replace": "replacing objects from manifests is for a human with a reviewed change; not automation",
    "edit": "kubectl edit is interactive; propose the exact change instead",
    "kustomize": "kustomize builds manifests the gate cannot judge",
    "diff": "kubectl diff reads manifests from files",
    "plugin": "kubectl plugins are programs the gate cannot judge",
    "config": "the kubeconfig is chosen by the runtime and holds credentials",
    "certificate": "approving certificates grants identities; off limits to automation",
    "alpha": "alpha commands are not judged",
    "completion": "not an operation on the cluster",
    "convert": "not an operation on the cluster",
    "wait": "use 'kubectl rollout status' to wait for a rollout",
    "options": "not an operation on the cluster",
    "help": "not an operation on the cluster",
}


@dataclass(frozen=True)
class VerbSpec:
    words: tuple[str, ...]
    effect: Effect
    flags: dict[str, FlagSpec]
    #: How positionals are read: "resources" (KIND NAME... or KIND/NAME...), "one" (one word),
    #: "none", or a verb-specific reader named in :func:`_objects`.
    shape: str = "resources"

    @property
    def name(self) -> str:
        return " ".join(self.words)


_READ_LIST = (OUTPUT, SELECTOR, FIELD_SELECTOR, ALL_NAMESPACES)
_WRITE_COMMON = (DRY_RUN, OUTPUT)

VERBS: dict[tuple[str, ...], VerbSpec] = {
    spec.words: spec
    for spec in (
        VerbSpec(
            ("get",),
            "read",
            _flags(
                *_READ_LIST,
                F("show-labels", None, False),
                F("sort-by"),
                F("no-headers", None, False),
                F("label-columns", "L"),
                F("ignore-not-found", None, False),
                F("show-kind", None, False),
                F("chunk-size"),
            ),
        ),
        VerbSpec(("describe",), "read", _flags(SELECTOR, ALL_NAMESPACES, F("show-events", None, False))),
        VerbSpec(
            ("logs",),
            "read",
            _flags(
                CONTAINER,
                SELECTOR,
                F("tail"),
                F("since"),
                F("since-time"),
                F("previous", "p", False),
                F("timestamps", None, False),
                F("all-containers", None, False),
                F("limit-bytes"),
                F("prefix", None, False),
                F("max-log-requests"),
            ),
            shape="logs",
        ),
        VerbSpec(
            ("top", "pod"),
            "read",
            _flags(SELECTOR, ALL_NAMESPACES, F("containers", None, False), F("sort-by"), F("no-headers", None, False)),
            shape="optional-name",
        ),
        VerbSpec(
            ("top", "node"),
            "read",
            _flags(SELECTOR, F("sort-by"), F("no-headers", None, False)),
            shape="optional-name",
        ),
        VerbSpec(
            ("events",),
            "read",
            _flags(ALL_NAMESPACES, OUTPUT, F("for"), F("types"), F("no-headers", None, False)),
            shape="none",
        ),
        VerbSpec(("explain",), "read", _flags(F("recursive", None, False), F("api-version")), shape="one"),
        VerbSpec(("api-resources",), "read", _flags(OUTPUT, F("namespaced"), F("api-group"), F("verbs")), "none"),
        VerbSpec(("api-versions",), "read", {}, shape="none"),
        VerbSpec(("version",), "read", _flags(OUTPUT, F("client", None, False)), shape="none"),
        VerbSpec(("cluster-info",), "read", {}, shape="none"),
        VerbSpec(("auth", "can-i"), "read", _flags(ALL_NAMESPACES, F("list", None, False)), shape="any"),
        VerbSpec(("auth", "whoami"), "read", _flags(OUTPUT), shape="none"),
        VerbSpec(
            ("rollout", "status"), "read", _flags(TIMEOUT, F("revision"), F("watch", "w", False)), shape="resources"
        ),
        VerbSpec(("rollout", "history"), "read", _flags(OUTPUT, F("revision"), SELECTOR), shape="resources"),
        # Changes. kubectl's own --dry-run on these is accepted (the gate dry-runs every change
        # anyway); ``--dry-run=none`` is the change itself.
        VerbSpec(("rollout", "restart"), "write", _flags(SELECTOR, OUTPUT)),
        VerbSpec(("rollout", "undo"), "write", _flags(F("to-revision"), SELECTOR, *_WRITE_COMMON)),
        VerbSpec(("rollout", "pause"), "write", _flags(SELECTOR, OUTPUT)),
        VerbSpec(("rollout", "resume"), "write", _flags(SELECTOR, OUTPUT)),
        VerbSpec(
            ("scale",),
            "write",
            _flags(F("replicas"), F("current-replicas"), SELECTOR, ALL, TIMEOUT, *_WRITE_COMMON),
        ),
        VerbSpec(("patch",), "write", _flags(F("patch", "p"), F("type"), F("subresource"), *_WRITE_COMMON)),
        VerbSpec(("set", "image"), "write", _flags(SELECTOR, ALL, *_WRITE_COMMON), shape="set"),
        VerbSpec(
            ("set", "resources"),
            "write",
            _flags(CONTAINER, F("limits"), F("requests"), SELECTOR, ALL, *_WRITE_COMMON),
        ),
        VerbSpec(("set", "env"), "write", _flags(CONTAINER, SELECTOR, ALL, *_WRITE_COMMON), shape="set"),
        VerbSpec(
            ("label",),
            "write",
            _flags(F("overwrite", None, False), SELECTOR, ALL, ALL_NAMESPACES, *_WRITE_COMMON),
            shape="keyvalues",
        ),
        VerbSpec(
            ("annotate",),
            "write",
            _flags(F("overwrite", None, False), SELECTOR, ALL, ALL_NAMESPACES, *_WRITE_COMMON),
            shape="keyvalues",
        ),
        VerbSpec(
            ("delete",),
            "write",
            _flags(
                SELECTOR,
                FIELD_SELECTOR,
                ALL,
                ALL_NAMESPACES,
                F("grace-period"),
                F("force", None, False),
                F("now", None, False),
                F("wait", None, False),
                F("cascade"),
                F("ignore-not-found", None, False),
                TIMEOUT,
                DRY_RUN,
                F("output", "o"),
            ),
        ),
        VerbSpec(("cordon",), "write", _flags(SELECTOR, DRY_RUN), shape="node"),
        VerbSpec(("uncordon",), "write", _flags(SELECTOR, DRY_RUN), shape="node"),
        VerbSpec(
            ("drain",),
            "write",
            _flags(
                F("ignore-daemonsets", None, False),
                F("delete-emptydir-data", None, False),
                F("force", None, False),
                F("grace-period"),
                F("pod-selector"),
                SELECTOR,
                TIMEOUT,
                DRY_RUN,
            ),
            shape="node",
        ),
        VerbSpec(("taint",), "write", _flags(F("overwrite", None, False), SELECTOR, ALL, DRY_RUN), "keyvalues"),
        VerbSpec(
            ("create",),
            "write",
            _flags(
                F("clusterrole"),
                F("role"),
                F("user"),
                F("group"),
                F("serviceaccount"),
                F("verb"),
                F("resource"),
                F("resource-name"),
                F("image"),
                F("replicas"),
                F("port"),
                F("schedule"),
                F("hard"),
                F("value"),
                F("tcp"),
                F("from-literal"),
                *_WRITE_COMMON,
            ),
            shape="create",
        ),
        VerbSpec(
            ("expose",),
            "write",
            _flags(F("port"), F("target-port"), F("type"), F("name"), F("protocol"), *_WRITE_COMMON),
        ),
        VerbSpec(("autoscale",), "write", _flags(F("min"), F("max"), F("cpu-percent"), F("name"), *_WRITE_COMMON)),
    )
}
SUBVERBS = {"rollout", "set", "auth", "top"}
#: ``kubectl top pods`` and ``kubectl top po`` are ``top pod``.
TOP_ALIASES = {"pod": "pod", "pods": "pod", "po": "pod", "node": "node", "nodes": "node", "no": "node"}
#: Global flags (valid before the verb as well as after it).
GLOBAL_FLAGS = _flags(NAMESPACE, F("request-timeout"))
#: ``create`` sub-commands the parser knows; the rest (secret, token, -f ...) are refused.
CREATE_KINDS = {
    "clusterrolebinding": "clusterrolebinding",
    "rolebinding": "rolebinding",
    "clusterrole": "clusterrole",
    "role": "role",
    "serviceaccount": "serviceaccount",
    "sa": "serviceaccount",
    "namespace": "namespace",
    "ns": "namespace",
    "configmap": "configmap",
    "cm": "configmap",
    "deployment": "deployment",
    "deploy": "deployment",
    "job": "job",
    "cronjob": "cronjob",
    "quota": "resourcequota",
    "priorityclass": "priorityclass",
}
