"""``aofctl apply --local``: the same flows made ready on the embedded engine.

Local "resources" are the SQLite store file, the applied Agent and AgentFlow documents (kept
under ``<state dir>/applied/`` so the tutorial can apply one file at a time: a flow applied
later finds the agents applied before), and one registered machine per flow in the engine's
database. Changes are reported in the same shape as the cloud plan; a second apply of the
same files changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from chalicelib.engine.definition import validate

from ..compiler import compile_flow, substitute_arns
from ..engine.store import EngineStore
from ..errors import SpecError
from ..nodes.dispatch import PLACEHOLDER_FUNCTIONS
from ..spec import Resources
from ..spec.loader import load_paths
from ..spec.validate import validate_resources
from ..store import open_store
from .model import Change, Kind


def _applied_file(applied: Path, kind: str, name: str) -> Path:
    return applied / f"{kind}--{name}.yaml"


def load_with_applied(paths: Sequence[str | Path], state_dir: Path) -> tuple[Resources, list[Change]]:
    """The given resources plus those applied before (the given ones win); saves the given ones.

    Raises :class:`SpecError` with every problem when the combination does not validate.
    """
    applied = state_dir / "applied"
    given = load_paths(paths)
    if given.problems:
        raise SpecError(f"{len(given.problems)} problem(s) in the specification", given.problems)
    keys = set(given.sources)
    earlier = [
        f for f in sorted(applied.glob("*--*.yaml")) if tuple(f.name[: -len(".yaml")].split("--", 1)) not in keys
    ]
    resources = load_paths([*earlier, *paths])
    resources.problems.extend(validate_resources(resources))
    if resources.problems:
        raise SpecError(f"{len(resources.problems)} problem(s) in the specification", resources.problems)
    applied.mkdir(parents=True, exist_ok=True)
    changes: list[Change] = []
    for (kind, name), doc in sorted(given.sources.items()):
        target = _applied_file(applied, kind, name)
        text = yaml.safe_dump(doc.data, sort_keys=False, allow_unicode=True)
        before = target.read_text() if target.exists() else None
        label: Kind = "agent" if kind == "Agent" else "flow"
        if before == text:
            changes.append(Change(label, name, "unchanged"))
            continue
        target.write_text(text)
        changes.append(Change(label, name, "create" if before is None else "update"))
    return resources, changes


def apply_local(resources: Resources, state_dir: Path) -> list[Change]:
    changes: list[Change] = []
    store_path = state_dir / "aof.db"
    existed = store_path.exists()
    open_store(f"sqlite:///{store_path.resolve()}").close()  # creates the tables when missing
    changes.append(Change("table", str(store_path), "unchanged" if existed else "create"))

    engine = EngineStore(state_dir / "engine.db")
    try:
        for name in sorted(resources.flows):
            flow = resources.flows[name]
            definition = substitute_arns(compile_flow(flow, resources.agents), PLACEHOLDER_FUNCTIONS)
            validate(definition)
            limit = flow.spec.rate_limit.max_concurrent if flow.spec.rate_limit else None
            current = engine.get_machine(name)
            if current == (definition, limit):
                changes.append(Change("state-machine", name, "unchanged"))
                continue
            engine.put_machine(name, definition, limit)
            changes.append(Change("state-machine", name, "create" if current is None else "update", ""))
    finally:
        engine.close()
    return changes
