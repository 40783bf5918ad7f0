"""The MCP tool: stdio (``command``) and streamable HTTP (``url``) servers via the ``mcp`` SDK.

The loop is synchronous and an MCP session is async and long-lived, so each server gets a
thread running its own event loop; one task holds the ``mcp.Client`` context open (anyio needs
enter and exit in the same task) and serves calls from a queue. A server that fails to start, or
dies, disables its tools with a warning: the agent keeps its other tools.

A server started by a package runner must name an exact version (:mod:`chalicelib.spec.mcp_pins`);
an unpinned one is refused when the agent is validated and never started. A tool is a read only
when the agent's YAML lists it under ``read_only_tools``; every other call acts and goes through
the policy gate, whatever the server's own annotations claim.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from chalicelib.agents.tools.base import ToolOutcome, cap_output
from chalicelib.agents.types import Action, ActionKind, ToolDefinition
from chalicelib.errors import ToolRefused
from chalicelib.spec.mcp_pins import unpinned_reason

# The mcp SDK (0.55 to 0.65 s) is imported only when an MCP server is started.

_TRANSPORT_GONE = frozenset({"ClosedResourceError", "BrokenResourceError", "EndOfStream", "BrokenPipeError"})
_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class MCPConfig:
    name: str
    command: list[str] | None = None
    url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    timeout_seconds: float = 30.0
    startup_timeout_seconds: float = 15.0
    max_output_bytes: int = 65536
    #: Tools the agent's YAML lists as read-only; every other tool acts.
    read_only_tools: frozenset[str] = frozenset()


@dataclass
class _RemoteTool:
    name: str
    description: str
    input_schema: dict[str, Any]
    kind: ActionKind


def expand_env(values: Mapping[str, str], lookup: Callable[[str], str | None]) -> dict[str, str]:
    """``${VAR}`` in the config's env values, from the runtime (never from the model)."""
    return {k: _VAR_RE.sub(lambda m: lookup(m.group(1)) or "", str(v)) for k, v in values.items()}


def _kind_of(name: str, annotations: Any, read_only: frozenset[str]) -> ActionKind:
    """Read only when the agent's YAML says so. The server's annotations are its own claims: a
    server may say a tool only reads when it writes, so they can make a tool more dangerous
    (MCP's defaults are readOnlyHint=false, destructiveHint=true), never less than a write."""
    if name in read_only:
        return "read"
    if annotations is not None and getattr(annotations, "destructive_hint", None) is False:
        return "write"
    return "destructive"


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)[:64]


class MCPTool:
    def __init__(self, config: MCPConfig, warn: Callable[[str], None]) -> None:
        self.config = config
        self._warn = warn
        self._tools: dict[str, _RemoteTool] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[str, dict[str, Any], Future[Any]] | None] | None = None
        self._thread: threading.Thread | None = None
        self._ready: Future[list[_RemoteTool]] = Future()
        self._alive = False

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        reason = unpinned_reason(self.config.command or [])
        if reason:  # validation refuses this too; an agent built in code is held to the same rule
            self._warn(f"MCP server {self.config.name!r} not started, its tools are disabled: {reason}")
            return
        self._thread = threading.Thread(target=self._run_loop, name=f"mcp-{self.config.name}", daemon=True)
        self._thread.start()
        try:
            tools = self._ready.result(timeout=self.config.startup_timeout_seconds)
        except Exception as exc:  # any failure to start only disables this server
            self._warn(f"MCP server {self.config.name!r} unavailable, its tools are disabled: {_describe(exc)}")
            self.close()
            return
        self._alive = True
        unknown = sorted(self.config.read_only_tools - {t.name for t in tools})
        if unknown:
            self._warn(f"MCP server {self.config.name!r} has no tool(s) {', '.join(unknown)} listed as read-only")
        prefix = _safe_name(self.config.name)
        self._tools = {f"{prefix}__{_safe_name(t.name)}"[:64]: t for t in tools}

    def _run_loop(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported through the futures; the thread must end quietly
            if not self._ready.done():
                self._ready.set_exception(exc)
        finally:
            self._alive = False
            loop.close()

    def _server_target(self) -> Any:
        from mcp import StdioServerParameters  # heavy: only when an MCP tool is configured

        if self.config.url:
            return self.config.url
        if not self.config.command:
            raise ValueError("MCP config needs 'command' or 'url'")
        program, *args = self.config.command
        return StdioServerParameters(command=program, args=args, env=self.config.env or None)

    async def _serve(self) -> None:
        from mcp import Client

        queue: asyncio.Queue[tuple[str, dict[str, Any], Future[Any]] | None] = asyncio.Queue()
        self._queue = queue
        with open(os.devnull, "w") as devnull:
            target = self._server_target()
            if not isinstance(target, str):
                from mcp.client.stdio import stdio_client

                # A transport (not the parameters) so the server's stderr stays out of our output:
                # npx prints its progress and errors there.
                target = stdio_client(target, errlog=devnull)
            client = Client(target, read_timeout_seconds=self.config.timeout_seconds)
            async with client:
                listing = await client.list_tools()
                tools = [
                    _RemoteTool(
                        name=t.name,
                        description=t.description or t.title or t.name,
                        input_schema=dict(t.input_schema or {"type": "object"}),
                        kind=_kind_of(t.name, t.annotations, self.config.read_only_tools),
                    )
                    for t in listing.tools
                ]
                self._ready.set_result(tools)
                while (item := await queue.get()) is not None:
                    name, arguments, future = item
                    try:
                        result = await client.call_tool(name, arguments)
                    except Exception as exc:
                        future.set_exception(exc)
                        continue
                    future.set_result(result)

    def close(self) -> None:
        loop, queue = self._loop, self._queue
        if loop is not None and queue is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(queue.put_nowait, None)
            except RuntimeError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._alive = False

    # --- Tool protocol ----------------------------------------------------------------------

    def definitions(self) -> list[ToolDefinition]:
        if not self._alive:
            return []
        return [
            ToolDefinition(
                name=exposed, description=f"[MCP {self.config.name}] {t.description}", input_schema=t.input_schema
            )
            for exposed, t in self._tools.items()
        ]

    def classify(self, name: str, arguments: dict[str, Any]) -> Action:
        tool = self._tools.get(name)
        if tool is None or not self._alive:
            raise ToolRefused(f"MCP tool {name!r} is not available")
        return Action(kind=tool.kind, verb=tool.name, tool=f"mcp:{self.config.name}", params=dict(arguments))

    def invoke(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        tool = self._tools[name]
        loop, queue = self._loop, self._queue
        if not self._alive or loop is None or queue is None:
            return ToolOutcome(output="", ok=False, error=f"MCP server {self.config.name!r} is not running")
        future: Future[Any] = Future()
        loop.call_soon_threadsafe(queue.put_nowait, (tool.name, arguments, future))
        try:
            result = future.result(timeout=self.config.timeout_seconds + 5)
        except Exception as exc:
            # Tool-level failures come back as is_error results; an exception is the transport.
            # A closed connection means the server process is gone: stop offering its tools.
            gone = "closed" in str(exc).lower() or type(exc).__name__ in _TRANSPORT_GONE
            if gone or (self._thread is not None and not self._thread.is_alive()):
                self._alive = False
                self._warn(f"MCP server {self.config.name!r} stopped; its tools are disabled: {_describe(exc)}")
            return ToolOutcome(output="", ok=False, error=f"MCP call failed: {_describe(exc)}")
        texts = [getattr(block, "text", None) or str(block) for block in result.content]
        text = cap_output("\n".join(texts), self.config.max_output_bytes)
        if result.is_error:
            return ToolOutcome(output=text, ok=False, error=text[:500] or "MCP tool reported an error")
        return ToolOutcome(output=text, metadata={"structured": result.structured_content})


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
    if isinstance(exc, TimeoutError):
        return "did not start in time"
    return f"{type(exc).__name__}: {exc}"


def mcp_config_from(
    raw: Mapping[str, Any] | None, lookup: Callable[[str], str | None], index: int, startup_timeout: float
) -> MCPConfig:
    raw = dict(raw or {})
    command = raw.get("command")
    if isinstance(command, str):
        command = shlex.split(command)
    return MCPConfig(
        name=str(raw.get("name") or f"mcp{index}"),
        command=[str(c) for c in command] if command else None,
        url=str(raw["url"]) if raw.get("url") else None,
        env=expand_env(raw.get("env") or {}, lookup),
        timeout_seconds=float(raw.get("timeout_seconds") or 30),
        startup_timeout_seconds=startup_timeout,
        read_only_tools=frozenset(str(t) for t in raw.get("read_only_tools") or []),
    )
