"""Work done once per transaction rather than once per message.

The consumer hands oversight a batch of messages in one transaction. A handler that must
read what other messages may have written (a grant's payments, a payment's certification)
records its facts and asks for a step: `uow.later(judge_grants, record)`. Just before the
transaction commits, after the batch's facts are written, each step asked for runs once
with every item asked for — one query for the batch instead of one per message, and every
fact of the batch visible to it, whatever order the messages came in.

A step remembers where each item came from (`Origin`: the message's correlation and
causation, and its trace), so what it publishes is caused by that message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry.context import Context

from siquan.contracts.base import Event
from siquan.shared.outbox import PendingEvent
from siquan.shared.unit_of_work import Cause

T = TypeVar("T")


@dataclass(frozen=True)
class Origin:
    """The message an item of a step came from: its cause, and the trace context it was
    handled in (serialised only if something is published on its behalf)."""

    cause: Cause
    context: Context | None = None

    @classmethod
    def here(cls, cause: Cause) -> Origin:
        """`cause`, in the trace of the work running now."""
        return cls(cause, otel_context.get_current())

    def trace(self) -> dict[str, str]:
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=self.context)
        return carrier


Asked = list[tuple[T, Origin]]
Step = Callable[[Any, Asked[T]], Awaitable[None]]


class Deferred:
    """The steps asked for in one transaction, each with its items, in the order first
    asked for."""

    def __init__(self) -> None:
        self._asked: dict[Step[Any], Asked[Any]] = {}

    def ask(self, step: Step[T], item: T, origin: Origin) -> None:
        self._asked.setdefault(step, []).append((item, origin))

    def __bool__(self) -> bool:
        return bool(self._asked)

    async def run(self, unit: Any) -> None:
        """Run every step asked for (and any a step asks for in turn)."""
        while self._asked:
            asked, self._asked = self._asked, {}
            for step, items in asked.items():
                await step(unit, items)


class Steps:
    """What a unit of work needs to ask for steps and publish on an item's behalf (mixed
    into oversight's units; `cause` and `pending` come from the unit)."""

    cause: Cause
    pending: list[PendingEvent]

    @property
    def deferred(self) -> Deferred:
        """The steps asked for in this unit's transaction."""
        raise NotImplementedError

    def later(self, step: Step[T], item: T) -> None:
        """Run `step` with `item` (and the batch's other items) before committing."""
        self.deferred.ask(step, item, Origin.here(self.cause))

    def publish_for(self, origin: Origin | None, event: Event) -> str:
        """Queue an event caused by the message `origin` names (None: by this unit's)."""
        origin = origin or Origin.here(self.cause)
        pending = PendingEvent(event, origin.cause.correlation_id, origin.cause.causation_id,
                               origin.trace())
        self.pending.append(pending)
        return pending.message_id
