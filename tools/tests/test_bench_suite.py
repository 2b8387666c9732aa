"""The bench suite's summary: each target judged on the key the issue names."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from siquan.tools.bench.suite import summarise

LOAD = {"before": [0.1, 0.1, 0.1], "after": [1.0, 1.0, 1.0]}


def _results(*, ratio: float = 10.0, events_per_s: float = 3_500.0, lag: float = 4.0,
             seconds: float = 55.0, rss: float = 400.0) -> dict[str, dict[str, Any]]:
    return {
        "payment_run": {"payees": 1_000_000, "seconds": 30.0, "ratio_to_raw": ratio,
                        "oversight_lag_s": lag, "raw_machine": {"sum_s": 3.0},
                        "peak_rss_mib": {"disbursement": rss, "oversight": 300.0}},
        "oversight_ingest": {"events_per_s": events_per_s, "lag_after_run_s": 40.0,
                             "sustained": {"events": 100_000}, "chain": {"ok": True},
                             "findings": {}},
        "eligibility_100k": {"applications": 100_000, "seconds": seconds, "stages": {}},
    }


def _summary(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return summarise(results, instances=2, broker_nodes=1, load=LOAD)


def test_every_target_met_is_reported_met_with_the_instances_used() -> None:
    summary = _summary(_results())
    assert summary["targets_met"] is True
    assert summary["instances"] == {
        "payment_run": 2, "oversight_ingest": 2, "eligibility_100k": 2}
    assert summary["broker_nodes"] == 1
    assert summary["payment_run_1m"]["ratio_to_raw"] == 10.0
    assert summary["oversight"]["events_per_s"] == 3_500.0
    assert summary["eligibility_100k"]["seconds"] == 55.0


def test_oversight_lag_is_the_real_runs_and_the_full_speed_lag_is_beside_it() -> None:
    oversight = _summary(_results(lag=4.0))["oversight"]
    assert (oversight["lag_after_run_s"], oversight["lag_after_full_speed_publish_s"]) == (
        4.0, 40.0)


def test_each_missed_target_fails_the_suite() -> None:
    for missed, key in (({"ratio": 12.5}, "payment_run_1m"),
                        ({"rss": 1_100.0}, "payment_run_1m"),
                        ({"events_per_s": 2_999.0}, "oversight"),
                        ({"lag": 5.5}, "oversight"),
                        ({"seconds": 61.0}, "eligibility_100k")):
        summary = _summary(_results(**missed))
        assert summary[key]["met"] is False, missed
        assert summary["targets_met"] is False, missed


def test_findings_on_clean_data_or_on_the_run_or_a_broken_chain_miss_oversights_target() -> None:
    results = _results()
    results["oversight_ingest"]["findings"] = {"unexplained_payment": 1}
    assert _summary(results)["oversight"]["met"] is False
    results = _results()
    results["oversight_ingest"]["chain"] = {"ok": False}
    assert _summary(results)["oversight"]["met"] is False
    results = _results()  # oversight's instances judged the clean payment run wrongly
    results["payment_run"]["findings"] = {"paid_twice": 3}
    summary = _summary(results)["oversight"]
    assert (summary["met"], summary["findings_on_the_run"]) == (False, {"paid_twice": 3})


def test_a_benchmark_that_failed_is_an_error_and_fails_the_suite() -> None:
    results = _results()
    results["eligibility_100k"] = {"error": "exited 1"}
    summary = _summary(results)
    assert summary["errors"] == {"eligibility_100k": "exited 1"}
    assert summary["targets_met"] is False


def test_only_the_benchmarks_run_are_judged() -> None:
    results = {"eligibility_100k": _results()["eligibility_100k"]}
    assert _summary(results)["targets_met"] is True


def test_the_instances_each_benchmark_ran_are_recorded() -> None:
    results = _results()
    results["payment_run"]["instances"] = {"eligibility": 1, "fund_custody": 1,
                                           "disbursement": 1, "oversight": 2}
    results["eligibility_100k"]["instances"] = 1
    assert _summary(results)["instances"] == {
        "payment_run": {"eligibility": 1, "fund_custody": 1, "disbursement": 1,
                        "oversight": 2},
        "oversight_ingest": 2, "eligibility_100k": 1}


def test_the_payment_runs_instances_are_scaled_per_service() -> None:
    from siquan.tools.bench.payment_run import Options, scale_of
    from siquan.tools.bench.suite import command, main

    assert Options(instances=1, scale=(scale_of("oversight=2"),)).counts() == {
        "eligibility": 1, "fund_custody": 1, "disbursement": 1, "oversight": 2}
    for wrong in ("oversight", "audit=2", "oversight=0", "oversight=two"):
        with pytest.raises(argparse.ArgumentTypeError):
            scale_of(wrong)
    args = argparse.Namespace(instances=1, payees=10, scale=[("oversight", 2)])
    assert command("payment_run", args)[-1] == "--scale=oversight=2"
    args.events = 10
    ingest = command("oversight_ingest", args)  # oversight as deployed in the payment run
    assert ingest[ingest.index("--instances") + 1] == "2"
    args.applications, args.eligibility_instances = 10, 2
    eligibility = command("eligibility_100k", args)  # as deployed: two instances
    assert eligibility[eligibility.index("--instances") + 1] == "2"
    with pytest.raises(SystemExit):
        main(["--scale", "audit=2"])


def test_the_postgresql_servers_settings_are_recorded_with_the_machine() -> None:
    server = {"server_version": "15.8", "shared_buffers": "128MB"}
    summary = summarise(_results(), instances=1, broker_nodes=1, load=LOAD, server=server)
    assert summary["machine"]["postgresql"] == server


async def test_the_settings_are_read_from_the_server_the_benchmarks_use() -> None:
    import os

    from siquan.shared.testing.environment import DEFAULT_PG_DSN
    from siquan.tools.bench.suite import SERVER_SETTINGS, server_settings

    settings = await server_settings(os.environ.get("SIQUAN_PG_DSN", DEFAULT_PG_DSN))
    assert set(settings) == set(SERVER_SETTINGS)
    assert settings["server_version"].split(".")[0].isdigit()
    assert settings["fsync"] in ("on", "off")
