"""The campaign's plan: the same seed gives the same faults, every instance is killed first
and armed with every crash point of its service."""

from itertools import islice

from siquan.shared.crash_points import BY_SERVICE
from siquan.tools.chaos.plan import (
    BROKER_EXHAUSTED,
    KILL,
    PG_EXHAUSTED,
    SERVER_KINDS,
    Plan,
    service_of,
)

INSTANCES = ["disbursement", "disbursement-2", "fund_custody", "oversight", "eligibility"]


def test_the_same_seed_draws_the_same_faults_and_arms() -> None:
    one, two, other = Plan(42, INSTANCES), Plan(42, INSTANCES), Plan(43, INSTANCES)
    assert list(islice(one.faults(), 80)) == list(islice(two.faults(), 80))
    assert one.arms == two.arms
    assert list(islice(one.faults(), 80)) != list(islice(other.faults(), 80))


def test_every_instance_is_killed_first_then_faults_of_every_kind_follow() -> None:
    faults = list(islice(Plan(1, INSTANCES).faults(), 200))
    assert sorted(f.target for f in faults[:len(INSTANCES)]) == sorted(INSTANCES)
    assert {f.kind for f in faults[:len(INSTANCES)]} == {KILL}
    assert {f.kind for f in faults} == {"sigkill", "broker_connections_closed",
                                        "pg_terminate_backend", "bank_timeout",
                                        "bank_answers_twice", "bank_late"}


def test_each_instance_is_armed_with_every_point_of_its_service_once() -> None:
    plan = Plan(5, INSTANCES)
    for name in INSTANCES:
        armed = []
        while (arm := plan.next_arm(name)) is not None:
            armed.append(arm.point)
        assert sorted(armed) == sorted(BY_SERVICE[service_of(name)])


OTHER_KINDS = ["bank_answers_twice", "bank_late", "bank_timeout", "broker_connections_closed",
               "pg_terminate_backend"]


def test_after_the_kills_every_other_kind_comes_once_before_any_comes_again() -> None:
    for seed in range(20):
        faults = list(islice(Plan(seed, INSTANCES).faults(), len(INSTANCES) + 5))
        assert sorted(f.kind for f in faults[len(INSTANCES):]) == OTHER_KINDS


def test_server_faults_come_only_on_own_servers_each_once_after_the_kills() -> None:
    shared = list(islice(Plan(1, INSTANCES).faults(), 300))
    assert not {f.kind for f in shared} & set(SERVER_KINDS)
    own = list(islice(Plan(1, INSTANCES, server_faults=True).faults(), 300))
    round_end = len(INSTANCES) + len(SERVER_KINDS) + len(OTHER_KINDS)
    after_kills = own[len(INSTANCES):round_end]
    assert sorted(f.kind for f in after_kills) == sorted([*SERVER_KINDS, *OTHER_KINDS])
    assert {f.kind for f in own[round_end:]} >= set(SERVER_KINDS)
    services = {service_of(n) for n in INSTANCES}
    assert all(f.target in services for f in own
               if f.kind in (PG_EXHAUSTED, BROKER_EXHAUSTED))
