"""The catch-up's routing: which of the restored consumer's queues a producer's event is
re-sent to, as the producer's topic exchange would have routed it."""

import pytest

from siquan.shared.catch_up import Route, main, topic_matches


@pytest.mark.parametrize(("binding", "key", "routed"), [
    ("#", "payments.settled.v1", True),
    ("payments.settled.v1", "payments.settled.v1", True),
    ("payments.settled.v1", "payments.failed.v1", False),
    ("payments.*.v1", "payments.failed.v1", True),
    ("payments.*", "payments.failed.v1", False),
    ("payments.#", "payments", True),
    ("a.#.v1", "a.b.c.v1", True),
    ("a.#.v1", "a.v1", True),
    ("a.#.v1", "a.b.v2", False),
])
def test_topic_bindings_route_as_rabbitmq_does(binding: str, key: str, routed: bool) -> None:
    assert topic_matches(binding, key) is routed


def test_an_event_goes_to_the_queue_bound_to_its_routing_key() -> None:
    to_custody = Route.of("disbursement", "fund_custody")
    to_oversight = Route.of("disbursement", "oversight")

    assert to_custody.queues_for("payments.settled.v1") == [
        "siquan.fund_custody.from-disbursement"]
    assert to_custody.queues_for("run.started.v1") == []  # fund custody does not bind it
    assert to_oversight.queues_for("run.started.v1") == ["siquan.oversight.audit-disbursement"]


def test_a_consumer_that_reads_nothing_of_the_producer_is_refused(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="reads nothing"):
        Route.of("fund_custody", "eligibility")
    assert main(["disbursement", "--from", "fund_custody", "--since", "2026-12-04T08:00"]) == 2
    assert "time zone" in capsys.readouterr().out
