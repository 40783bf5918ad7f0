"""Who is at the console: one random token per person, printed when the server starts.

The token is the only credential. The first visit carries it in the URL (``?token=``); the
server answers with an HttpOnly, SameSite=Strict cookie and a redirect to the same page
without it, so the token does not stay in the address bar, the history or a Referer. Each
person's token decides under their own name, so the approval rules (approvers only, no
self-approval) apply to the console exactly as to a Slack click.

State-changing requests also need the page's form token (a keyed hash of the person, sent in
a header that a cross-site form cannot set) and, when the browser sends one, an Origin equal
to the server's own: a page on another site cannot make a signed-in browser decide.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie

COOKIE = "aof_console"
CSRF_HEADER = "X-Console-Form-Token"
TOKEN_BYTES = 24


@dataclass(frozen=True)
class Person:
    """Whom a token stands for; ``name`` is what approver lists hold (a Slack user id or a login)."""

    name: str
    token: str = field(repr=False)


class ConsoleAuth:
    def __init__(self, names: Iterable[str], tokens: dict[str, str] | None = None) -> None:
        chosen = dict(tokens or {})
        self.people = [Person(name, chosen.get(name) or secrets.token_urlsafe(TOKEN_BYTES)) for name in names]
        if not self.people:
            raise ValueError("the console needs at least one person to sign in")
        if len({p.name for p in self.people}) != len(self.people):
            raise ValueError("each console person is named once")
        # Form tokens are derived, never stored: a restart invalidates them with the tokens.
        self._form_key = secrets.token_bytes(32)

    def person_for(self, token: str | None) -> Person | None:
        """The person whose token this is; every candidate is compared in constant time."""
        if not token:
            return None
        found = None
        for person in self.people:
            if hmac.compare_digest(person.token.encode(), token.encode()):
                found = person
        return found

    def person_from_cookie(self, header: str | None, host: str | None) -> Person | None:
        if not header:
            return None
        try:
            cookie = SimpleCookie(header)
        except CookieError:
            return None
        morsel = cookie.get(cookie_name(host))
        return self.person_for(morsel.value if morsel else None)

    def form_token(self, person: Person) -> str:
        return hmac.new(self._form_key, f"{person.name}\0{person.token}".encode(), hashlib.sha256).hexdigest()

    def form_token_ok(self, person: Person, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.form_token(person), str(given))

    @staticmethod
    def cookie_header(person: Person, host: str | None) -> str:
        return f"{cookie_name(host)}={person.token}; Path=/console; HttpOnly; SameSite=Strict"


def cookie_name(host: str | None) -> str:
    """Cookies ignore ports: two consoles on one machine (serve and the demo) each keep their
    own, named after the port the browser reached."""
    port = (host or "").rpartition(":")[2]
    return f"{COOKIE}_{port}" if port.isdigit() else COOKIE


def origin_ok(origin: str | None, host: str | None) -> bool:
    """A browser's Origin must be this server (``http://<Host>``); no Origin (a non-browser
    client holding the token and the form token) is accepted."""
    if origin is None:
        return True
    return bool(host) and origin in (f"http://{host}", f"https://{host}")
