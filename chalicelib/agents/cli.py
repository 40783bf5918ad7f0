"""``aofctl agent exec NAME "prompt"``: run one agent from its YAML and print what it did."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from chalicelib import settings
from chalicelib.agents.loop import run_agent
from chalicelib.agents.options import AgentRunOptions
from chalicelib.cli.logs_cmd import agent_logs
from chalicelib.errors import AofError, SpecError
from chalicelib.spec import load_resources


def add_parser(subparsers: Any) -> None:
    """Register ``agent exec`` on an argparse sub-parser collection (sets ``handler=run``)."""
    agent = subparsers.add_parser("agent", help="run a single agent")
    agent_sub = agent.add_subparsers(dest="agent_command", metavar="SUBCOMMAND")
    exec_parser = agent_sub.add_parser("exec", help='run an agent on a prompt: agent exec NAME "prompt"')
    exec_parser.add_argument("name", help="the agent's metadata.name")
    exec_parser.add_argument("prompt", help="the input text")
    exec_parser.add_argument("--kubeconfig", default=None, help="cluster the agent's tools act on")
    exec_parser.add_argument("--agents-dir", default=None, help="directory or file with Agent YAML (agents/)")
    exec_parser.add_argument("-o", "--output", choices=["text", "json"], default="text")
    exec_parser.add_argument("--no-fallback", action="store_true", help="fail instead of using builtin:triage")
    exec_parser.add_argument("--memory-key", default="cli", help="memory key (an incident id)")
    exec_parser.set_defaults(handler=run)
    logs_parser = agent_sub.add_parser("logs", help="an agent's calls: input, tool calls, output, tokens")
    logs_parser.add_argument("name", help="the agent's metadata.name")
    logs_parser.add_argument("--tail", type=int, default=None, help="only the last N calls")
    logs_parser.add_argument("-f", "--follow", action="store_true", help="keep printing new calls")
    logs_parser.add_argument("--state-dir", default=None, help="the embedded default's state directory")
    logs_parser.set_defaults(handler=_logs)


def _logs(args: argparse.Namespace) -> int:
    return agent_logs(args)


def run(args: argparse.Namespace, env: dict[str, str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    environ = dict(os.environ if env is None else env)
    agents_dir = str(args.agents_dir or settings.resolve(settings.AOF_AGENTS_DIR, env=environ, default="agents"))
    try:
        resources = load_resources([agents_dir])
    except SpecError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    agent = resources.agents.get(args.name)
    if agent is None:
        known = ", ".join(sorted(resources.agents)) or "none"
        print(f"error: no agent named {args.name!r} in {agents_dir} (known: {known})", file=sys.stderr)
        return 2
    options = AgentRunOptions(
        env=environ,
        kubeconfig=args.kubeconfig or settings.resolve(settings.KUBECONFIG, env=environ),
        memory_key=args.memory_key,
        default_fallback=None if args.no_fallback else "builtin:triage",
    )
    try:
        result = run_agent(agent, args.prompt, options)
    except AofError as exc:
        if args.output == "json":
            print(json.dumps(exc.to_dict(), default=str), file=out)
        print(f"error: {type(exc).__name__}: {exc.message}", file=sys.stderr)
        return 1
    if args.output == "json":
        print(json.dumps(result.to_dict(), indent=2, default=str), file=out)
        return 0
    for call in result.tool_calls:
        status = "ok" if call.ok else f"error: {call.error}"
        shown = call.input.get("command") or json.dumps(call.input, sort_keys=True)
        print(f"$ [{call.name}] {shown}  ({call.action_kind}, {status})", file=out)
    for warning in result.warnings:
        print(f"warning: {warning}", file=out)
    if result.fallback_used:
        print(f"(answered by fallback {result.fallback_used})", file=out)
    print(
        result.text if "text" in result.output and len(result.output) == 1 else json.dumps(result.output, indent=2),
        file=out,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aofctl")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 1
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
