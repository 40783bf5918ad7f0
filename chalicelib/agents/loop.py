"""The agent runtime: instructions + input -> model -> tool calls -> results -> ... -> answer.

Provider failures (timeouts, 5xx, auth) hand the same conversation to the fallback model, so tool
calls already made are not repeated; a wrong answer gets one corrective turn, then
``AgentOutputError``. Every tool call is classified and passed through the gate before it runs;
the gate may answer a call itself (a change an earlier attempt already made) instead of running it.
Before every model call and every tool call the loop asks whether the run was stopped; once it
was, nothing more is called and the result says why (``AgentResult.stopped``). A tool call that
could outlast the time left (the step's budget, the Lambda function's timeout) is not started:
the conversation stops there the same way (``agents.time_limits``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from chalicelib.agents.gate import OutcomeRecorder
from chalicelib.agents.memory import DEFAULT_MAX_MESSAGES, history_messages, memory_from_spec
from chalicelib.agents.options import AgentRunOptions
from chalicelib.agents.parsing import extract_json
from chalicelib.agents.providers import make_provider
from chalicelib.agents.providers.base import Provider
from chalicelib.agents.schema import derive_schema, schema_hint, validation_errors
from chalicelib.agents.time_limits import TimeLimit, call_bound, tightest
from chalicelib.agents.tools.base import ToolOutcome
from chalicelib.agents.tools.toolset import ToolSet, build_toolset
from chalicelib.agents.types import (
    Action,
    AgentResult,
    Message,
    ModelCallRecord,
    ModelRequest,
    ModelResponse,
    ToolCallRecord,
    ToolUse,
)
from chalicelib.errors import (
    AgentOutputError,
    AofError,
    PolicyDenied,
    ProviderError,
    ProviderUnavailable,
    TaskTimedOut,
    ToolRefused,
)

DEFAULT_MAX_TOKENS = 4096
DEFAULT_CALL_TIMEOUT = 60.0
SUMMARY_CHARS = 500
#: What the model gets back from one tool call; the rest is cut (the state has a size limit too).
MAX_RESULT_CHARS = 64_000


class AgentTimedOut(TaskTimedOut):
    """The agent's total time budget ran out."""


class _StopRequested(Exception):
    """The run was stopped: end the conversation where it is (not an error of the agent)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Run:
    def __init__(self, agent: Any, prompt: str, options: AgentRunOptions) -> None:
        self.agent = agent
        self.spec = agent.spec
        self.name = str(agent.metadata.name)
        self.prompt = prompt
        self.options = options
        self.warnings: list[str] = []
        self.tool_calls: list[ToolCallRecord] = []
        self.model_calls: list[ModelCallRecord] = []
        self.schema = self.spec.output_schema or derive_schema(self.spec.instructions)
        budget = options.timeout_seconds or self.spec.timeout_seconds
        self.deadline = options.clock() + budget if budget else None
        self.iterations = 0

    # --- time and stopping --------------------------------------------------------------------

    def check_stop(self) -> None:
        """Raise ``_StopRequested`` once the run is stopped; asked before every model and tool call."""
        reason = self.options.stop_requested()
        if reason:
            raise _StopRequested(reason)

    def limits(self) -> list[TimeLimit]:
        own: list[TimeLimit] = []
        if self.deadline is not None:
            deadline = self.deadline
            own.append(TimeLimit("the step's time budget", lambda: deadline - self.options.clock()))
        return own + list(self.options.time_limits)

    def remaining(self) -> float | None:
        tightest_limit = tightest(self.limits())
        if tightest_limit is None:
            return None
        left, what = tightest_limit
        if left <= 0:
            raise AgentTimedOut(f"agent {self.name} ran out of time ({what})", agent=self.name)
        return left

    def check_time_for(self, tool: Any, action: Action) -> None:
        """Stop before a call that could outlast the time left: killed mid-call, a change is lost."""
        tightest_limit = tightest(self.limits())
        if tightest_limit is None:
            return
        left, what = tightest_limit
        bound = call_bound(tool, action)
        if left < bound:
            raise _StopRequested(
                f"out of time before tool call {action.tool} ({action.verb}): {max(left, 0):.0f} s left"
                f" before {what}, and the call may take {bound:g} s"
            )

    def call_timeout(self) -> float:
        settings = self.spec.model_settings
        per_call = settings.timeout_seconds or self.options.provider_timeout_seconds or DEFAULT_CALL_TIMEOUT
        left = self.remaining()
        return min(per_call, left) if left is not None else per_call

    # --- the loop ---------------------------------------------------------------------------

    def model_chain(self) -> list[str]:
        chain = [self.spec.model]
        if self.spec.fallback_model:
            chain.append(self.spec.fallback_model)
        elif self.options.default_fallback:
            chain.append(self.options.default_fallback)
        return list(dict.fromkeys(chain))

    def run(self) -> AgentResult:
        store, max_messages = (
            (self.options.memory, _max_messages(self.spec.memory))
            if self.options.memory is not None
            else memory_from_spec(self.spec.memory, self.warnings.append)
        )
        key = self.options.memory_key or "default"
        messages: list[Message] = []
        if store is not None:
            for m in history_messages(store.recent(self.name, key, max_messages)):
                messages.append(Message(m["role"], [{"type": "text", "text": m["content"]}]))
        messages.append(Message("user", [{"type": "text", "text": self.prompt}]))

        toolset = build_toolset(list(self.spec.tools), self.options, self.warnings.append)
        try:
            result = self._run_models(messages, toolset)
        finally:
            toolset.close()
        if store is not None and result.stopped is None:
            store.append(self.name, key, {"role": "user", "content": self.prompt}, max_messages)
            store.append(self.name, key, {"role": "assistant", "content": result.text}, max_messages)
        return result

    def _run_models(self, messages: list[Message], toolset: ToolSet) -> AgentResult:
        chain = self.model_chain()
        last: AofError | None = None
        for index, model in enumerate(chain):
            try:
                provider = make_provider(model, self.options.env, self.options.provider_max_retries)
                output, text = self._converse(provider, messages, toolset)
            except _StopRequested as stop:
                # Stopped is not an outage: no fallback model takes over, nothing more is called.
                return self._result({}, "", model, index, stopped=stop.reason)
            except (ProviderError, ProviderUnavailable) as exc:
                self.remaining()  # a call cut short by the run's own budget is a timeout, not an outage
                last = exc
                if index + 1 < len(chain):
                    self.warnings.append(f"model {model} failed ({exc.message}); falling back to {chain[index + 1]}")
                continue
            return self._result(output, text, model, index)
        assert last is not None
        raise last

    def _result(
        self, output: dict[str, Any], text: str, model: str, index: int, stopped: str | None = None
    ) -> AgentResult:
        return AgentResult(
            output=output,
            text=text,
            tool_calls=self.tool_calls,
            model_calls=self.model_calls,
            fallback_used=model if index > 0 else None,
            warnings=self.warnings,
            model=model,
            iterations=self.iterations,
            stopped=stopped,
        )

    def _converse(self, provider: Provider, messages: list[Message], toolset: ToolSet) -> tuple[dict[str, Any], str]:
        corrected = False
        settings = self.spec.model_settings
        for _ in range(self.spec.max_iterations):
            self.check_stop()
            self.iterations += 1
            request = ModelRequest(
                system=self.spec.instructions,
                messages=messages,
                tools=toolset.definitions(),
                temperature=settings.temperature,
                max_tokens=settings.max_tokens or DEFAULT_MAX_TOKENS,
                timeout_seconds=self.call_timeout(),
                output_schema=self.schema,
            )
            response = self._call_model(provider, request)
            if response.tool_uses:
                blocks: list[dict[str, Any]] = [{"type": "text", "text": response.text}] if response.text else []
                blocks += [
                    {"type": "tool_use", "id": u.id, "name": u.name, "input": u.input} for u in response.tool_uses
                ]
                messages.append(Message("assistant", blocks))
                messages.append(Message("user", [self._call_tool(toolset, u) for u in response.tool_uses]))
                continue
            messages.append(Message("assistant", [{"type": "text", "text": response.text or "(empty answer)"}]))
            if self.schema is None:
                return {"text": response.text}, response.text
            problems = self._check(response.text)
            if isinstance(problems, dict):
                return problems, response.text
            if corrected:
                raise AgentOutputError(
                    f"agent {self.name}: answer does not match its output schema after a corrective turn: "
                    + "; ".join(problems),
                    agent=self.name,
                    problems=problems,
                    text=response.text[:2000],
                )
            corrected = True
            messages.append(Message("user", [{"type": "text", "text": self._correction(problems)}]))
        raise AgentOutputError(
            f"agent {self.name}: no final answer within max_iterations={self.spec.max_iterations}",
            agent=self.name,
        )

    def _check(self, text: str) -> dict[str, Any] | list[str]:
        assert self.schema is not None
        try:
            value = extract_json(text)
        except ValueError as exc:
            return [str(exc)]
        problems = validation_errors(value, self.schema)
        if problems:
            return problems
        if not isinstance(value, dict):
            return ["the answer must be a JSON object"]
        return value

    def _correction(self, problems: list[str]) -> str:
        assert self.schema is not None
        return (
            "Your answer does not match the required output format:\n- "
            + "\n- ".join(problems)
            + "\n\nAnswer again with only a ```json fenced block matching this JSON Schema:\n"
            + schema_hint(self.schema)
        )

    def _call_model(self, provider: Provider, request: ModelRequest) -> ModelResponse:
        started = time.perf_counter()
        try:
            response = provider.complete(request)
        except AofError as exc:
            self.model_calls.append(
                ModelCallRecord(provider.name, provider.model, 0, 0, 0, _ms(started), ok=False, error=exc.message)
            )
            raise
        for warning in response.warnings:
            if warning not in self.warnings:
                self.warnings.append(warning)
        self.model_calls.append(
            ModelCallRecord(
                provider=provider.name,
                model=provider.model,
                input_tokens=response.input_tokens,
                output_tokens=response.output_tokens,
                cache_read_tokens=response.cache_read_tokens,
                cache_write_tokens=response.cache_write_tokens,
                latency_ms=_ms(started),
            )
        )
        return response

    def _call_tool(self, toolset: ToolSet, use: ToolUse) -> dict[str, Any]:
        self.check_stop()
        started = time.perf_counter()
        tool = toolset.get(use.name)
        kind = None
        if tool is None:
            return self._tool_error(use, started, f"unknown tool {use.name!r}", kind, refused=True)
        try:
            action = tool.classify(use.name, use.input)
            kind = action.kind
            # Before the gate: a call that will not run must not count as allowed.
            self.check_time_for(tool, action)
            replay = self.options.gate.check(action)
        except _StopRequested:
            raise
        except (ToolRefused, PolicyDenied) as exc:
            return self._tool_error(use, started, f"{type(exc).__name__}: {exc.message}", kind, refused=True)
        except Exception as exc:
            # Arguments the tool or the policy cannot read (a number int() rejects, a name the
            # client cannot resolve) are refused like any call that cannot be judged: never
            # run, and never the end of the run.
            reason = f"ToolRefused: this call cannot be judged ({type(exc).__name__}: {exc})"[:500]
            return self._tool_error(use, started, reason, kind, refused=True)
        if replay is not None:
            # The gate answered for the tool (an earlier attempt of the step made this change).
            outcome = replay
        else:
            try:
                outcome = tool.invoke(use.name, use.input)
            except AofError as exc:
                self._record_outcome(action, ToolOutcome(output="", ok=False, error=exc.message))
                return self._tool_error(use, started, f"{type(exc).__name__}: {exc.message}", kind)
            except Exception as exc:  # a tool bug must reach the model as an error, not end the run
                self._record_outcome(action, ToolOutcome(output="", ok=False, error=f"{type(exc).__name__}: {exc}"))
                return self._tool_error(use, started, f"{type(exc).__name__}: {exc}", kind)
            self._record_outcome(action, outcome)
        summary = outcome.output if outcome.ok else f"{outcome.error}\n{outcome.output}".strip()
        self.tool_calls.append(
            ToolCallRecord(
                name=use.name,
                input=use.input,
                output_summary=summary[:SUMMARY_CHARS],
                ok=outcome.ok,
                error=outcome.error,
                action_kind=kind,
                duration_ms=_ms(started),
                snapshot=outcome.snapshot,
            )
        )
        content = outcome.output if outcome.ok else f"ERROR: {outcome.error}\n{outcome.output}".strip()
        return {
            "type": "tool_result",
            "tool_use_id": use.id,
            "content": content[:MAX_RESULT_CHARS] or "(no output)",
            "is_error": not outcome.ok,
        }

    def _record_outcome(self, action: Action, outcome: ToolOutcome) -> None:
        gate = self.options.gate
        if action.kind != "read" and isinstance(gate, OutcomeRecorder):
            gate.record_outcome(action, outcome)

    def _tool_error(
        self, use: ToolUse, started: float, error: str, kind: Any, *, refused: bool = False
    ) -> dict[str, Any]:
        self.tool_calls.append(
            ToolCallRecord(
                name=use.name,
                input=use.input,
                output_summary="",
                ok=False,
                error=error,
                action_kind=kind,
                duration_ms=_ms(started),
                refused=refused,
            )
        )
        return {"type": "tool_result", "tool_use_id": use.id, "content": f"ERROR: {error}", "is_error": True}


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _max_messages(memory_spec: Any) -> int:
    config = dict(getattr(memory_spec, "config", None) or {})
    return int(config.get("max_messages") or DEFAULT_MAX_MESSAGES)


def run_agent(agent: Any, prompt: str, options: AgentRunOptions | None = None) -> AgentResult:
    """Run ``agent`` (an ``AgentResource``) on ``prompt`` and return its validated answer.

    Raises ``AgentOutputError`` when the answer stays invalid, ``AgentTimedOut`` when the time
    budget runs out, and the last provider error when every model in the chain failed.
    """
    return _Run(agent, prompt, options or AgentRunOptions()).run()


def dumps_result(result: AgentResult) -> str:
    return json.dumps(result.to_dict(), indent=2, default=str)
