"""chalicelib.record: the value classes the webhook path is built from behave like frozen dataclasses."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.record import FrozenRecordError, Record, asdict, field, fields, replace


class Service(Record):
    name: str
    id: str | None = None


class Incident(Record):
    id: str
    service: Service = field(default_factory=lambda: Service("unknown"))
    details: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


class Checked(Record, kw_only=True):
    count: int = 0
    label: str

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("count must not be negative")


def test_fields_defaults_and_fresh_factories() -> None:
    a, b = Incident("P1"), Incident(id="P2")
    assert fields(Incident) == ("id", "service", "details", "tags")
    assert a.service == Service("unknown") and a.tags == ()
    assert a.details == {} and a.details is not b.details, "each instance gets its own default dict"


def test_wrong_arguments_are_refused_like_a_constructor() -> None:
    with pytest.raises(TypeError, match="missing required argument 'id'"):
        Incident()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'title'"):
        Incident(id="P1", title="x")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="multiple values for 'id'"):
        Incident("P1", id="P2")  # type: ignore[misc]
    with pytest.raises(TypeError, match="keyword arguments only"):
        Checked(1, "x")  # type: ignore[misc]
    with pytest.raises(ValueError, match="negative"):
        Checked(count=-1, label="x")


def test_frozen_equal_hashable_and_readable() -> None:
    one = Service("api", "S1")
    with pytest.raises(FrozenRecordError):
        one.name = "db"  # type: ignore[misc]
    assert one == Service(name="api", id="S1") and one != Service("api")
    assert len({one, Service("api", "S1")}) == 1
    assert repr(one) == "Service(name='api', id='S1')"
    assert Service("api") != ("api", None), "a record is not a tuple"


def test_replace_checks_again_and_asdict_copies_deeply() -> None:
    incident = Incident("P1", details={"pods": ["a"]})
    changed = replace(incident, tags=("db",))
    assert changed.tags == ("db",) and incident.tags == ()
    with pytest.raises(ValueError, match="negative"):
        replace(Checked(label="x"), count=-5)
    plain = asdict(incident)
    assert plain == {"id": "P1", "service": {"name": "unknown", "id": None}, "details": {"pods": ["a"]}, "tags": ()}
    plain["details"]["pods"].append("b")
    assert incident.details == {"pods": ["a"]}, "the copy is deep"


def test_records_survive_copy_and_pickle() -> None:
    import copy
    import pickle

    incident = Incident("P1", details={"pods": ["a"]}, tags=("db",))
    assert pickle.loads(pickle.dumps(incident)) == incident
    deep = copy.deepcopy(incident)
    assert deep == incident and deep.details is not incident.details
