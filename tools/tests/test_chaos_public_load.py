"""The public load generator's arithmetic, on a simulated clock: requests go out on schedule
whatever became of the earlier ones, the load stops when told (not before its minimum) or at
its bound, latency counts from when a request was due, and the verdict fails each promise
when its target is missed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from siquan.tools.chaos.public_load import (
    Outcome,
    Tally,
    open_loop,
    percentile,
    verdict,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self._waiting: dict[float, asyncio.Event] = {}

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Virtual time: advance, wake whoever waits for this moment, let other tasks run."""
        self.now += seconds
        for moment, reached in list(self._waiting.items()):
            if self.now >= moment:
                reached.set()
                del self._waiting[moment]
        await asyncio.sleep(0)  # a yield to the event loop, not a wait: no time passes

    async def reached(self, moment: float) -> None:
        """Until the virtual clock has passed `moment`."""
        if self.now < moment:
            await self._waiting.setdefault(moment, asyncio.Event()).wait()


def test_percentiles_are_nearest_rank_values_that_were_observed() -> None:
    values = [float(v) for v in range(1000, 0, -1)]
    assert percentile(values, 50) == 500
    assert percentile(values, 95) == 950
    assert percentile(values, 99) == 990
    assert percentile(values, 100) == 1000
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0], 50) == 1.0
    assert percentile([], 99) is None


async def test_requests_are_due_at_a_fixed_rate_until_stopped_after_the_minimum() -> None:
    clock, sent = FakeClock(), []
    stop = asyncio.Event()
    stop.set()  # the run already settled: the load still lasts its minimum

    async def send(number: int) -> tuple[str, int | None]:
        sent.append((number, clock()))
        return "board", 200

    tally = await open_loop(send, rate_per_s=100, stop=stop, min_seconds=2, max_seconds=60,
                            max_in_flight=10, clock=clock, sleep=clock.sleep)
    assert [n for n, _ in sent] == list(range(200))
    # never before it is due, and out before the next one is
    assert all(1000 + n / 100 - 1e-9 <= at <= 1000 + (n + 1) / 100 + 1e-9 for n, at in sent)
    assert sorted(o.due for o in tally.outcomes) == [1000 + n / 100 for n in range(200)]
    summary = tally.summary()
    assert summary["sent"] == 200 and summary["achieved_rate_per_s"] == 100.0
    assert summary["skipped_at_in_flight_cap"] == 0


async def test_the_load_ends_at_its_bound_or_soon_after_the_stop() -> None:
    clock = FakeClock()

    async def ok(number: int) -> tuple[str, int | None]:
        return "board", 200
    bounded = await open_loop(ok, rate_per_s=10, stop=asyncio.Event(), min_seconds=0,
                              max_seconds=1.5, max_in_flight=10, clock=clock,
                              sleep=clock.sleep)
    assert len(bounded.outcomes) == 15

    stop = asyncio.Event()

    async def stopping(number: int) -> tuple[str, int | None]:
        if number == 50:
            stop.set()
        return "board", 200
    stopped = await open_loop(stopping, rate_per_s=20, stop=stop, min_seconds=1,
                              max_seconds=60, max_in_flight=10, clock=clock,
                              sleep=clock.sleep)
    assert 51 <= len(stopped.outcomes) <= 53


async def test_a_request_due_while_the_cap_is_reached_is_skipped_not_queued() -> None:
    clock, release = FakeClock(), asyncio.Event()

    async def stuck(number: int) -> tuple[str, int | None]:
        await release.wait()
        return "file", 201
    running = asyncio.create_task(open_loop(
        stuck, rate_per_s=10, stop=asyncio.Event(), min_seconds=0, max_seconds=2,
        max_in_flight=5, clock=clock, sleep=clock.sleep))
    await asyncio.wait_for(clock.reached(1000.0 + 1.85), timeout=10)  # the last one due
    assert not running.done()  # the five in flight still wait for an answer
    release.set()
    tally = await running
    assert len(tally.outcomes) == 5 and tally.skipped == 15


def test_latency_counts_from_when_the_request_was_due_and_only_admitted_ones() -> None:
    tally = Tally(rate_per_s=4, began=0.0, ended=2.0)
    tally.outcomes = [
        Outcome("board", due=0.0, sent=0.0, status=200, done=0.010),
        Outcome("board", due=0.25, sent=0.35, status=200, done=0.40),  # the generator lagged
        Outcome("lookup", due=0.5, sent=0.5, status=404, done=0.52),
        Outcome("file", due=0.75, sent=0.75, status=201, done=0.78),
        Outcome("board", due=1.0, sent=1.0, status=429, done=1.001),
        Outcome("file", due=1.25, sent=1.25, status=503, done=1.30),
        Outcome("lookup", due=1.5, sent=1.5, status=None, done=1.9),
    ]
    summary = tally.summary()
    assert summary["sent"] == 7 and summary["achieved_rate_per_s"] == 3.5
    assert summary["admitted"] == 4
    assert summary["refused_429"] == 1 and summary["server_errors_5xx"] == 1
    assert summary["no_answer"] == 1
    assert summary["latency_admitted"] == {"n": 4, "p50_ms": 20.0, "p95_ms": 150.0,
                                           "p99_ms": 150.0, "max_ms": 150.0}
    assert summary["by_endpoint"]["board"]["n"] == 2
    assert summary["generator_lag"]["max_ms"] == 100.0


def _steady(**changes: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"achieved_rate_per_s": 199.0, "refused_429": 0,
                             "server_errors_5xx": 0, "no_answer": 0,
                             "latency_admitted": {"p99_ms": 120.0}}
    found.update(changes)
    return found


LIMITED = {"refused_429": 30, "every_429_has_retry_after": True, "server_errors_5xx": 0}


def test_the_verdict_fails_each_promise_whose_target_is_missed() -> None:
    kept = verdict(_steady(), LIMITED, 10.0, 11.9, 10.0, instances=2, identities=100)
    assert all(kept["promises"].values()) and kept["run_growth"] == 0.19
    slower = verdict(_steady(), LIMITED, 10.0, 12.5, 10.0, instances=2, identities=100)
    assert not slower["promises"]["public_load_run_growth_within_20pct"]
    for steady in (_steady(latency_admitted={"p99_ms": 300.0}),
                   _steady(achieved_rate_per_s=150.0), _steady(refused_429=3)):
        missed = verdict(steady, LIMITED, 10.0, 10.0, 10.0, instances=2, identities=100)
        assert not missed["promises"]["public_load_p99_under_300ms_at_200_per_s"]
    unlimited = verdict(_steady(), {**LIMITED, "refused_429": 0}, 10.0, 10.0, 10.0,
                        instances=2, identities=100)
    assert not unlimited["promises"]["public_load_429_past_the_limit"]
    for steady, limited in ((_steady(server_errors_5xx=1), LIMITED),
                            (_steady(no_answer=1), LIMITED),
                            (_steady(), {**LIMITED, "server_errors_5xx": 2})):
        failed = verdict(steady, limited, 10.0, 10.0, 10.0, instances=2, identities=100)
        assert not failed["promises"]["public_load_no_5xx"]


def test_the_load_phase_s_promises_join_the_campaign_s_and_decide_the_exit(
        monkeypatch: Any, tmp_path: Any) -> None:
    from siquan.tools.chaos import __main__ as cli
    from siquan.tools.chaos import partition, public_load

    async def campaign(options: Any, out: Any) -> dict[str, Any]:
        return {"benchmark": "chaos", "promises": {"nothing_lost": True}, "kept": True}

    async def cut(options: Any, out: Any, extra_env: Any) -> dict[str, Any]:
        return {"seconds": 1.0, "promises": {"partition_nothing_lost": True}}

    def phase(kept: bool) -> Any:
        async def load(options: Any, out: Any, extra_env: Any, load: Any) -> dict[str, Any]:
            assert load.rate_per_s == 200.0
            return {"run_growth": 0.1, "promises": {"public_load_no_5xx": kept}}
        return load
    monkeypatch.setattr(cli, "run", campaign)
    monkeypatch.setattr(public_load, "run", phase(False))
    monkeypatch.setattr(partition, "run", cut)
    result = tmp_path / "chaos.json"
    assert cli.main(["--seed", "1", "--result", str(result)]) == 1
    written = json.loads(result.read_text())
    assert written["promises"] == {"nothing_lost": True, "public_load_no_5xx": False,
                                   "partition_nothing_lost": True}
    assert written["public_load"] == {"run_growth": 0.1} and written["kept"] is False

    monkeypatch.setattr(public_load, "run", phase(True))
    assert cli.main(["--seed", "1", "--only", "public-load", "--result", str(result)]) == 0
    written = json.loads(result.read_text())
    assert written["promises"] == {"public_load_no_5xx": True}  # the campaign did not run


# -- the requests, against a real HTTP server on loopback ---------------------------------

async def test_the_traffic_names_each_client_keeps_filed_tracking_numbers_and_counts_5xx(
        ) -> None:
    from aiohttp import ClientSession, web

    from siquan.tools.chaos.public_load import LoadOptions, PublicTraffic, over_the_limit

    seen: list[tuple[str, str, str | None]] = []
    asked_by_burst = 0

    async def answer(request: web.Request) -> web.Response:
        nonlocal asked_by_burst
        client = request.headers.get("X-Forwarded-For")
        seen.append((request.method, request.path, client))
        if client == "203.0.113.9":
            asked_by_burst += 1
            if asked_by_burst > 3:
                return web.json_response({"detail": "slow down"}, status=429,
                                         headers={"Retry-After": "1"})
        if request.path.endswith("/T-broken"):
            return web.json_response({"detail": "boom"}, status=503)
        if request.method == "POST":
            return web.json_response({"tracking_number": f"T-{len(seen)}"}, status=201)
        return web.json_response({"notices": []})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with ClientSession(f"http://127.0.0.1:{port}") as http:
            traffic = PublicTraffic([http], identities=7, tracking=["T-broken"], seed=3)
            results = [await traffic.send(n) for n in range(60)]
            limited = await over_the_limit(http, LoadOptions(burst_max=20, burst_refusals=2))
        async with ClientSession("http://127.0.0.1:9") as nobody:  # discard port: refused
            unanswered = await PublicTraffic([nobody], 1, ["T-1"], seed=1).send(0)
    finally:
        await runner.cleanup()

    kinds = {kind for kind, _ in results}
    assert kinds == {"board", "archive", "lookup", "file"}
    filed = [s for kind, s in results if kind == "file"]
    assert filed and set(filed) == {201}
    assert len(traffic.tracking) == 1 + len(filed)  # each filed complaint is looked up later
    assert 503 in {s for kind, s in results if kind == "lookup"}  # a 5xx is reported as such
    clients = {client for _, _, client in seen if client != "203.0.113.9"}
    assert clients == {f"198.51.100.{n + 1}" for n in range(7)}
    assert limited["refused_429"] == 2 and limited["admitted_before_first_429"] == 3
    assert limited["every_429_has_retry_after"] and limited["server_errors_5xx"] == 0
    assert unanswered[1] is None
