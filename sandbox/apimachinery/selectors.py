"""Label and field selectors, parsed and matched as the API server does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.apimachinery.errors import bad_request


@dataclass
class Requirement:
    key: str
    op: str  # = != in notin exists !exists
    values: list[str] = field(default_factory=list)

    def matches(self, labels: dict[str, str]) -> bool:
        has = self.key in labels
        val = labels.get(self.key)
        if self.op == "=":
            return has and val == self.values[0]
        if self.op == "!=":
            return not has or val != self.values[0]
        if self.op == "in":
            return has and val in self.values
        if self.op == "notin":
            return not has or val not in self.values
        if self.op == "exists":
            return has
        if self.op == "!exists":
            return not has
        return False


def _split_top(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


_SET_RE = re.compile(r"^([^\s!=]+)\s+(in|notin)\s*\((.*)\)$")


def parse_label_selector(text: str | None) -> list[Requirement]:
    if not text:
        return []
    reqs: list[Requirement] = []
    for part in _split_top(text):
        m = _SET_RE.match(part)
        if m:
            reqs.append(Requirement(m.group(1), m.group(2), [v.strip() for v in m.group(3).split(",") if v.strip()]))
        elif "!=" in part:
            k, v = part.split("!=", 1)
            reqs.append(Requirement(k.strip(), "!=", [v.strip()]))
        elif "==" in part:
            k, v = part.split("==", 1)
            reqs.append(Requirement(k.strip(), "=", [v.strip()]))
        elif "=" in part:
            k, v = part.split("=", 1)
            reqs.append(Requirement(k.strip(), "=", [v.strip()]))
        elif part.startswith("!"):
            reqs.append(Requirement(part[1:].strip(), "!exists"))
        elif re.match(r"^[A-Za-z0-9_./-]+$", part):
            reqs.append(Requirement(part, "exists"))
        else:
            raise bad_request(f"unable to parse requirement: {part!r}")
    return _check_requirements(reqs, text)


_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


def _check_requirements(reqs: list[Requirement], text: str) -> list[Requirement]:
    for r in reqs:
        if not _LABEL_KEY.match(r.key) or not all(_LABEL_VALUE.match(v) for v in r.values):
            raise bad_request(f"unable to parse requirement: invalid label selector {text!r}")
    return reqs


def labels_match(reqs: list[Requirement], labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return all(r.matches(labels) for r in reqs)


def selector_from_label_selector(sel: dict[str, Any] | None) -> list[Requirement]:
    """A ``LabelSelector`` object (matchLabels/matchExpressions) -> requirements."""
    reqs: list[Requirement] = []
    if not sel:
        return reqs
    for k, v in (sel.get("matchLabels") or {}).items():
        reqs.append(Requirement(k, "=", [v]))
    for expr in sel.get("matchExpressions") or []:
        op = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!exists"}[expr["operator"]]
        reqs.append(Requirement(expr["key"], op, list(expr.get("values") or [])))
    return reqs


def selector_string(sel: dict[str, Any] | None) -> str:
    parts = [f"{k}={v}" for k, v in sorted((sel or {}).get("matchLabels", {}).items())]
    for expr in (sel or {}).get("matchExpressions") or []:
        op = expr["operator"]
        if op in ("In", "NotIn"):
            parts.append(f"{expr['key']} {op.lower()} ({','.join(expr.get('values') or [])})")
        elif op == "Exists":
            parts.append(expr["key"])
        else:
            parts.append("!" + expr["key"])
    return ",".join(parts)


def parse_field_selector(text: str | None) -> list[tuple[str, str, str]]:
    """``metadata.name=x,status.phase!=Failed`` -> [(path, op, value)]."""
    out: list[tuple[str, str, str]] = []
    if not text:
        return out
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "!=" in part:
            k, v = part.split("!=", 1)
            out.append((k.strip(), "!=", v.strip()))
        elif "==" in part:
            k, v = part.split("==", 1)
            out.append((k.strip(), "=", v.strip()))
        elif "=" in part:
            k, v = part.split("=", 1)
            out.append((k.strip(), "=", v.strip()))
        else:
            raise bad_request(f"invalid selector: {part!r}; can't understand {part!r}")
    return out


def dig(obj: Any, path: str) -> Any:
    cur = obj
    for seg in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(seg)
        else:
            return None
    return cur


def fields_match(sel: list[tuple[str, str, str]], obj: dict[str, Any]) -> bool:
    for path, op, value in sel:
        actual = dig(obj, path)
        actual_s = "" if actual is None else str(actual)
        if op == "=" and actual_s != value:
            return False
        if op == "!=" and actual_s == value:
            return False
    return True
