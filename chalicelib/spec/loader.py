"""Load ``Agent`` and ``AgentFlow`` resources from YAML files and directories."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import SpecError
from .agent import AgentResource
from .diagnostics import describe_validation_error, suggest
from .flow import AgentFlowResource
from .resources import Resources
from .validate import validate_resources
from .yaml_errors import describe_yaml_error
from .yaml_source import SourceDocument, read_documents

KINDS: dict[str, type[BaseModel]] = {"Agent": AgentResource, "AgentFlow": AgentFlowResource}


def _yaml_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    files: list[Path] = []
    problems: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
            if not found:
                problems.append(f"{path}: directory has no *.yaml files")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(f"{path}: no such file or directory")
    return files, problems


def _add_document(resources: Resources, doc: SourceDocument) -> None:
    resources.warnings.extend(doc.warnings)
    resources.problems.extend(doc.errors)
    data = doc.data
    if not isinstance(data, dict):
        resources.problems.append(f"{doc.file}:{doc.start_line}: a resource must be a mapping")
        return
    kind = data.get("kind")
    model = KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        hint = suggest(str(kind), list(KINDS)) if isinstance(kind, str) else None
        message = f"{doc.file}:{doc.line_of(('kind',))}: kind: unknown kind {kind!r}"
        message += f" (did you mean '{hint}'?)" if hint else f"; expected one of {', '.join(KINDS)}"
        resources.problems.append(message)
        return
    try:
        resource = model.model_validate(data)
    except ValidationError as error:
        resources.problems.extend(describe_validation_error(error, model, doc))
        return
    if isinstance(resource, AgentResource):
        registry: dict[str, AgentResource] | dict[str, AgentFlowResource] = resources.agents
    else:
        assert isinstance(resource, AgentFlowResource)
        registry = resources.flows
    name = resource.metadata.name  # type: ignore[attr-defined]
    if name in registry:
        earlier = resources.sources[(str(kind), name)]
        resources.problems.append(
            f"{doc.file}:{doc.line_of(('metadata', 'name'))}: metadata.name: {kind} '{name}' is already "
            f"defined in {earlier.file}:{earlier.line_of(('metadata', 'name'))}"
        )
        return
    registry[name] = resource  # type: ignore[assignment]
    resources.sources[(str(kind), name)] = doc


def load_text(text: str, file: str = "<string>") -> Resources:
    """Load the resources in one YAML text (one or many documents)."""
    resources = Resources()
    try:
        found = 0
        for doc in read_documents(text, file):
            found += 1
            _add_document(resources, doc)
        if found == 0:
            resources.warnings.append(f"{file}:1: no resources in this file (empty or only comments)")
    except yaml.MarkedYAMLError as error:
        resources.problems.append(describe_yaml_error(error, text, file))
    except yaml.YAMLError as error:
        resources.problems.append(f"{file}:1: invalid YAML: {error}")
    return resources


def load_paths(paths: Iterable[str | Path]) -> Resources:
    """Load every resource under ``paths`` (files, or directories of ``*.yaml``) without raising."""
    files, problems = _yaml_files(paths)
    resources = Resources(problems=problems)
    seen: set[Path] = set()
    for path in files:
        if path.resolve() in seen:
            continue  # named twice (a folder and a file in it): load once
        seen.add(path.resolve())
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            resources.problems.append(f"{path}:1: cannot read file: {error}")
            continue
        resources.merge(load_text(text, str(path)))
    return resources


def load_resources(paths: Iterable[str | Path]) -> Resources:
    """Load and fully validate resources; raise :class:`SpecError` listing every problem."""
    resources = load_paths(paths)
    resources.problems.extend(validate_resources(resources))
    if resources.problems:
        raise SpecError(f"{len(resources.problems)} problem(s) in the specification", resources.problems)
    return resources
