"""Tools an agent can call: one module per tool type (:mod:`.shell`, :mod:`.http`,
:mod:`.kubernetes`, :mod:`.mcp`) over :mod:`.base`; :mod:`.toolset` builds an agent's tools from
its ``tools:`` list. This package re-exports nothing, so that reading the kubectl parser
(:mod:`.kubectl`) does not load every tool.
"""
