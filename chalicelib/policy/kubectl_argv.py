"""A strict reading of kubectl's argv: exactly what kubectl would do, or a refusal.

The policy judges a command by what it does, so it must first know, without guessing, what the
command is: which verb, which objects, in which namespace, with which flags. kubectl itself is
lenient (the last of a repeated flag wins, unknown plugins run, ``--dry-run --dry-run=none``
acts), and every leniency is a way for a command to mean one thing to the gate and another to
the cluster. So this parser accepts a command only when its meaning is unique:

- each verb has its own table of flags; a flag unknown for that verb is refused;
- a flag given twice (in any spelling: ``-n x``, ``-nx``, ``-n=x``, ``--namespace=x``,
  ``--namespace x``), or two flags that contradict each other, are refused;
- flags that change the cluster, the identity or the credentials are refused;
- manifests from files, stdin, URLs or kustomize, plugins, interactive and container-access
  verbs are refused;
- only global flags may come before the verb.

What it accepts is rendered back into one canonical argv (long flags, ``--flag=value``, the
namespace always explicit), and that argv is what runs: the cluster sees exactly what was judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn

from chalicelib.errors import ToolRefused
from chalicelib.policy.kinds import canonical_kind, is_cluster_scoped
from chalicelib.policy.kubectl_verbs import (
    CREATE_KINDS,
    GLOBAL_FLAGS,
    IDENTITY_FLAGS,
    REFUSED_VERBS,
    SOURCE_FLAGS,
    SOURCE_SHORT,
    SUBVERBS,
    TOP_ALIASES,
    VERBS,
    Effect,
    FlagSpec,
    VerbSpec,
)


@dataclass(frozen=True)
class ObjectRef:
    """One object a command names, or a selection (``name`` None) of objects of a kind."""

    kind: str
    name: str | None
    namespace: str | None

    @property
    def target(self) -> str:
        return f"{self.kind}/{self.name}" if self.name else f"{self.kind} (every match)"


@dataclass(frozen=True)
class KubectlCommand:
    """What one kubectl argv does, read strictly."""

    verb: str
    effect: Effect
    objects: tuple[ObjectRef, ...]
    namespace: str | None
    all_namespaces: bool
    #: Canonical long-flag values (booleans as "true"/"false"); no namespace (it is above).
    flags: dict[str, str] = field(default_factory=dict)
    #: Positionals after the objects: ``KEY=VALUE`` pairs, ``CONTAINER=IMAGE``, taints...
    arguments: tuple[str, ...] = ()
    #: The argv that runs (program included): long flags, namespace explicit.
    argv: tuple[str, ...] = ()

    @property
    def dry_run(self) -> bool:
        return self.flags.get("dry-run", "none") in ("server", "client")

    @property
    def selects(self) -> bool:
        """Objects are chosen by a selector or ``--all``, not named: the gate cannot list them."""
        return bool(
            self.all_namespaces
            or self.flags.get("selector")
            or self.flags.get("field-selector")
            or self.flags.get("all") == "true"
            or any(o.name is None for o in self.objects)
        )

    @property
    def output(self) -> str:
        return self.flags.get("output", "")

    def describe(self) -> str:
        return " ".join(self.argv)


def parse(argv: list[str] | tuple[str, ...], default_namespace: str = "default") -> KubectlCommand:
    """Read ``argv`` (program first) strictly; ``ToolRefused`` says why it is not accepted."""
    args = list(argv)
    if not args or args[0] != "kubectl":
        raise ToolRefused("not a kubectl command")
    tokens = args[1:]
    if not tokens:
        raise ToolRefused("kubectl needs a verb")
    seen: dict[str, str] = {}
    before: list[str] = []
    i = 0
    # Global flags may come before the verb; nothing else may.
    while i < len(tokens) and tokens[i].startswith("-") and tokens[i] != "--":
        i = _take_flag(tokens, i, GLOBAL_FLAGS, seen, "before the verb")
        before.append(tokens[i - 1])
    if i >= len(tokens) or tokens[i] == "--":
        raise ToolRefused("kubectl needs a verb")
    verb_word = tokens[i]
    i += 1
    if verb_word in REFUSED_VERBS:
        raise ToolRefused(f"kubectl {verb_word} refused: {REFUSED_VERBS[verb_word]}")
    words: tuple[str, ...] = (verb_word,)
    if verb_word in SUBVERBS:
        # The sub-verb is the next word that is not a flag (flags may sit between them).
        j = i
        while j < len(tokens) and tokens[j].startswith("-"):
            j += 1
        if j >= len(tokens):
            raise ToolRefused(f"kubectl {verb_word} needs a sub-command")
        sub = tokens[j]
        if verb_word == "top":
            sub = TOP_ALIASES.get(sub, sub)
        words = (verb_word, sub)
        tokens = tokens[:j] + tokens[j + 1 :]
    spec = VERBS.get(words)
    if spec is None:
        known = ", ".join(sorted(" ".join(w) for w in VERBS if w[0] == verb_word)) or "none"
        if len(words) == 2:
            raise ToolRefused(f"kubectl {' '.join(words)} is not understood (understood: {known}); refused")
        raise ToolRefused(f"kubectl {verb_word} is not a verb the policy understands (a plugin?); refused")
    allowed = {**GLOBAL_FLAGS, **spec.flags}
    positionals: list[str] = []
    while i < len(tokens):
        word = tokens[i]
        if word == "--":
            raise ToolRefused("'--' is refused: nothing after it would be judged")
        if word.startswith("-") and word != "-":
            i = _take_flag(tokens, i, allowed, seen, f"for kubectl {spec.name}")
            continue
        positionals.append(word)
        i += 1
    flags = dict(seen)
    all_namespaces = flags.pop("all-namespaces", "false") == "true"
    namespace = flags.pop("namespace", None)
    if all_namespaces and namespace is not None:
        raise ToolRefused("--namespace and --all-namespaces contradict each other; give one")
    _check_values(spec, flags)
    namespace_used = None if all_namespaces else (namespace or default_namespace)
    objects, arguments = _objects(spec, positionals, namespace_used)
    canonical = _render(spec, objects, arguments, namespace_used, all_namespaces, flags, positionals)
    return KubectlCommand(
        verb=spec.name,
        effect=spec.effect,
        objects=tuple(objects),
        namespace=namespace_used,
        all_namespaces=all_namespaces,
        flags=flags,
        arguments=tuple(arguments),
        argv=tuple(canonical),
    )


def _take_flag(tokens: list[str], i: int, allowed: dict[str, FlagSpec], seen: dict[str, str], where: str) -> int:
    """Read the flag at ``tokens[i]`` into ``seen``; return the index after it (and its value)."""
    token = tokens[i]
    value: str | None = None
    if token.startswith("--"):
        name, eq, rest = token[2:].partition("=")
        if eq:
            value = rest
        known = allowed.get(name)
        if known is None:
            _unknown(name, allowed, where)
        spec = known
    else:
        body = token[1:]
        letter = body[:1]
        found = next((s for s in allowed.values() if s.short == letter), None)
        if found is None:
            _unknown(SOURCE_SHORT.get(letter, letter), allowed, where, short=letter)
        spec = found
        rest = body[1:]
        if rest:
            if not spec.takes_value:
                raise ToolRefused(f"'{token}': combined short flags are refused; write each flag on its own")
            # pflag reads ``-nx`` and ``-n=x`` both as the value x.
            value = rest[1:] if rest.startswith("=") else rest
        name = spec.long
    i += 1
    if spec.takes_value:
        if value is None:
            if spec.long == "dry-run":
                if i < len(tokens) and tokens[i] in ("none", "server", "client", "true", "false"):
                    # kubectl reads ``--dry-run none`` as a client dry run of an object named
                    # "none"; a reader sees "no dry run". Ambiguous, so refused.
                    raise ToolRefused(f"'--dry-run {tokens[i]}' is ambiguous; write --dry-run={tokens[i]}")
                value = "client"  # a bare --dry-run is kubectl's deprecated spelling of client
            elif i < len(tokens) and not (tokens[i].startswith("-") and tokens[i] != "-"):
                value = tokens[i]
                i += 1
            else:
                raise ToolRefused(f"--{spec.long} needs a value")
    else:
        if value is None:
            value = "true"
        elif value.lower() in ("true", "false"):
            value = value.lower()
        else:
            raise ToolRefused(f"--{spec.long} takes true or false, not {value!r}")
    if spec.long in seen:
        raise ToolRefused(
            f"--{spec.long} is given twice ({seen[spec.long]!r} and {value!r}); kubectl would use the last one "
            "while a reader sees the first, so a repeated flag is refused"
        )
    seen[spec.long] = value
    return i


def _unknown(name: str, allowed: dict[str, FlagSpec], where: str, short: str | None = None) -> NoReturn:
    spelled = f"-{short}" if short else f"--{name}"
    if name in IDENTITY_FLAGS:
        raise ToolRefused(f"flag {spelled} refused: the runtime chooses the cluster, identity and credentials")
    if name in SOURCE_FLAGS:
        raise ToolRefused(
            f"flag {spelled} refused: manifests and patches from files, stdin, URLs or kustomize cannot be judged"
        )
    known = ", ".join(f"--{n}" for n in sorted(allowed))
    raise ToolRefused(f"flag {spelled} is not understood {where} (understood: {known}); refused")


def _check_values(spec: VerbSpec, flags: dict[str, str]) -> None:
    dry = flags.get("dry-run")
    if dry is not None and dry not in ("none", "server", "client"):
        raise ToolRefused(f"--dry-run={dry} is not one of none, server, client")
    replicas = flags.get("replicas")
    # isascii: str.isdigit() also accepts digits such as "²" that no integer parser reads.
    if replicas is not None and not (replicas.isascii() and replicas.isdigit()):
        raise ToolRefused(f"--replicas={replicas} is not a whole number")
    if spec.name == "scale" and replicas is None:
        raise ToolRefused("kubectl scale needs --replicas")
    if spec.name == "patch":
        if "patch" not in flags:
            raise ToolRefused("kubectl patch needs --patch")
        if flags.get("type", "strategic") not in ("strategic", "merge", "json"):
            raise ToolRefused(f"--type={flags['type']} is not one of strategic, merge, json")
        if "subresource" in flags:
            raise ToolRefused("patching a subresource is refused; use kubectl scale for replicas")
    if spec.name == "delete" and flags.get("cascade", "background") not in ("background", "foreground", "orphan"):
        raise ToolRefused(f"--cascade={flags['cascade']} is not one of background, foreground, orphan")
    if flags.get("watch") not in (None, "false") and spec.name != "rollout status":
        raise ToolRefused("--watch never ends; refused")


def _objects(spec: VerbSpec, positionals: list[str], namespace: str | None) -> tuple[list[ObjectRef], list[str]]:
    shape = spec.shape
    if shape == "none":
        if positionals:
            raise ToolRefused(f"kubectl {spec.name} takes no arguments, got {' '.join(positionals)!r}")
        return [], []
    if shape == "any":  # auth can-i VERB RESOURCE: a question, not an object
        return [], list(positionals)
    if shape == "one":
        if len(positionals) != 1:
            raise ToolRefused(f"kubectl {spec.name} takes one argument")
        return [], list(positionals)
    if shape == "optional-name":
        kind = "pod" if spec.words[1] == "pod" else "node"
        if len(positionals) > 1:
            raise ToolRefused(f"kubectl {spec.name} takes at most one name")
        ns = None if kind == "node" else namespace
        return [ObjectRef(kind, positionals[0] if positionals else None, ns)], []
    if shape == "logs":
        if not 1 <= len(positionals) <= 2:
            raise ToolRefused("kubectl logs takes a pod (or KIND/NAME) and optionally a container")
        first = positionals[0]
        kind, _, name = first.partition("/") if "/" in first else ("pod", "", first)
        return [ObjectRef(canonical_kind(kind), name, namespace)], positionals[1:]
    if shape == "node":
        if not positionals:
            raise ToolRefused(f"kubectl {spec.name} needs a node")
        return [ObjectRef("node", p.split("/", 1)[-1], None) for p in positionals], []
    if shape == "create":
        if len(positionals) < 2:
            raise ToolRefused("kubectl create needs a kind and a name (kubectl create -f is refused)")
        sub, name, *rest = positionals
        created = CREATE_KINDS.get(sub)
        if created is None:
            why = "Secrets hold credentials" if sub == "secret" else "it is not understood"
            raise ToolRefused(f"kubectl create {sub} is refused: {why}")
        if rest:
            raise ToolRefused(f"kubectl create {sub} takes one name, got {' '.join(positionals[1:])!r}")
        return [ObjectRef(created, name, None if is_cluster_scoped(created) else namespace)], []
    # Resources first, then (for set/label/annotate/taint) the key=value arguments.
    resources = positionals
    arguments: list[str] = []
    if shape in ("set", "keyvalues"):
        split = next((k for k, p in enumerate(positionals) if "=" in p or p.endswith("-") or ":" in p), None)
        if split is None:
            raise ToolRefused(f"kubectl {spec.name} needs KEY=VALUE arguments")
        resources, arguments = positionals[:split], positionals[split:]
        for argument in arguments:
            if not ("=" in argument or argument.endswith("-") or ":" in argument):
                raise ToolRefused(f"kubectl {spec.name}: {argument!r} is not a KEY=VALUE argument")
    return _resource_list(spec, resources, namespace), arguments


def _resource_list(spec: VerbSpec, resources: list[str], namespace: str | None) -> list[ObjectRef]:
    if not resources:
        raise ToolRefused(f"kubectl {spec.name} needs a resource")

    def ref(kind: str, name: str | None) -> ObjectRef:
        if not kind or name == "":
            raise ToolRefused(f"kubectl {spec.name}: cannot read a resource from {resources!r}")
        kind = canonical_kind(kind)
        return ObjectRef(kind, name, None if is_cluster_scoped(kind) else namespace)

    if any("/" in r for r in resources):
        if not all("/" in r for r in resources):
            raise ToolRefused(f"kubectl {spec.name}: mix of KIND/NAME and bare names refused; use KIND/NAME for all")
        out = []
        for r in resources:
            kind, _, name = r.partition("/")
            if "/" in name or "," in kind:
                raise ToolRefused(f"kubectl {spec.name}: {r!r} is not KIND/NAME")
            out.append(ref(kind, name))
        return out
    kinds = resources[0].split(",")
    names = resources[1:]
    if len(kinds) > 1 and (names or spec.effect == "write"):
        raise ToolRefused(f"kubectl {spec.name}: several kinds at once are refused here; one kind per command")
    if not names:
        return [ref(k, None) for k in kinds]
    return [ref(kinds[0], n) for n in names]


def _render(
    spec: VerbSpec,
    objects: list[ObjectRef],
    arguments: list[str],
    namespace: str | None,
    all_namespaces: bool,
    flags: dict[str, str],
    positionals: list[str],
) -> list[str]:
    out = ["kubectl", *spec.words]
    if spec.shape in ("resources", "set", "keyvalues") and objects:
        if all(o.name for o in objects):
            out += [f"{o.kind}/{o.name}" for o in objects]
        else:
            out.append(",".join(o.kind for o in objects))
        out += arguments
    else:
        out += positionals
    if all_namespaces:
        out.append("--all-namespaces=true")
    elif namespace is not None:
        out.append(f"--namespace={namespace}")
    out += [f"--{name}={value}" for name, value in sorted(flags.items())]
    return out
