"""The queues and bindings the broker is provisioned with are exactly what the services'
handler registries declare: `@handles(Event)` is the one declaration."""

from siquan.contracts.topology import SUBSCRIPTIONS
from siquan.tools import topology


def test_the_committed_subscriptions_are_what_the_handlers_declare() -> None:
    declared = {(s.queue, s.producer, frozenset(s.binding_keys))
                for s in topology.subscriptions()}
    committed = {(s.queue, s.producer, frozenset(s.binding_keys)) for s in SUBSCRIPTIONS}

    assert declared == committed, "run `python -m siquan.tools.topology` and `make contracts`"


def test_the_committed_file_is_byte_for_byte_what_the_tool_writes() -> None:
    assert topology.main(["--check"]) == 0
