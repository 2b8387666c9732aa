"""Settled payments and fund movements, in memory. Settling a chunk calls every new payment
a suspect: the rules then judge them all (PostgreSQL leaves out the plainly clean)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta

from siquan.contracts.topology import RoutingKey
from siquan.oversight.adapters.memory.store import MemoryStore, StoredMovement, StoredPayment
from siquan.oversight.reconciliation.application.ports import (
    Chunk,
    Expectation,
    Repeat,
    Settling,
)
from siquan.oversight.reconciliation.domain.bank import Answer, latest_answers
from siquan.oversight.reconciliation.domain.conduct import Movement
from siquan.oversight.reconciliation.domain.payments import SettledItem, pays_benefit


def _pays(item: SettledItem) -> str:
    return "benefit" if pays_benefit(item.item) else item.item


def _repeats(live: StoredPayment, other: StoredPayment) -> bool:
    """`live`, not returned, pays what `other` paid, by another transfer."""
    a, b = live.item, other.item
    return (not live.returned and a.payment_id != b.payment_id and a.transfer != b.transfer
            and (a.person_key, a.program_code, a.period, _pays(a))
            == (b.person_key, b.program_code, b.period, _pays(b)))


class MemorySettled:
    def __init__(self, store: MemoryStore, now: Callable[[], datetime]) -> None:
        self._store, self._now = store, now
        self._new: set[str] = set()
        self._returned: set[str] = set()  # the returns of the batch, as PostgreSQL's flush

    def store(self, chunk: Chunk) -> None:
        for item in chunk.items:
            if item.payment_id not in self._store.payments:
                self._store.payments[item.payment_id] = StoredPayment(
                    item, chunk.period, self._store.next_seq(), self._now(), True,
                    returned=item.payment_id in self._returned)
                self._new.add(item.payment_id)

    async def settle(self, chunks: Sequence[Chunk], expectations: Sequence[Expectation],
                     account_window: timedelta) -> Settling:
        fresh = [self._store.payments[i.payment_id] for c in chunks for i in c.items
                 if i.payment_id in self._new]
        new = {s.item.payment_id for s in fresh}
        self._new -= new
        for stored in fresh:
            stored.cert_checked = (stored.item.certification_id
                                   in self._store.watched_certifications)
            stored.returned = (stored.returned
                               or (stored.item.payment_id, "returned") in self._store.lines)
        again = [self._again(s.item, new) for s in fresh if not s.returned]
        replaced = [self._replaced(s.item, account_window) for s in fresh]
        return Settling([s.item for s in fresh],  # every one: the rules judge them all
                        [a for a in again if a is not None],
                        [r for r in replaced if r is not None])

    def _again(self, new: SettledItem, batch: set[str]) -> tuple[SettledItem, str, str] | None:
        before = [o for o in self._store.payments.values()
                  if (o.item.person_key, o.item.program_code, o.item.period, _pays(o.item))
                  == (new.person_key, new.program_code, new.period, _pays(new))
                  and o.item.payment_id != new.payment_id and not o.returned
                  and o.item.transfer != new.transfer
                  and (o.item.payment_id not in batch or o.item.payment_id < new.payment_id)]
        if not before:
            return None
        first = min(before, key=lambda o: (o.item.payment_id in batch, o.seen_at,
                                            o.item.payment_id))
        return new, first.item.payment_id, first.item.message_id

    def _replaced(self, item: SettledItem, window: timedelta) -> tuple[SettledItem, str] | None:
        run = self._store.watched_runs.get(item.run_id)
        if run is None or run.started_at is None:
            return None
        started = run.started_at
        confirmed = {(person, at) for person, at, when
                     in self._store.account_confirmations.values() if when <= started}
        replaced = [(a["registered_at"], m) for m, a in self._store.payee_accounts.items()
                    if a["person_key"] == item.person_key and a["replaces_previous"]
                    and started - window < a["registered_at"] <= started
                    and (not a.get("awaiting_confirmation")
                         or (a["person_key"], a["registered_at"]) in confirmed)]
        return (item, max(replaced)[1]) if replaced else None

    async def of_certifications(self, pairs: Iterable[tuple[str, str]]
                                ) -> list[SettledItem]:
        wanted = set(pairs)
        return [s.item for s in self._store.payments.values()
                if (s.item.person_key, s.item.certification_id) in wanted]

    async def answers(self, payment_ids: Sequence[str]) -> dict[str, Answer]:
        """As PostgreSQL: from the chunks the log holds (linked when their batch
        committed)."""
        wanted = set(payment_ids)
        outcomes = {str(RoutingKey.PAYMENTS_SETTLED): "settled",
                    str(RoutingKey.PAYMENTS_FAILED): "failed"}
        answers: list[Answer] = []
        for entry in self._store.entries:
            e = entry.envelope
            outcome = outcomes.get(e.message_type)
            if outcome is None:
                continue
            body = json.loads(e.body_text) if e.body_text is not None else e.body
            answers += [Answer(p["payment_id"], outcome, body["run_id"], body["chunk"],
                               e.occurred_at)
                        for p in body["payments"] if p["payment_id"] in wanted]
        return latest_answers(answers)

    async def of_persons(self, person_keys: Iterable[str]) -> list[SettledItem]:
        wanted = set(person_keys)
        return [s.item for s in self._store.payments.values() if s.item.person_key in wanted]

    async def by_ids(self, payment_ids: Iterable[str]) -> list[SettledItem]:
        return [self._store.payments[p].item for p in set(payment_ids)
                if p in self._store.payments]

    async def mark_checked(self, payment_ids: Iterable[str]) -> None:
        for payment_id in payment_ids:
            if payment_id in self._store.payments:
                self._store.payments[payment_id].cert_checked = True

    async def repeats_of_returned(self, payment_ids: Iterable[str]) -> list[Repeat]:
        occurred = {e.envelope.message_id: e.envelope.occurred_at for e in self._store.entries}
        payments = self._store.payments
        found = []
        for returned_id in set(payment_ids):
            returned = payments.get(returned_id)
            if returned is None or not returned.returned:
                continue
            for s in payments.values():
                if _repeats(s, returned) and not any(
                        _repeats(x, s) and (x.seen_at, x.seq) < (s.seen_at, s.seq)
                        for x in payments.values()):
                    found.append(Repeat(s.item.payment_id, s.item.person_key, returned_id,
                                        occurred.get(s.item.message_id)))
        return found

    def mark_returned(self, payment_ids: Iterable[str]) -> None:
        for payment_id in payment_ids:
            self._returned.add(payment_id)
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
