"""In-memory twins of oversight's repositories and unit of work, for unit tests of the
handlers without PostgreSQL or RabbitMQ. They keep the behaviour the handlers rely on —
what is kept once, what the first or earliest report decides, what is unique — and
nothing more; the integration tests run the same handlers on the real servers."""

from siquan.oversight.adapters.memory.unit import FakeOversightWork, FakeUnits, delivered

__all__ = ["FakeOversightWork", "FakeUnits", "delivered"]
