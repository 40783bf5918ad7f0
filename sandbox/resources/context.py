"""What every resource family shares: the scenario, the object store, the clock and the seeded
random source, and the simulation state of each pod."""

from __future__ import annotations

import copy
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from sandbox.apimachinery.meta import object_meta
from sandbox.apimachinery.store import Object, ObjectStore
from sandbox.apimachinery.units import utc
from sandbox.scenarios import Scenario


@dataclass
class Timing:
    """Real seconds (before dividing by ``speed``)."""

    tick: float = 0.02
    pod_start: float = 0.2  # ContainerCreating -> profile state
    crash_interval: float = 6.0  # restartCount + 1 for crashing containers
    progress_deadline: float = 3.0  # deployment Progressing=False ProgressDeadlineExceeded


@dataclass
class PodSim:
    """How one pod behaves: the scenario profile chosen for it and its simulated container history."""

    profile_name: str
    profile: dict[str, Any]
    created: float
    initial: bool
    restarts: int = 0
    last_restart: float = 0.0  # shown as the last termination time
    next_crash: float = 0.0  # real time of the next simulated restart
    started: float | None = None
    events_done: bool = False
    # (state, message) while the kubelet cannot start the containers (a missing Secret).
    blocked: tuple[str, str] | None = None
    # When the container that last terminated had started (for lastState.terminated.startedAt).
    previous_start: float = 0.0


@dataclass
class ClusterContext:
    """Shared by the resource families; one per cluster.

    Every uid and generated name comes from ``rng`` in the order the families ask for them, so a
    scenario with the same seed gives the same names run after run.
    """

    scenario: Scenario
    speed: float
    rng: random.Random  # seeded per scenario
    store: ObjectStore = field(default_factory=ObjectStore)
    timing: Timing = field(default_factory=Timing)
    podsim: dict[str, PodSim] = field(default_factory=dict)
    # When each Secret a scenario says was deleted (``deleted: 3h``) went, by (namespace, name).
    secrets_deleted: dict[tuple[str, str], float] = field(default_factory=dict)
    # True while the scenario's initial objects are created: they get no creation events.
    bootstrapping: bool = True

    def t(self, seconds: float) -> float:
        """Scenario seconds as real seconds at this cluster's speed."""
        return seconds / self.speed

    def now(self) -> float:
        return time.time()

    def new_uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def meta(
        self,
        name: str,
        namespace: str | None,
        *,
        created: float | None = None,
        labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None,
        owner: Object | None = None,
    ) -> dict[str, Any]:
        """Fresh metadata with a new uid (drawn now, from the seeded source)."""
        uid = self.new_uid()
        return object_meta(
            name,
            namespace,
            uid=uid,
            created=created if created is not None else self.now(),
            labels=labels,
            annotations=annotations,
            owner=owner,
        )

    def delete_now(self, plural: str, obj: Object) -> None:
        """Delete at once (grace period 0), as the controllers and the garbage collector do."""
        obj = copy.deepcopy(obj)
        obj["metadata"]["deletionTimestamp"] = utc(self.now())
        obj["metadata"]["deletionGracePeriodSeconds"] = 0
        self.store.commit(plural, obj, "DELETED")
        if plural == "pods":
            self.podsim.pop(obj["metadata"]["uid"], None)
