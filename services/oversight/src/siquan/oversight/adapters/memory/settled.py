"""Settled payments and fund movements, in memory. `suspects` returns every payment the
messages stored: the rules then judge them all (PostgreSQL leaves out the plainly clean)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta

from siquan.oversight.adapters.memory.store import MemoryStore, StoredMovement, StoredPayment
from siquan.oversight.reconciliation.application.ports import Chunk, Expectation
from siquan.oversight.reconciliation.domain.conduct import Movement
from siquan.oversight.reconciliation.domain.payments import SettledItem, pays_benefit


def _pays(item: SettledItem) -> str:
    return "benefit" if pays_benefit(item.item) else item.item


class MemorySettled:
    def __init__(self, store: MemoryStore, now: Callable[[], datetime]) -> None:
        self._store, self._now = store, now

    async def add_chunks(self, chunks: Sequence[Chunk]) -> None:
        for chunk in chunks:
            for item in chunk.items:
                if item.payment_id not in self._store.payments:
                    self._store.payments[item.payment_id] = StoredPayment(
                        item, chunk.period, self._store.next_seq(), self._now(),
                        item.certification_id in self._store.watched_certifications)

    def _of(self, message_ids: Sequence[str]) -> list[StoredPayment]:
        return [s for s in self._store.payments.values() if s.item.message_id in message_ids]

    async def suspects(self, message_ids: Sequence[str],
                       expectations: Sequence[Expectation]) -> list[SettledItem]:
        return [s.item for s in self._of(message_ids)]

    async def earlier(self, message_ids: Sequence[str]
                      ) -> list[tuple[SettledItem, str, str]]:
        found = []
        for new in sorted(self._of(message_ids), key=lambda s: s.item.payment_id):
            n = new.item
            before = [o for o in self._store.payments.values()
                      if (o.item.person_key, o.item.program_code, o.item.period, _pays(o.item))
                      == (n.person_key, n.program_code, n.period, _pays(n))
                      and o.item.payment_id != n.payment_id and not o.returned
                      and (o.item.message_id not in message_ids
                           or o.item.payment_id < n.payment_id)]
            if before:
                first = min(before, key=lambda o: (o.seen_at, o.item.payment_id))
                found.append((n, first.item.payment_id, first.item.message_id))
        return found

    async def account_changes(self, message_ids: Sequence[str], window: timedelta
                              ) -> list[tuple[SettledItem, str]]:
        found = []
        for stored in self._of(message_ids):
            run = self._store.watched_runs.get(stored.item.run_id)
            if run is None or run.started_at is None:
                continue
            replaced = [(a["registered_at"], m) for m, a in self._store.payee_accounts.items()
                        if a["person_key"] == stored.item.person_key
                        and a["replaces_previous"]
                        and a["registered_at"] >= run.started_at - window]
            if replaced:
                found.append((stored.item, max(replaced)[1]))
        return found

    async def of_certifications(self, pairs: Iterable[tuple[str, str]]
                                ) -> list[SettledItem]:
        wanted = set(pairs)
        return [s.item for s in self._store.payments.values()
                if (s.item.person_key, s.item.certification_id) in wanted]

    async def of_persons(self, person_keys: Iterable[str]) -> list[SettledItem]:
        wanted = set(person_keys)
        return [s.item for s in self._store.payments.values() if s.item.person_key in wanted]

    async def mark_checked(self, payment_ids: Iterable[str]) -> None:
        for payment_id in payment_ids:
            if payment_id in self._store.payments:
                self._store.payments[payment_id].cert_checked = True

    async def mark_returned(self, payment_ids: Iterable[str]) -> None:
        for payment_id in payment_ids:
            if payment_id in self._store.payments:
                self._store.payments[payment_id].returned = True

    async def unchecked(self, grace_seconds: float, limit: int = 1000) -> list[SettledItem]:
        due = self._now() - timedelta(seconds=grace_seconds)
        waiting = sorted((s for s in self._store.payments.values()
                          if not s.cert_checked and s.seen_at < due), key=lambda s: s.seen_at)
        return [s.item for s in waiting[:limit]]

    async def unpaid(self, *, program_code: str, period: str, division_code: str,
                     period_end: date) -> list[str]:
        paid = {s.item.person_key for s in self._store.payments.values()
                if (s.item.program_code, s.item.period, _pays(s.item))
                == (program_code, period, "benefit") and not s.returned}
        return [c.certification_id for c, _ in self._store.watched_certifications.values()
                if (c.program_code, c.division_code) == (program_code, division_code)
                and c.effective_from <= period_end and c.person_key not in paid]


class MemoryFunds:
    def __init__(self, store: MemoryStore, now: Callable[[], datetime]) -> None:
        self._store, self._now = store, now

    def add_movement(self, movement: Movement) -> None:
        self._store.movements.setdefault(movement.message_id, StoredMovement(
            movement, self._now(), movement.run_id in self._store.watched_runs))

    async def reservations(self, run_ids: Iterable[str]) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        for stored in sorted(self._store.movements.values(), key=lambda s: s.seen_at):
            m = stored.movement
            if m.run_id in set(run_ids) and m.kind == "reservation":
                found.setdefault(m.run_id, (m.amount_fen, m.message_id))
        return found

    async def unmatched(self, grace_seconds: float, limit: int = 1000
                        ) -> tuple[list[str], list[Movement]]:
        due = self._now() - timedelta(seconds=grace_seconds)
        waiting = [s.movement for s in self._store.movements.values()
                   if not s.checked and s.seen_at < due][:limit]
        known = self._store.watched_runs
        return ([m.message_id for m in waiting if m.run_id in known],
                [m for m in waiting if m.run_id not in known])

    async def mark_checked(self, message_ids: list[str]) -> None:
        for message_id in message_ids:
            self._store.movements[message_id].checked = True
