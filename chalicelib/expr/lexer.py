"""Turns condition text into tokens, and finds where a ``${...}`` ends.

Positions are absolute offsets into the whole text so that an error inside a ``${...}`` in
the middle of a long template still points at the right character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from chalicelib.errors import ExpressionError

# A path segment may contain '-' (node ids like verify-fix) but not start or end with one.
# Written without nested ambiguity so that matching stays linear on hostile input.
_SEGMENT = r"[A-Za-z_][A-Za-z0-9_]*(?:-+[A-Za-z0-9_]+)*"
PATH_PATTERN = rf"{_SEGMENT}(?:\.(?:{_SEGMENT}|[0-9]+))*"
_PATH = re.compile(PATH_PATTERN)
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_DIGITS = "0123456789"  # str.isdigit() also accepts non-ASCII digits, which int() then refuses
_WORD_CHAR = re.compile(r"[A-Za-z0-9_.]")
# ${path:-default}: the default is raw text up to the first '}', as in the shell.
_REF_WITH_DEFAULT = re.compile(rf"\s*({PATH_PATTERN})\s*:-([^}}]*)\}}")

_ESCAPES = {
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
    "$": "$",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "0": "\0",
}

_KEYWORDS: dict[str, tuple[str, Any]] = {
    "and": ("AND", None),
    "or": ("OR", None),
    "not": ("NOT", None),
    "true": ("LITERAL", True),
    "false": ("LITERAL", False),
    "null": ("LITERAL", None),
}

_SYMBOLS: tuple[tuple[str, str, str | None], ...] = (
    ("==", "OP", "=="),
    ("!=", "OP", "!="),
    ("<=", "OP", "<="),
    (">=", "OP", ">="),
    ("&&", "AND", None),
    ("||", "OR", None),
    ("<", "OP", "<"),
    (">", "OP", ">"),
    ("!", "NOT", None),
    ("(", "LPAREN", None),
    (")", "RPAREN", None),
)


class Kind(Enum):
    LITERAL = "LITERAL"
    PATH = "PATH"
    OP = "OP"
    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    LPAREN = "LPAREN"
    RPAREN = "RPAREN"
    INTERP = "INTERP"
    END = "END"


@dataclass(frozen=True)
class Token:
    """One token. ``value`` is the literal value, the path parts, the operator, or for ``INTERP``
    the ``(start, end)`` of the text between ``${`` and ``}``."""

    kind: Kind
    value: Any
    start: int
    end: int


def describe(token: Token, text: str) -> str:
    """How an error message names a token."""
    if token.kind is Kind.END:
        return "end of expression"
    return repr(text[token.start : token.end])


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Tokens of ``text[start:end]``, ending with an ``END`` token."""
    stop = len(text) if end is None else end
    tokens: list[Token] = []
    pos = start
    while True:
        while pos < stop and text[pos].isspace():
            pos += 1
        if pos >= stop:
            tokens.append(Token(Kind.END, None, stop, stop))
            return tokens
        token = _next_token(text, pos, stop)
        tokens.append(token)
        pos = token.end


def _next_token(text: str, pos: int, stop: int) -> Token:
    char = text[pos]
    if char in "\"'":
        value, end = scan_string(text, pos, stop)
        return Token(Kind.LITERAL, value, pos, end)
    if text.startswith("${", pos):
        inner_end = find_interpolation_end(text, pos, stop)
        return Token(Kind.INTERP, (pos + 2, inner_end), pos, inner_end + 1)
    if char in _DIGITS or (char == "-" and pos + 1 < stop and text[pos + 1] in _DIGITS):
        return _number(text, pos, stop)
    path = _PATH.match(text, pos, stop)
    if path:
        return _word(text, path.group(), pos, path.end(), stop)
    for symbol, kind, symbol_value in _SYMBOLS:
        if text.startswith(symbol, pos) and pos + len(symbol) <= stop:
            return Token(Kind(kind), symbol_value, pos, pos + len(symbol))
    if char == "=":
        raise ExpressionError("unexpected '=' (use '==' to compare)", text, pos)
    raise ExpressionError(f"unexpected character {char!r}", text, pos)


def _word(text: str, word: str, pos: int, end: int, stop: int) -> Token:
    if end < stop and (_WORD_CHAR.match(text[end]) or text[end] == "-"):
        # e.g. "a.", "a-", "a..b": the path stopped on a character that cannot follow it.
        raise ExpressionError(f"malformed reference {text[pos : end + 1]!r}", text, end)
    keyword = _KEYWORDS.get(word.lower())
    if keyword is not None:
        kind, value = keyword
        return Token(Kind(kind), value, pos, end)
    return Token(Kind.PATH, tuple(word.split(".")), pos, end)


def _number(text: str, pos: int, stop: int) -> Token:
    match = _NUMBER.match(text, pos, stop)
    assert match is not None  # the caller saw a digit
    end = match.end()
    if end < stop and (_WORD_CHAR.match(text[end]) or text[end] == "-"):
        raise ExpressionError(f"malformed number {text[pos : end + 1]!r}", text, pos)
    raw = match.group()
    try:
        value: int | float
        if match.group(1) is None and match.group(2) is None:
            value = int(raw)
        else:
            value = float(raw)
    except ValueError:
        # Python refuses to convert integers with more than ~4300 digits.
        raise ExpressionError("number is too long", text, pos) from None
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        raise ExpressionError("number is out of range", text, pos)
    return Token(Kind.LITERAL, value, pos, end)


def scan_string(text: str, pos: int, stop: int) -> tuple[str, int]:
    """Read the quoted string starting at ``pos``; return its value and the offset after it."""
    quote = text[pos]
    out: list[str] = []
    i = pos + 1
    while i < stop:
        char = text[i]
        if char == quote:
            return "".join(out), i + 1
        if char == "\\":
            if i + 1 >= stop:
                break
            escaped = text[i + 1]
            if escaped == "u":
                digits = text[i + 2 : min(i + 6, stop)]
                if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                    raise ExpressionError("\\u must be followed by four hex digits", text, i)
                out.append(chr(int(digits, 16)))
                i += 6
                continue
            if escaped not in _ESCAPES:
                raise ExpressionError(f"unknown escape \\{escaped}", text, i)
            out.append(_ESCAPES[escaped])
            i += 2
            continue
        out.append(char)
        i += 1
    raise ExpressionError("unterminated string", text, pos)


def match_ref_with_default(text: str, inner_start: int, stop: int) -> re.Match[str] | None:
    """Match ``path:-default}`` at ``inner_start`` (just after ``${``)."""
    return _REF_WITH_DEFAULT.match(text, inner_start, stop)


def find_interpolation_end(text: str, pos: int, stop: int) -> int:
    """Offset of the ``}`` closing the ``${`` at ``pos``.

    Quoted strings are skipped so ``${a == "}"}`` closes at the last brace. ``${`` inside
    ``${...}`` is refused: nesting buys nothing here and would only hide mistakes.
    """
    with_default = match_ref_with_default(text, pos + 2, stop)
    if with_default:
        if "${" in with_default.group(2):
            raise ExpressionError("'${' is not allowed inside a default", text, with_default.start(2))
        return with_default.end() - 1
    i = pos + 2
    while i < stop:
        char = text[i]
        if char == "}":
            return i
        if char in "\"'":
            _, i = scan_string(text, i, stop)
            continue
        if text.startswith("${", i):
            raise ExpressionError("'${' cannot be nested inside '${...}'", text, i)
        i += 1
    raise ExpressionError("unterminated '${' (missing '}')", text, pos)
