"""What a set of YAML paths loaded into: agents and flows, with where each came from."""

from __future__ import annotations

from dataclasses import dataclass, field

from .agent import AgentResource
from .flow import AgentFlowResource
from .yaml_source import SourceDocument


@dataclass
class Resources:
    """Everything loaded from a set of paths, with where each resource came from."""

    agents: dict[str, AgentResource] = field(default_factory=dict)
    flows: dict[str, AgentFlowResource] = field(default_factory=dict)
    sources: dict[tuple[str, str], SourceDocument] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def source(self, kind: str, name: str) -> SourceDocument | None:
        return self.sources.get((kind, name))

    def merge(self, other: Resources) -> None:
        self.warnings.extend(other.warnings)
        self.problems.extend(other.problems)
        for kind, registry, incoming in (("Agent", self.agents, other.agents), ("AgentFlow", self.flows, other.flows)):
            for name, resource in incoming.items():
                doc = other.sources[(kind, name)]
                if name in registry:
                    earlier = self.sources[(kind, name)]
                    self.problems.append(
                        f"{doc.file}:{doc.line_of(('metadata', 'name'))}: metadata.name: {kind} '{name}' is already "
                        f"defined in {earlier.file}:{earlier.line_of(('metadata', 'name'))}"
                    )
                    continue
                registry[name] = resource  # type: ignore[index,assignment]
                self.sources[(kind, name)] = doc
