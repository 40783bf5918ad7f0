"""The Agent node's engine: an LLM tool-use loop with providers, tools, memory and a gate.

Import from the module that defines a name: :mod:`.loop` (``run_agent``, ``AgentTimedOut``),
:mod:`.options` (``AgentRunOptions``), :mod:`.types` (``Action``, ``AgentResult``...),
:mod:`.gate`, :mod:`.memory`. This package re-exports nothing, so that the policy, the spec and
the Kubernetes integration can read the agents' types without loading the loop and its tools
(which import them back). Provider SDKs, ``kubernetes`` and ``mcp`` are imported only when a
run needs them.
"""
