"""ASL intrinsic functions (``States.Format(...)`` and friends) used in ``.$`` values.

The argument grammar is tiny (quoted strings, numbers, booleans, null, JSONPaths, nested
calls), so it gets a small tokenizer here; the paths themselves go through ``paths.read``.
Each function has a signature (argument count and types, as Step Functions documents them):
the definition loader checks what it can see (literals, nested calls' result types) and the
evaluation checks the rest. Whatever fails inside an intrinsic is ``States.IntrinsicFailure``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from chalicelib.engine import paths

from .errors import StatesError

FAILURE = "States.IntrinsicFailure"
MAX_ARRAY_RANGE = 1000  # Step Functions refuses a States.ArrayRange of more items
MAX_TEXT = 10_000  # input limit of Hash, Base64Encode and Base64Decode


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
    # A quoted string read as a States.Format template: text pieces and None for each '{}',
    # or the reason it is not a valid template (an unescaped '{' or '}').
    template: tuple[str | None, ...] | str | None = None


def is_intrinsic(text: str) -> bool:
    return text.startswith("States.")


@lru_cache(maxsize=2048)
def parse(text: str) -> Call:
    """The call tree of ``text``; ``ValueError`` for bad syntax or a refused call."""
    parser = _Parser(text)
    call = parser.call()
    parser.skip_ws()
    if parser.pos != len(text):
        raise ValueError(f"unexpected text at position {parser.pos} in {text!r}")
    problems = check(call)
    if problems:
        raise ValueError("; ".join(problems))
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
        if name not in SIGNATURES:
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
            return self.string()
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

    def string(self) -> Literal:
        """A quoted string: its value (escapes \\' \\{ \\} \\\\ resolved) and its template reading."""
        self.pos += 1
        value: list[str] = []
        pieces: list[str | None] = []
        piece: list[str] = []
        bad: str | None = None
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < len(self.text):
                value.append(self.text[self.pos + 1])
                piece.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if ch == "'":
                self.pos += 1
                pieces.append("".join(piece))
                return Literal("".join(value), bad or tuple(pieces))
            if ch == "{" and self.text.startswith("{}", self.pos):
                value.append("{}")
                pieces.extend(["".join(piece), None])
                piece = []
                self.pos += 2
                continue
            if ch in "{}":
                bad = bad or f"unescaped {ch!r} in the template (write \\\\{ch})"
            value.append(ch)
            piece.append(ch)
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


# --- types ------------------------------------------------------------------------------------
# Argument and result types: str, int, num, bool, arr, obj, scalar (str/num/bool/null), any.


def type_ok(kind: str, value: Any) -> bool:
    if kind == "any":
        return True
    if kind == "str":
        return isinstance(value, str)
    if isinstance(value, bool):
        return kind in ("bool", "scalar")
    if kind == "int":
        return isinstance(value, int)
    if kind == "num":
        return isinstance(value, int | float)
    if kind == "bool":
        return False
    if kind == "arr":
        return isinstance(value, list)
    if kind == "obj":
        return isinstance(value, dict)
    return value is None or isinstance(value, str | int | float)  # scalar


_DESCRIBE = {
    "str": "a string",
    "int": "an integer",
    "num": "a number",
    "bool": "a boolean",
    "arr": "an array",
    "obj": "an object",
    "scalar": "a string, number, boolean or null",
}


@dataclass(frozen=True)
class Signature:
    args: tuple[str, ...]  # required arguments' types
    optional: tuple[str, ...] = ()
    rest: str | None = None  # type of any further arguments (variadic functions)
    result: str = "any"


SIGNATURES: dict[str, Signature] = {
    "States.Format": Signature(("str",), rest="scalar", result="str"),
    "States.StringToJson": Signature(("str",)),
    "States.JsonToString": Signature(("any",), result="str"),
    "States.Array": Signature((), rest="any", result="arr"),
    "States.ArrayPartition": Signature(("arr", "int"), result="arr"),
    "States.ArrayContains": Signature(("arr", "any"), result="bool"),
    "States.ArrayRange": Signature(("int", "int", "int"), result="arr"),
    "States.ArrayGetItem": Signature(("arr", "int")),
    "States.ArrayLength": Signature(("arr",), result="int"),
    "States.ArrayUnique": Signature(("arr",), result="arr"),
    "States.Base64Encode": Signature(("str",), result="str"),
    "States.Base64Decode": Signature(("str",), result="str"),
    "States.Hash": Signature(("str", "str"), result="str"),
    "States.JsonMerge": Signature(("obj", "obj", "bool"), result="obj"),
    "States.MathRandom": Signature(("int", "int"), optional=("int",), result="int"),
    "States.MathAdd": Signature(("int", "int"), result="int"),
    "States.StringSplit": Signature(("str", "str"), result="arr"),
    "States.UUID": Signature((), result="str"),
}

_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _arg_type(sig: Signature, index: int) -> str | None:
    if index < len(sig.args):
        return sig.args[index]
    if index - len(sig.args) < len(sig.optional):
        return sig.optional[index - len(sig.args)]
    return sig.rest


def _count_problem(call: Call, count: int) -> str | None:
    sig = SIGNATURES[call.name]
    low, high = len(sig.args), len(sig.args) + len(sig.optional)
    if count < low or (sig.rest is None and count > high):
        wanted = f"{low}" if low == high else f"{low} to {high}"
        if sig.rest is not None:
            wanted = f"at least {low}"
        return f"{call.name} takes {wanted} argument(s), got {count}"
    return None


def check(call: Call) -> list[str]:
    """What the loader can refuse without the input: counts, literal types, nested results."""
    found: list[str] = []
    problem = _count_problem(call, len(call.args))
    if problem:
        found.append(problem)
    sig = SIGNATURES[call.name]
    for i, arg in enumerate(call.args):
        kind = _arg_type(sig, i)
        if kind is None:
            break
        if isinstance(arg, Call):
            found.extend(check(arg))
            produced = SIGNATURES[arg.name].result
            if produced != "any" and kind != "any" and not _compatible(produced, kind):
                found.append(
                    f"{call.name} argument {i + 1} must be {_DESCRIBE[kind]}, {arg.name} gives {_DESCRIBE[produced]}"
                )
        elif isinstance(arg, Literal) and not type_ok(kind, arg.value):
            found.append(f"{call.name} argument {i + 1} must be {_DESCRIBE[kind]}, got {arg.value!r}")
    if not found:
        found.extend(_literal_rules(call))
    return found


def _compatible(produced: str, wanted: str) -> bool:
    if produced == wanted:
        return True
    if wanted == "scalar":
        return produced in ("str", "int", "num", "bool")
    return wanted == "num" and produced == "int"


def _literal_rules(call: Call) -> list[str]:
    """Rules on literal values: the template, JsonMerge's shallow flag, ArrayRange's size."""
    literal: list[Any] = [a.value if isinstance(a, Literal) else None for a in call.args]
    known = [isinstance(a, Literal) for a in call.args]
    if call.name == "States.Format":
        first = call.args[0]
        if not isinstance(first, Literal):
            return ["States.Format's template must be a quoted string"]
        if isinstance(first.template, str):
            return [f"States.Format: {first.template}"]
        try:
            _placeholders_match(first, len(call.args) - 1)
        except StatesError as err:
            return [err.cause]
    if call.name == "States.JsonMerge" and known[2] and literal[2] is not False:
        return ["States.JsonMerge's third argument must be false (only the shallow merge exists)"]
    if call.name == "States.ArrayRange" and all(known):
        try:
            _range(*literal)
        except StatesError as err:
            return [err.cause]
    if call.name == "States.Hash" and known[1] and literal[1] not in _HASHES:
        return [f"States.Hash: unknown algorithm {literal[1]!r} (one of {', '.join(_HASHES)})"]
    return []


# --- evaluation -------------------------------------------------------------------------------
def evaluate(text: str, data: Any, context: Any) -> Any:
    return _eval(parse(text), data, context)


def _eval(node: Any, data: Any, context: Any) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, PathArg):
        try:
            return paths.read(node.path, data, context)
        except StatesError as err:
            raise StatesError(FAILURE, err.cause) from err
    values = [_eval(a, data, context) for a in node.args]
    sig = SIGNATURES[node.name]
    for i, value in enumerate(values):
        kind = _arg_type(sig, i)
        if kind is not None and not type_ok(kind, value):
            raise StatesError(FAILURE, f"{node.name} argument {i + 1} must be {_DESCRIBE[kind]}, got {_show(value)}")
    if node.name == "States.Format":
        return _format(node.args[0], values[1:])
    try:
        return FUNCTIONS[node.name](*values)
    except StatesError:
        raise
    except Exception as exc:
        raise StatesError(FAILURE, f"{node.name}: {exc}") from exc


def _show(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:80] + "..."


def _placeholders_match(template: Literal, count: int) -> tuple[str | None, ...]:
    pieces = template.template
    assert isinstance(pieces, tuple)  # a str (invalid template) is refused by check()
    holes = sum(1 for p in pieces if p is None)
    if holes != count:
        raise StatesError(FAILURE, f"States.Format: the template has {holes} '{{}}' for {count} argument(s)")
    return pieces


def _format(template: Literal, values: list[Any]) -> str:
    pieces = _placeholders_match(template, len(values))
    out: list[str] = []
    remaining = iter(values)
    for piece in pieces:
        if piece is not None:
            out.append(piece)
            continue
        value = next(remaining)
        out.append(value if isinstance(value, str) else json.dumps(value))
    return "".join(out)


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values: ``true`` is not ``1``, ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def _json_merge(a: dict[str, Any], b: dict[str, Any], deep: bool) -> dict[str, Any]:
    if deep:
        raise StatesError(FAILURE, "States.JsonMerge: the third argument must be false (shallow merge)")
    return {**a, **b}


def _hash(data: str, algorithm: str) -> str:
    if algorithm not in _HASHES:
        raise StatesError(FAILURE, f"States.Hash: unknown algorithm {algorithm!r}")
    _limit("States.Hash", data)
    return hashlib.new(_HASHES[algorithm], data.encode()).hexdigest()


def _limit(name: str, text: str) -> None:
    if len(text) > MAX_TEXT:
        raise StatesError(FAILURE, f"{name}: input longer than {MAX_TEXT} characters")


def _partition(items: list[Any], size: int) -> list[list[Any]]:
    if size <= 0:
        raise StatesError(FAILURE, f"States.ArrayPartition: chunk size must be positive, got {size}")
    return [items[i : i + size] for i in range(0, len(items), size)]


def _range(start: int, end: int, step: int) -> list[int]:
    if step == 0:
        raise StatesError(FAILURE, "States.ArrayRange: the step must not be 0")
    count = max(0, (end - start) // step + 1)
    if count > MAX_ARRAY_RANGE:
        raise StatesError(FAILURE, f"States.ArrayRange would give {count} items, more than {MAX_ARRAY_RANGE}")
    return list(range(start, end + (1 if step > 0 else -1), step))


def _get_item(items: list[Any], index: int) -> Any:
    if not 0 <= index < len(items):
        raise StatesError(FAILURE, f"States.ArrayGetItem: index {index} outside an array of {len(items)}")
    return items[index]


def _contains(items: list[Any], value: Any) -> bool:
    return any(json_equal(item, value) for item in items)


def _unique(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if not _contains(out, item):
            out.append(item)
    return out


def _b64encode(text: str) -> str:
    _limit("States.Base64Encode", text)
    return base64.b64encode(text.encode()).decode()


def _b64decode(text: str) -> str:
    _limit("States.Base64Decode", text)
    try:
        return base64.b64decode(text, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise StatesError(FAILURE, f"States.Base64Decode: not Base64 text: {exc}") from None


def _random(start: int, end: int, seed: int | None = None) -> int:
    if start >= end:
        raise StatesError(FAILURE, f"States.MathRandom: start {start} must be below end {end}")
    rng = random.Random(seed) if seed is not None else random  # noqa: S311 - not for security
    return rng.randrange(start, end)


def _string_to_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise StatesError(FAILURE, f"States.StringToJson: not JSON: {exc}") from None


def _split(text: str, delimiters: str) -> list[str]:
    parts = [text]
    for d in delimiters:
        parts = [p for part in parts for p in part.split(d)]
    return [p for p in parts if p]


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "States.StringToJson": _string_to_json,
    "States.JsonToString": lambda v: json.dumps(v, separators=(",", ":")),
    "States.Array": lambda *a: list(a),
    "States.JsonMerge": _json_merge,
    "States.Hash": _hash,
    "States.ArrayPartition": _partition,
    "States.ArrayContains": _contains,
    "States.ArrayRange": _range,
    "States.ArrayGetItem": _get_item,
    "States.ArrayLength": len,
    "States.ArrayUnique": _unique,
    "States.Base64Encode": _b64encode,
    "States.Base64Decode": _b64decode,
    "States.MathRandom": _random,
    "States.MathAdd": lambda a, b: a + b,
    "States.StringSplit": _split,
    "States.UUID": lambda: str(uuid.uuid4()),
}
