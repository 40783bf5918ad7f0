"""ASL intrinsic functions (``States.Format(...)`` and friends) used in ``.$`` values.

The argument grammar is tiny (quoted strings, numbers, booleans, null, JSONPaths, nested
calls), so it gets a small tokenizer here; the paths themselves go through ``paths.read``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import paths
from .errors import StatesError


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class PathArg:
    path: str


@dataclass(frozen=True)
class Literal:
    value: Any


def is_intrinsic(text: str) -> bool:
    return text.startswith("States.")


@lru_cache(maxsize=2048)
def parse(text: str) -> Call:
    parser = _Parser(text)
    call = parser.call()
    parser.skip_ws()
    if parser.pos != len(text):
        raise ValueError(f"unexpected text at position {parser.pos} in {text!r}")
    return call


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def call(self) -> Call:
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] == "."):
            self.pos += 1
        name = self.text[start : self.pos]
        if name not in FUNCTIONS:
            raise ValueError(f"unsupported intrinsic function {name!r}")
        self.expect("(")
        args: list[Any] = []
        self.skip_ws()
        if self.peek() == ")":
            self.pos += 1
            return Call(name, ())
        while True:
            self.skip_ws()
            args.append(self.arg())
            self.skip_ws()
            ch = self.peek()
            self.pos += 1
            if ch == ")":
                return Call(name, tuple(args))
            if ch != ",":
                raise ValueError(f"expected ',' or ')' at position {self.pos - 1} in {self.text!r}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            raise ValueError(f"expected {ch!r} at position {self.pos} in {self.text!r}")
        self.pos += 1

    def arg(self) -> Any:
        ch = self.peek()
        if ch == "'":
            return Literal(self.string())
        if ch == "$":
            return PathArg(self.path())
        if self.text.startswith("States.", self.pos):
            return self.call()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ",) ":
            self.pos += 1
        token = self.text[start : self.pos]
        try:
            return Literal(json.loads(token))
        except json.JSONDecodeError:
            raise ValueError(f"bad argument {token!r} in {self.text!r}") from None

    def string(self) -> str:
        # ASL escapes: \' \{ \} \\ ; the escape is kept for { } so Format can tell them apart.
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < len(self.text):
                nxt = self.text[self.pos + 1]
                out.append("\\" + nxt if nxt in "{}" else nxt)
                self.pos += 2
                continue
            if ch == "'":
                self.pos += 1
                return "".join(out)
            out.append(ch)
            self.pos += 1
        raise ValueError(f"unterminated string in {self.text!r}")

    def path(self) -> str:
        start = self.pos
        depth = 0
        quote = ""
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "'\"":
                quote = ch
            elif ch in "[(":
                depth += 1
            elif ch in "])":
                if depth == 0:
                    break
                depth -= 1
            elif ch == "," and depth == 0:
                break
            self.pos += 1
        return self.text[start : self.pos].strip()


def evaluate(text: str, data: Any, context: Any) -> Any:
    return _eval(parse(text), data, context)


def _eval(node: Any, data: Any, context: Any) -> Any:
    if isinstance(node, Literal):
        return _unescape(node.value) if isinstance(node.value, str) else node.value
    if isinstance(node, PathArg):
        return paths.read(node.path, data, context)
    args = list(node.args)
    if node.name == "States.Format":
        return _format(args, data, context)
    values = [_eval(a, data, context) for a in args]
    try:
        return FUNCTIONS[node.name](*values)
    except StatesError:
        raise
    except Exception as exc:
        raise StatesError("States.IntrinsicFailure", f"{node.name}: {exc}") from exc


def _unescape(text: str) -> str:
    return text.replace("\\{", "{").replace("\\}", "}")


def _format(args: list[Any], data: Any, context: Any) -> str:
    if not args or not isinstance(args[0], Literal) or not isinstance(args[0].value, str):
        raise StatesError("States.IntrinsicFailure", "States.Format needs a template string")
    template: str = args[0].value
    values = [_eval(a, data, context) for a in args[1:]]
    out: list[str] = []
    i = 0
    used = 0
    while i < len(template):
        if template.startswith("\\{", i) or template.startswith("\\}", i):
            out.append(template[i + 1])
            i += 2
        elif template.startswith("{}", i):
            if used >= len(values):
                raise StatesError("States.IntrinsicFailure", "States.Format: too few arguments")
            v = values[used]
            out.append(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
            used += 1
            i += 2
        else:
            out.append(template[i])
            i += 1
    if used != len(values):
        raise StatesError("States.IntrinsicFailure", "States.Format: too many arguments")
    return "".join(out)


def _json_merge(a: Any, b: Any, deep: Any = False) -> Any:
    if deep:
        raise StatesError("States.IntrinsicFailure", "States.JsonMerge: deep merge is not supported")
    if not isinstance(a, dict) or not isinstance(b, dict):
        raise StatesError("States.IntrinsicFailure", "States.JsonMerge needs two objects")
    return {**a, **b}


def _hash(data: Any, algorithm: str) -> str:
    names = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
    if algorithm not in names:
        raise StatesError("States.IntrinsicFailure", f"States.Hash: unknown algorithm {algorithm!r}")
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return hashlib.new(names[algorithm], text.encode()).hexdigest()


def _partition(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), int(size))]


def _range(start: int, end: int, step: int) -> list[int]:
    return list(range(int(start), int(end) + (1 if step > 0 else -1), int(step)))


def _unique(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "States.Format": lambda *a: None,  # evaluated by _format (needs the raw template)
    "States.StringToJson": lambda s: json.loads(s),
    "States.JsonToString": lambda v: json.dumps(v, separators=(",", ":")),
    "States.Array": lambda *a: list(a),
    "States.JsonMerge": _json_merge,
    "States.Hash": _hash,
    "States.ArrayPartition": _partition,
    "States.ArrayContains": lambda items, v: v in items,
    "States.ArrayRange": _range,
    "States.ArrayGetItem": lambda items, i: items[int(i)],
    "States.ArrayLength": lambda items: len(items),
    "States.ArrayUnique": _unique,
    "States.Base64Encode": lambda s: base64.b64encode(s.encode()).decode(),
    "States.Base64Decode": lambda s: base64.b64decode(s).decode(),
    "States.MathAdd": lambda a, b: a + b,
    "States.StringSplit": lambda s, d: [p for p in _split(s, d) if p],
    "States.UUID": lambda: str(uuid.uuid4()),
}


def _split(text: str, delimiters: str) -> list[str]:
    parts = [text]
    for d in delimiters:
        parts = [p for part in parts for p in part.split(d)]
    return parts
