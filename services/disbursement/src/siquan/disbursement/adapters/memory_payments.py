"""The in-memory twin of `payments.PgPayments` (see `memory.py`): rosters decided by
`roster.plan_person` for every person, less what an open receivable of the household
takes where the policy allows offsets (`offsets.apply_offsets`, as `roster.freeze`),
chunks of consecutive payments, obstacles under `payable.PAYABLE` read from the store."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from itertools import groupby

from siquan.disbursement.adapters.memory_store import (
    LIVE,
    ChunkRecord,
    MemoryStore,
    PaymentRecord,
)
from siquan.disbursement.application.ports import BankReturn
from siquan.disbursement.application.repositories import AlreadyPaying, Disputed, Returned
from siquan.disbursement.domain.chunk import Chunk, ChunkPayment, Outcome
from siquan.disbursement.domain.offsets import OpenReceivable, apply_offsets
from siquan.disbursement.domain.payable import PAYABLE
from siquan.disbursement.domain.payment import instruction_key
from siquan.disbursement.domain.payment_run import RunTotals
from siquan.disbursement.domain.roster import (
    BENEFIT,
    Candidate,
    FrozenRoster,
    PlannedPayment,
    RosterQuery,
    account_change_flag,
    exclusive_precedes,
    is_one_off,
    once_per_household,
    plan_person,
)
from siquan.disbursement.domain.top_ups import PaidBefore, top_up


class MemoryPayments:
    def __init__(self, store: MemoryStore, new_id: Callable[[], str]) -> None:
        self._store, self._new_id = store, new_id

    async def freeze(self, query: RosterQuery) -> FrozenRoster:
        frozen, planned = FrozenRoster(), []
        candidates = sorted(self._candidates(query), key=lambda c: c.certification.person_key)
        paid_by = self._households_paid(query)
        owing = self._open_receivables(query.program_code) if query.offset_allowed else []
        for _, group in groupby(candidates, key=lambda c: c.certification.person_key):
            person = list(group)
            owed, skipped = plan_person(person, query.table)
            if query.per_household:
                owed, more = once_per_household(owed, person, paid_by)
                skipped += more
            frozen.skipped += skipped
            payments, offsets = apply_offsets(owed, person[0].certification.household_key,
                                              owing)
            frozen.offsets += offsets
            if payments:
                frozen.add(payments)
            if owed:
                account = self._store.current_account(owed[0].person_key)
                assert account is not None
                flag = account_change_flag(
                    owed[0].person_key, owed[0].certification_id,
                    registered_at=account.registered_at,
                    previous_registered_at=account.previous_registered_at,
                    run_started_at=query.started_at, days=query.flag_days)
                if flag is not None:
                    frozen.flags.append(flag)
            planned += payments
        top_ups = self._top_ups(query, planned)
        frozen.add(top_ups)
        await self.add(query.run_id, query.program_code, planned + top_ups, query.chunk_size)
        return frozen

    def _open_receivables(self, program_code: str) -> list[OpenReceivable]:
        """`roster.open_receivables`: the program's receivables with something
        outstanding, with the households of the person they are owed by."""
        store, found = self._store, []
        for receivable, described, _ in store.receivables.values():
            if described["program_code"] != program_code or receivable.outstanding_fen <= 0:
                continue
            person = described["person_key"]
            households = frozenset(c.household_key for c in store.certifications.values()
                                   if c.person_key == person and c.household_key is not None)
            found.append(OpenReceivable(receivable.receivable_id, person, households,
                                        receivable.outstanding_fen,
                                        datetime.fromisoformat(described["recorded_at"])))
        return sorted(found, key=lambda r: (r.recorded_at, r.receivable_id))

    def _withheld(self, person_key: str, program_code: str
                  ) -> tuple[set[str], dict[str, int]]:
        """The periods of the person's benefit an offset took whole (no order paid the
        rest: they count as paid), and what offsets took from each period's benefit."""
        store = self._store
        whole: set[str] = set()
        taken: dict[str, int] = {}
        for run_id, _, offset in store.offsets:
            if (offset.person_key != person_key or offset.item != BENEFIT
                    or store.receivables[offset.receivable_id][1]["program_code"]
                    != program_code):
                continue
            taken[offset.period] = taken.get(offset.period, 0) + offset.offset_fen
            if not any(p.run_id == run_id and p.person_key == person_key
                       and p.period == offset.period and p.item == offset.item
                       for p in store.payments.values()):
                whole.add(offset.period)
        return whole, taken

    def _paid_fen(self, payment: PaymentRecord) -> int:
        """What a live payment paid of its entitlement (`roster._WITHHELD`): what the bank
        moved and what offsets withheld from the same (person, program, period, item)."""
        store = self._store
        return payment.amount_fen + sum(
            o.offset_fen for _, _, o in store.offsets
            if (o.person_key, o.period, o.item) == (
                payment.person_key, payment.period, payment.item)
            and store.receivables[o.receivable_id][1]["program_code"] == payment.program_code)

    def _households_paid(self, query: RosterQuery) -> dict[str, set[str]]:
        """Who in each household has a live payment of the program for the run's period
        (a one-off run: for any period)."""
        paid_by: dict[str, set[str]] = {}
        run_period = query.table.run.period
        for p in self._store.payments.values():
            kept = self._store.certifications.get(p.certification_id)
            if (kept is None or kept.household_key is None or p.status not in LIVE
                    or p.program_code != query.program_code or p.item != "benefit"
                    or not (is_one_off(run_period) or p.period == run_period)):
                continue
            paid_by.setdefault(kept.household_key, set()).add(p.person_key)
        return paid_by

    def _top_ups(self, query: RosterQuery, planned: list[PlannedPayment]
                 ) -> list[PlannedPayment]:
        """`top_ups.TopUpAfterRaise` for each person this run pays its period."""
        found = []
        run_period = query.table.run.period
        for paying in (p for p in planned if p.period == run_period):
            here = {p.period for p in planned if p.person_key == paying.person_key}
            category = self._store.certifications[paying.certification_id].category
            earlier: dict[str, int] = {}
            for p in self._store.payments.values():
                if (p.person_key == paying.person_key and p.program_code == query.program_code
                        and p.status in LIVE and p.period not in here):
                    earlier[p.period] = earlier.get(p.period, 0) + self._paid_fen(p)
            for period, paid in sorted(earlier.items()):
                owed = top_up(PaidBefore(paying.person_key, paying.certification_id, category,
                                         period, paid, paying.account, paying.certified_from),
                              query.top_ups or query.table)
                if owed is not None:
                    found.append(owed)
        return found + self._top_ups_off_run(query, planned)

    def _top_ups_off_run(self, query: RosterQuery, planned: list[PlannedPayment]
                         ) -> list[PlannedPayment]:
        """The same for people this run does not pay the run's period
        (`roster._PAID_BEFORE_OFF_RUN`): a window period their certification was still
        owed for and this run does not pay, to their current confirmed account, unless they
        are held."""
        store, run_period = self._store, query.table.run.period
        on_run = {p.person_key for p in planned if p.period == run_period}
        here = {(p.person_key, p.period) for p in planned}
        earlier: dict[tuple[str, str, str], int] = {}
        for p in store.payments.values():
            certification = store.certification(p.certification_id)
            if (p.program_code != query.program_code or p.status not in LIVE
                    or p.person_key in on_run or (p.person_key, p.period) in here
                    or certification is None
                    or certification.division_code != query.division_code
                    or not certification.active_in(p.period)
                    or store.held(p.person_key, query.program_code)):
                continue
            key = (p.person_key, p.certification_id, p.period)
            earlier[key] = earlier.get(key, 0) + self._paid_fen(p)
        found = []
        for (person, certification_id, period), paid in sorted(earlier.items()):
            account = store.current_account(person)
            certification = store.certification(certification_id)
            if account is None or account.unconfirmed or certification is None:
                continue
            owed = top_up(PaidBefore(person, certification_id, certification.category, period,
                                     paid, account.account, certification.effective_from),
                          query.top_ups or query.table)
            if owed is not None:
                found.append(owed)
        return found

    def _candidates(self, query: RosterQuery) -> list[Candidate]:
        store, run_period = self._store, query.table.run.period
        periods = set(query.table.periods)
        found = []
        for kept in store.certifications.values():
            certification = store.certification(kept.id)
            assert certification is not None
            if (certification.program_code, certification.division_code) != (
                    query.program_code, query.division_code) or \
                    not any(certification.active_in(p) for p in periods):
                continue
            person = certification.person_key
            account = store.current_account(person)
            mine = [p for p in store.payments.values() if p.person_key == person
                    and p.program_code == query.program_code and p.item == BENEFIT]
            taken_whole, withheld = self._withheld(person, query.program_code)
            paid = {p.period for p in mine if p.status in LIVE} | taken_whole
            found.append(Candidate(
                certification, None if account is None else account.account,
                store.held(person, query.program_code),
                frozenset(q for q in paid if is_one_off(run_period) or q in periods),
                frozenset(p.period for p in mine if p.status in ("failed", "returned")
                          and account is not None
                          and (p.bank_code, p.account_number) == (
                              account.account.bank_code, account.account.account_number)),
                account_unconfirmed=account is not None and account.unconfirmed,
                withheld=withheld,
                excluded_periods=self._excluded(query, kept.id)))
        return found

    def _excluded(self, query: RosterQuery, certification_id: str) -> frozenset[str]:
        """`roster.ExclusiveProgramsPayOnce`: the periods of the run and its window a
        program exclusive with the run's pays the person for (a live benefit payment), or
        holds an older certification of theirs in force for."""
        if not query.exclusive_with:
            return frozenset()
        store = self._store
        mine = store.certifications[certification_id]
        paid = {p.period for p in store.payments.values()
                if p.person_key == mine.person_key and p.program_code in query.exclusive_with
                and p.item == BENEFIT and p.status in LIVE}
        older = [other for kept in store.certifications.values()
                 if kept.person_key == mine.person_key
                 and kept.program_code in query.exclusive_with
                 and exclusive_precedes(kept, mine)
                 and (other := store.certification(kept.id)) is not None]
        return frozenset(period for period in query.table.periods
                         if period in paid or any(o.active_in(period) for o in older))

    async def add(self, run_id: str, program_code: str, payments: Sequence[PlannedPayment],
                  chunk_size: int) -> None:
        ids = []
        for p in payments:
            if self._store.live(p.person_key, program_code, p.period, p.item):
                raise AlreadyPaying(f"{p.person_key} is paid for {p.period} already")
            payment_id = self._new_id()
            self._store.payments[payment_id] = PaymentRecord(
                payment_id, run_id, p.certification_id, p.person_key, program_code, p.period,
                p.item, p.amount_fen, p.account.bank_code, p.account.account_number,
                account_name=p.account.holder_name)
            ids.append(payment_id)
        for k, first in enumerate(range(0, len(ids), chunk_size)):
            self._store.chunks[(run_id, k)] = ChunkRecord(ids[first:first + chunk_size])

    async def claim_chunk(self, run_id: str, aside: Collection[int] = ()) -> Chunk | None:
        number = next((k for (run, k), c in sorted(self._store.chunks.items())
                       if run == run_id and not c.done and k not in aside), None)
        if number is None:
            return None
        pending = [self._store.payments[i] for i in self._store.chunks[(run_id, number)].
                   payment_ids if self._store.payments[i].status == "pending"]
        return Chunk(run_id, number, [ChunkPayment(
            p.payment_id, p.person_key, p.certification_id, p.period, p.item, p.amount_fen,
            p.bank_code, p.account_number, self._instruction_key(p),
            PAYABLE.obstacle(self._store.facts(p)),
            p.account_name)
            for p in pending])

    def _instruction_key(self, payment: PaymentRecord) -> str:
        earlier = sum(1 for q in self._store.payments.values()
                      if (q.person_key, q.program_code, q.period, q.item) == (
                          payment.person_key, payment.program_code, payment.period,
                          payment.item) and q.status not in LIVE)
        return instruction_key(payment.person_key, payment.program_code, payment.period,
                               payment.item, earlier)

    async def record(self, chunk: Chunk, outcomes: dict[str, Outcome], at: datetime, *,
                     disputed: Collection[str] = ()) -> None:
        if disputed:
            record = self._store.chunks[(chunk.run_id, chunk.number)]
            number = 1 + max(k for run, k in self._store.chunks if run == chunk.run_id)
            self._store.chunks[(chunk.run_id, number)] = ChunkRecord(
                [i for i in record.payment_ids if i in disputed])
            record.payment_ids = [i for i in record.payment_ids if i not in disputed]
        for payment_id, outcome in outcomes.items():
            payment = self._store.payments[payment_id]
            if payment.status != "pending":
                raise RuntimeError(f"payment {payment_id} is {payment.status} already")
            payment.status, payment.reason = outcome.status, outcome.reason
            payment.bank_reference, payment.chunk = outcome.bank_reference, chunk.number
            payment.transferred_as = outcome.transferred_as
        self._store.chunks[(chunk.run_id, chunk.number)].done = True

    async def any_pending(self, run_id: str) -> bool:
        return any(not c.done for (run, _), c in self._store.chunks.items() if run == run_id)

    async def note_dispute(self, run_id: str, payment_id: str, batch: str, kind: str,
                           found_at: datetime) -> None:
        payment = self._store.payments.get(payment_id)
        if payment is not None and payment.run_id == run_id:
            self._store.disputes.add((payment_id, batch))

    async def disputed(self, run_id: str) -> Disputed:
        batches: dict[str, set[str]] = {}
        for payment_id, batch in self._store.disputes:
            payment = self._store.payments[payment_id]
            if payment.run_id == run_id and payment.status == "pending":
                batches.setdefault(payment_id, set()).add(batch)
        return Disputed(len(batches), sum(self._store.payments[p].amount_fen for p in batches),
                        tuple(sorted(set().union(*batches.values()))))

    async def totals(self, run_id: str) -> RunTotals:
        values: dict[str, int] = {}
        for status in ("settled", "failed", "cancelled", "pending", "returned"):
            mine = [p for p in self._store.run_payments(run_id) if p.status == status]
            values[f"{status}_count"] = len(mine)
            values[f"{status}_fen"] = sum(p.amount_fen for p in mine)
        return RunTotals(**values)

    async def totals_with_chunks(self, run_id: str) -> tuple[RunTotals, int, int]:
        payments = self._store.run_payments(run_id)
        return (await self.totals(run_id),
                len({p.chunk for p in payments if p.status in ("settled", "returned")}),
                len({p.chunk for p in payments if p.status == "failed"}))

    async def mark_returned(self, returns: Sequence[BankReturn]) -> list[Returned]:
        changed = []
        for r in returns:
            p = self._store.payments.get(r.payment_id)
            if p is None or p.status != "settled" or (p.amount_fen, p.bank_reference) != (
                    r.amount_fen, r.bank_reference):
                continue
            p.status, p.returned_on, p.return_reason = "returned", r.returned_on, r.reason
            changed.append(Returned(p.payment_id, p.run_id, p.person_key, p.period,
                                    p.amount_fen, r.bank_reference, r.reason, r.returned_on,
                                    p.item))
        return changed
