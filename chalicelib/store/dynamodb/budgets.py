from __future__ import annotations

from collections.abc import Callable

from chalicelib.errors import StoreUnavailable
from chalicelib.store import codec, rules
from chalicelib.store.dynamodb.table import MAX_ATTEMPTS, ConditionFailed, Table, data_of, s, ttl
from chalicelib.store.timeutil import Clock

Decide = Callable[[dict[str, float], float], tuple[bool, dict[str, float], float]]


class DynamoBudgetStore:
    """One item per scope holding a small map (holder -> expiry, or key -> time of use).

    Every change is a read, a decision in :mod:`chalicelib.store.rules`, and a write conditional
    on the version read, so the count and the insert are one atomic step: of two racing callers
    one wins and the other re-reads and decides again.
    """

    def __init__(self, table: Table, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def _update(self, pk: str, sk: str, decide: Decide) -> bool:
        for _ in range(MAX_ATTEMPTS):
            current = self._table.get(pk, sk)
            entries: dict[str, float] = {} if current is None else data_of(current)
            ok, new, expires_at = decide(entries, self._clock())
            if new == entries:
                return ok
            item = {"pk": s(pk), "sk": s(sk), "data": s(codec.dumps(new)), "expires_at": ttl(expires_at)}
            try:
                self._table.put_versioned(item, current)
            except ConditionFailed:
                continue
            return ok
        raise StoreUnavailable(f"budget {pk} is too contended; retry")

    def _entries(self, pk: str, sk: str) -> dict[str, float]:
        item = self._table.get(pk, sk)
        return {} if item is None else dict(data_of(item))

    def acquire_slot(self, scope: str, holder: str, limit: int, ttl_seconds: int) -> bool:
        rules.check_positive(limit=limit, ttl_seconds=ttl_seconds)

        def decide(holders: dict[str, float], now: float) -> tuple[bool, dict[str, float], float]:
            granted, live = rules.try_acquire(holders, holder, limit, ttl_seconds, now)
            return granted, live, max(live.values(), default=now)

        return self._update(f"SLOTS#{scope}", "SLOTS", decide)

    def release_slot(self, scope: str, holder: str) -> None:
        def decide(holders: dict[str, float], now: float) -> tuple[bool, dict[str, float], float]:
            live = {h: exp for h, exp in holders.items() if h != holder}
            return True, live, max(live.values(), default=now)

        self._update(f"SLOTS#{scope}", "SLOTS", decide)

    def active_slots(self, scope: str) -> list[str]:
        now = self._clock()
        return sorted(h for h, exp in self._entries(f"SLOTS#{scope}", "SLOTS").items() if exp > now)

    def consume(self, scope: str, key: str, limit: int, window_seconds: int) -> bool:
        rules.check_positive(limit=limit, window_seconds=window_seconds)
        retention = rules.budget_retention(window_seconds)

        def decide(uses: dict[str, float], now: float) -> tuple[bool, dict[str, float], float]:
            allowed, kept = rules.try_consume(uses, key, limit, window_seconds, now)
            return allowed, kept, max(kept.values(), default=now) + retention

        return self._update(f"BUDGET#{scope}", "USES", decide)

    def usage(self, scope: str, window_seconds: int) -> int:
        return rules.count_in_window(self._entries(f"BUDGET#{scope}", "USES"), window_seconds, self._clock())
