"""Whether oversight has seen everything a finding of absence could rest on.

A finding of absence (a payment whose certification never came, money moved for a run
never announced, a certified person left unpaid) says that a message did not arrive. When
oversight itself has not processed some messages — its own dead letters not yet replayed,
messages still queued for it, or a backlog that cleared less than the grace period ago —
that absence may be oversight's failure, not the producer's: the finding then waits as
*incomplete evidence*, places no hold, publishes nothing, and is judged again when the
backlog is gone (it is then raised, or withdrawn because the evidence came).

A payment judged as its chunk arrives and found owed by no certification in force (paid
before it, after its revocation, while lapsed or suspended) holds its payee; while
oversight has dead letters (as the last sweep counted them: `LastCount`) a change that
shows it owed may be among them, so such a finding waits too, and the sweep judges the
payment again once the backlog is gone.

Which producers' messages a rule's evidence could be in is `WAITS_ON`. A dead letter whose
producer is not known (or more letters than could be read) counts for every producer.
A dead letter refused for its signature is not evidence of anything and is not counted
against the rules (it is still an operational alert).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from siquan.oversight.reconciliation.domain import findings as rules

ANY_PRODUCER = "*"

_CERTIFICATION_CHANGES = frozenset({"eligibility"})

WAITS_ON: dict[str, frozenset[str]] = {
    rules.PAID_WITHOUT_CERTIFICATION.name: _CERTIFICATION_CHANGES,
    # a payment judged against a certification's changes: a reinstatement or renewal not
    # yet processed may show it was owed
    rules.PAID_BEFORE_CERTIFICATION.name: _CERTIFICATION_CHANGES,
    rules.PAID_AFTER_REVOCATION.name: _CERTIFICATION_CHANGES,
    rules.PAID_WHILE_LAPSED.name: _CERTIFICATION_CHANGES,
    rules.PAID_WHILE_SUSPENDED.name: _CERTIFICATION_CHANGES,
    rules.MONEY_MOVED_WITHOUT_RUN.name: frozenset({"disbursement"}),
    rules.CERTIFIED_NOT_PAID.name: frozenset({"disbursement", "eligibility",
                                              "partner.public_security"}),
    # an application counted late may have been certified or turned down in a message
    # oversight has not processed yet
    rules.TIMELINESS_BELOW_TARGET.name: _CERTIFICATION_CHANGES,
}
"""Rule → the producers whose unprocessed messages could hold its missing evidence."""

PAYMENT_RULES = tuple(name for name in WAITS_ON if rules.RULES[name].holds_payee)
"""The rules judging one settled payment (their key is `<rule>:<payment id>`), whose
findings hold the payee: judged again when their evidence is complete."""


@dataclass(frozen=True)
class Backlog:
    """What oversight has not processed, by producer: why each one is not complete."""

    pending: dict[str, str] = field(default_factory=dict)
    """Producer (or `*` for all) → why its messages may not all be processed."""
    failed: frozenset[str] = frozenset()
    """The producers (or `*`) pending because oversight dead-lettered their messages."""

    def waiting_for(self, rule: str) -> tuple[str, ...]:
        """Why a finding of `rule` cannot be trusted now (empty: the evidence is complete;
        a rule whose evidence is all in the message it judges never waits)."""
        producers = WAITS_ON.get(rule)
        if not producers:
            return ()
        return tuple(sorted(reason for producer, reason in self.pending.items()
                            if producer == ANY_PRODUCER or producer in producers))

    def own_failures(self) -> Backlog:
        """Only what oversight dead-lettered: what the rules consult as an event arrives
        (messages merely queued are the ordinary lag between queues, which a finding
        judged on arrival already allows for)."""
        return Backlog({p: r for p, r in self.pending.items() if p in self.failed},
                       self.failed)

    @property
    def complete(self) -> bool:
        return not self.pending


COMPLETE = Backlog()

BacklogProbe = Callable[[], Awaitable[Backlog]]


@dataclass
class LastCount:
    """Oversight's own failures (dead letters) as the last sweep counted them, which the
    rules consult when an event would make them hold a payee (asking the broker for every
    message would cost more than the message)."""

    backlog: Backlog = COMPLETE


async def nothing_pending() -> Backlog:
    return COMPLETE


def backlog_of(*, dead_letters: Iterable[tuple[str, int]], queued: Iterable[tuple[str, int]],
               settling: Iterable[str] = (), unknown: Iterable[str] = (),
               replayed: Iterable[str] = ()) -> Backlog:
    """A backlog from dead letters and ready messages counted per producer, producers whose
    backlog cleared within the grace period, producers whose state could not be read, and
    producers whose dead letters went back to their queues within the grace period (still
    oversight's own failure until then)."""
    pending: dict[str, list[str]] = {}
    failed = set()
    for producer, count in dead_letters:
        if count:
            pending.setdefault(producer, []).append(f"{count} dead letter(s)")
            failed.add(producer)
    for producer, count in queued:
        if count:
            pending.setdefault(producer, []).append(f"{count} message(s) queued")
    for producer in replayed:
        if producer not in failed:
            pending.setdefault(producer, []).append(
                "dead letters gone within the grace period")
            failed.add(producer)
    for producer in settling:
        pending.setdefault(producer, []).append("backlog cleared within the grace period")
    for producer in unknown:
        pending.setdefault(producer, []).append("queue state unknown")
    return Backlog({producer: f"{producer}: " + ", ".join(reasons)
                    for producer, reasons in sorted(pending.items())}, frozenset(failed))
