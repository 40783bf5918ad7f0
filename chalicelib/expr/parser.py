"""Recursive-descent parser for conditions and for the inside of ``${...}``.

Grammar (lowest binding first; keywords are case-insensitive)::

    or      := and (("OR" | "||") and)*
    and     := not (("AND" | "&&") not)*
    not     := ("NOT" | "!") not | compare
    compare := operand (("==" | "!=" | "<" | "<=" | ">" | ">=") operand)?
    operand := literal | path | "(" or ")" | "${" path ":-" default "}" | "${" or "}"

Comparisons do not chain (``a < b < c`` is an error) because there is no reading of it that
an SRE would expect.
"""

from __future__ import annotations

from chalicelib.errors import ExpressionError

from .lexer import Kind, Token, describe, match_ref_with_default, tokenize
from .syntax import And, Compare, Expr, Literal, Not, Or, Ref

#: Deepest nesting of parentheses, NOT and ${...} accepted; deeper input is an ExpressionError
#: rather than a RecursionError.
MAX_DEPTH = 64


def parse_expression(text: str, start: int = 0, end: int | None = None, depth: int = 0) -> Expr:
    """Parse ``text[start:end]`` as one whole expression."""
    stop = len(text) if end is None else end
    parser = _Parser(text, tokenize(text, start, stop), depth)
    if parser.peek().kind is Kind.END:
        raise ExpressionError("empty expression", text, start)
    expr = parser.parse_or()
    token = parser.peek()
    if token.kind is not Kind.END:
        if token.kind is Kind.RPAREN:
            raise ExpressionError("unbalanced ')'", text, token.start)
        raise ExpressionError(f"unexpected {describe(token, text)}", text, token.start)
    return expr


def parse_interpolation(text: str, dollar: int, close: int, depth: int = 0) -> Expr:
    """Parse the ``${...}`` whose ``$`` is at ``dollar`` and whose ``}`` is at ``close``."""
    inner = dollar + 2
    with_default = match_ref_with_default(text, inner, close + 1)
    if with_default:
        parts = tuple(with_default.group(1).split("."))
        return Ref(parts, with_default.group(2))
    if text[inner:close].strip() == "":
        raise ExpressionError("empty '${}'", text, dollar)
    return parse_expression(text, inner, close, depth + 1)


class _Parser:
    def __init__(self, text: str, tokens: list[Token], depth: int) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.depth = depth

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind is not Kind.END:
            self.index += 1
        return token

    def _enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested deeper than {MAX_DEPTH} levels", self.text, token.start)

    def parse_or(self) -> Expr:
        items = [self.parse_and()]
        while self.peek().kind is Kind.OR:
            self.advance()
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Expr:
        items = [self.parse_not()]
        while self.peek().kind is Kind.AND:
            self.advance()
            items.append(self.parse_not())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_not(self) -> Expr:
        token = self.peek()
        if token.kind is not Kind.NOT:
            return self.parse_compare()
        self.advance()
        self._enter(token)
        item = self.parse_not()
        self.depth -= 1
        return Not(item)

    def parse_compare(self) -> Expr:
        left = self.parse_operand()
        token = self.peek()
        if token.kind is not Kind.OP:
            return left
        self.advance()
        right = self.parse_operand()
        after = self.peek()
        if after.kind is Kind.OP:
            raise ExpressionError("comparisons cannot be chained; combine them with AND", self.text, after.start)
        return Compare(str(token.value), left, right)

    def parse_operand(self) -> Expr:
        token = self.advance()
        if token.kind is Kind.LITERAL:
            return Literal(token.value)
        if token.kind is Kind.PATH:
            return Ref(token.value)
        if token.kind is Kind.INTERP:
            inner_start, close = token.value
            return parse_interpolation(self.text, inner_start - 2, close, self.depth)
        if token.kind is Kind.LPAREN:
            self._enter(token)
            expr = self.parse_or()
            closing = self.advance()
            if closing.kind is Kind.END:
                raise ExpressionError("unclosed '('", self.text, token.start)
            if closing.kind is not Kind.RPAREN:
                raise ExpressionError(
                    f"expected ')' to close the '(' at position {token.start}, found {describe(closing, self.text)}",
                    self.text,
                    closing.start,
                )
            self.depth -= 1
            return expr
        if token.kind is Kind.END:
            raise ExpressionError("expression ends where a value was expected", self.text, token.start)
        raise ExpressionError(f"expected a value, found {describe(token, self.text)}", self.text, token.start)
