"""Events by the batch (ADR 0011): one message for the events of one type that one piece
of work published together — a survey's applications, a township's reviews, an approval's
certifications and the partners' projections of them.

The batch of `certification.granted.v1` is `certification.granted.batch.v1`, on the same
exchange, from the same producer, signed once:

    {"events": [{"message_id": "<UUID>", "event": {...a certification.granted.v1...}},
                ...]}

Each entry is the event exactly as the single message would carry it, with the message id
that message would have had: a consumer handles the entries one by one, as it handles
single messages, and a causation id may name an entry. A producer publishes a single
message when its work published one event of the type, a batch of at most `BATCH_LIMIT`
entries when it published more (several batches beyond that), so a consumer of a type
takes both: the registry binds a queue to a type's batch whenever it binds the type.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import Field, create_model

from siquan.contracts.base import Contract, Event, register
from siquan.contracts.eligibility_v1 import (
    ApplicationReviewed,
    ApplicationSubmitted,
    CertificationGranted,
    CertificationLapsed,
    CertificationRenewed,
)
from siquan.contracts.partners_v1 import PROJECTIONS
from siquan.contracts.upcasting import version_of

BATCH_LIMIT = 500
"""The most entries one batch carries (its body stays well under a megabyte)."""

E = TypeVar("E", bound=Event)
MessageId = Annotated[str, Field(
    pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    description="The entry's own message id (a UUID, UUIDv7 as a rule, lower case): "
                "what a consumer deduplicates the entry on, and what a later message's "
                "causation id names")]


class BatchEntry(Contract, Generic[E]):
    """One event of a batch, with its own message id."""

    message_id: MessageId
    event: E = Field(description="The event, as its single message's body would be")


class Batch(Event):
    """A batch of events of one type (`entry_type`)."""

    entry_type: ClassVar[type[Event]]
    entry_model: ClassVar[type[BatchEntry[Any]]]
    """`BatchEntry[entry_type]`, the type of the entries of `events`: entries built as it
    are taken as they are, not validated again."""
    events: list[BatchEntry[Any]]


def batch_key(routing_key: str) -> str:
    """`certification.granted.v1` → `certification.granted.batch.v1`."""
    name, major = version_of(routing_key)
    return f"{name}.batch.v{major}"


_BY_ENTRY: dict[str, type[Batch]] = {}  # the entries' routing key → the batch
_ENTRY_OF: dict[str, str] = {}  # the batch's routing key → the entries'


def batch_of(model: type[E]) -> type[Batch]:
    """Declare (once) and register the batch message of an event type."""
    known = _BY_ENTRY.get(model.routing_key)
    if known is not None:
        return known
    entry: Any = BatchEntry[model]  # type: ignore[valid-type]
    events: Any = (list[entry],
                   Field(min_length=1, max_length=BATCH_LIMIT,
                         description=f"The `{model.routing_key}` events, in the order "
                                     "they were published"))
    batch: Any = create_model(
        f"{model.__name__}Batch", __base__=Batch, __module__=model.__module__,
        __doc__=f"Several `{model.routing_key}` events published together, in one "
                f"message: {(model.__doc__ or '').strip().splitlines()[0]}",
        events=events)
    batch.producer, batch.audience = model.producer, model.audience
    batch.routing_key, batch.entry_type = batch_key(model.routing_key), model
    batch.entry_model = entry
    register(batch)
    _BY_ENTRY[model.routing_key] = batch
    _ENTRY_OF[batch.routing_key] = model.routing_key
    return batch


def batch_for(routing_key: str) -> type[Batch] | None:
    """The batch message of an event type, if it has one."""
    return _BY_ENTRY.get(routing_key)


def entry_key(routing_key: str) -> str | None:
    """The entries' type of a batch routing key (None: not a batch)."""
    return _ENTRY_OF.get(routing_key)


BATCHED: tuple[type[Event], ...] = (
    ApplicationSubmitted, ApplicationReviewed, CertificationGranted, CertificationRenewed,
    CertificationLapsed, *PROJECTIONS)
"""The events that come in numbers from one piece of work (an import, a review, an
approval, a year's re-confirmation) and so travel by the batch."""

for _model in BATCHED:
    batch_of(_model)
