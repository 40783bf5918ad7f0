"""Where the structured log's lines go, which run they name, and the light writer the API
routes use.

Every line carries the run it belongs to (``run_id``, ``incident_id``, ``flow``, ``node``,
``attempt``), empty where a line belongs to no run yet (a webhook before its run starts), so
one CloudWatch Logs Insights filter finds a run's lines across all the functions, and
``aofctl logs RUN --system`` shows the same lines locally. Secrets are masked by the
serializer, the last step before a line is written (see :mod:`.redaction`).

Two writers share one destination and one line format:

- :mod:`.logging`: Powertools' Logger, for the node functions, the engine and the policy gate;
- :class:`JsonLines` on the ``chalicelib`` standard-library logger, for the API routes and the
  modules that log through ``logging.getLogger(__name__)``. The routes must answer PagerDuty
  and Slack fast: importing Powertools (it loads its metrics, tracing and JMESPath modules too)
  made the webhook path's cold import 14% slower in ``bench/coldstart.py``, over its 10% budget,
  so they write the same JSON object per line without it.

Where lines go: in a Lambda (or any ``AOF_BACKEND=aws`` process) to standard output, which the
Lambda runtime ships to CloudWatch Logs; on the embedded default to ``STATE_DIR/logs/system.jsonl``
once the composition root has called :func:`write_to_state_dir` (the terminal stays the live
view's); nowhere otherwise (a library used on its own writes no files behind its caller's back).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .. import settings
from .redaction import Redactor

SERVICE = "aof-incident-response"
#: The fields every line carries, in this order after time, level and message.
RUN_FIELDS = ("run_id", "incident_id", "flow", "node", "attempt")
#: The file, under the state directory, the embedded default writes.
SYSTEM_LOG = Path("logs") / "system.jsonl"

_EMPTY: dict[str, Any] = {"run_id": "", "incident_id": "", "flow": "", "node": "", "attempt": 0}
_bound: ContextVar[dict[str, Any]] = ContextVar("aof_log_context", default=_EMPTY)
redactor = Redactor()


@contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Add run fields to every line logged in this thread until the block ends.

    A context variable, not Powertools' ``append_keys``: the embedded engine runs several
    nodes of several runs at once in one process, and each must log its own run.
    """
    token = _bound.set({**_bound.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _bound.reset(token)


def bound() -> dict[str, Any]:
    """The run fields lines logged here and now get."""
    return dict(_bound.get())


class RunFields(logging.Filter):
    """Puts the bound run fields on each record (fields passed with ``extra=`` win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _bound.get().items():
            if key not in record.__dict__:
                setattr(record, key, value)
        return True


class _Destination:
    """The state directory's file, standard output in a deployed stage, or nowhere; decided
    per line so a composition root can choose it after the writers were built."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self._file: IO[str] | None = None
        self.guard = threading.Lock()

    def use_file(self, path: Path | None) -> None:
        with self.guard:
            if self._file is not None:
                self._file.close()
            self._file = None
            self.path = path

    def write(self, line: str) -> None:
        with self.guard:
            target = self._target()
            if target is not None:
                target.write(line + "\n")
                target.flush()

    def _target(self) -> IO[str] | None:
        if self.path is not None:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("a", encoding="utf-8")
            return self._file
        if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or settings.is_deployed():
            return sys.stdout
        return None


destination = _Destination()


class Sink(logging.Handler):
    """A handler writing formatted lines to :data:`destination`."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RunFields())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            destination.write(self.format(record))
        except Exception:  # a log line must never break the run it describes
            self.handleError(record)


def serialize(line: Mapping[str, Any]) -> str:
    """One JSON line, secrets masked."""
    return json.dumps(redactor.value(line), separators=(",", ":"), ensure_ascii=False, default=str)


_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonLines(logging.Formatter):
    """Powertools' line without Powertools: ``timestamp`` (RFC 3339, UTC, milliseconds),
    ``level``, ``message``, the run fields, ``location``, ``service``, the record's extra
    fields, and ``exception``/``exception_name`` for an error."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        line: dict[str, Any] = {"timestamp": stamp, "level": record.levelname, "message": record.getMessage()}
        line.update({key: getattr(record, key, _EMPTY[key]) for key in RUN_FIELDS})
        line["location"] = f"{record.funcName}:{record.lineno}"
        line["service"] = SERVICE
        line.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and k not in line})
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = self.formatException(record.exc_info)
            line["exception_name"] = record.exc_info[0].__name__
        return serialize(line)


def level(env: Mapping[str, str] | None = None) -> str:
    return (settings.resolve(settings.AOF_LOG_LEVEL, None, env, "INFO") or "INFO").upper()


_library_sink = Sink()
_library_sink.setFormatter(JsonLines())
_library = logging.getLogger("chalicelib")
_library.addHandler(_library_sink)
_library.setLevel(level())
# Our lines are ours: not repeated by a root handler someone else configured, nor printed on
# the terminal by logging's last resort.
_library.propagate = False


def write_to_file(path: Path | None) -> None:
    """Lines to ``path`` from now on (``None``: back to the default, see the module's doc)."""
    destination.use_file(path)


def write_to_state_dir(state_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    """The embedded default's choice: lines to ``STATE_DIR/logs/system.jsonl``, at the level
    ``env`` asks for, with ``env``'s secrets masked too. Returns the file's path."""
    path = system_log(state_dir)
    destination.use_file(path)
    for name in ("chalicelib", SERVICE):  # SERVICE: the standard logger Powertools' Logger wraps
        logging.getLogger(name).setLevel(level(env))
    if env is not None:
        redactor.register(v for k, v in env.items() if k in settings.SECRET_VARIABLES)
    return path


def system_log(state_dir: Path) -> Path:
    """Where the embedded default under ``state_dir`` writes its lines."""
    return Path(state_dir) / SYSTEM_LOG
