"""A phase that cannot finish is reported, not raised: its reason under the phase, its
promise `<phase>_completed` broken, a non-zero exit, and the other phases' results kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from siquan.tools.chaos import __main__ as cli
from siquan.tools.chaos import partition, public_load
from siquan.tools.chaos.phases import PhaseFailed, reason_of


def test_a_reason_names_the_failure_even_when_it_has_no_message() -> None:
    assert reason_of(httpx.ReadTimeout("")) == "ReadTimeout"
    assert reason_of(ConnectionRefusedError(111, "Connection refused")) == (
        "ConnectionRefusedError: [Errno 111] Connection refused")
    assert reason_of(PhaseFailed("POST /runs for 2026-02: no answer")) == (
        "POST /runs for 2026-02: no answer")


def _phases(monkeypatch: pytest.MonkeyPatch, *, campaign: Any = None, load: Any = None,
            cut: Any = None) -> None:
    async def kept_campaign(options: Any, out: Any) -> dict[str, Any]:
        return {"benchmark": "chaos", "seed": options.seed,
                "promises": {"nothing_lost": True}, "kept": True}

    async def kept_load(options: Any, out: Any, extra_env: Any, load: Any
                        ) -> dict[str, Any]:
        return {"run_growth": 0.1, "promises": {"public_load_no_5xx": True}}

    async def kept_cut(options: Any, out: Any, extra_env: Any) -> dict[str, Any]:
        return {"seconds": 1.0, "promises": {"partition_nothing_lost": True}}
    monkeypatch.setattr(cli, "run", campaign or kept_campaign)
    monkeypatch.setattr(public_load, "run", load or kept_load)
    monkeypatch.setattr(partition, "run", cut or kept_cut)


def test_a_load_phase_that_timed_out_is_a_broken_promise_and_the_others_report(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    async def timed_out(options: Any, out: Any, extra_env: Any, load: Any
                        ) -> dict[str, Any]:
        raise PhaseFailed("POST /runs for 2026-02: disbursement did not answer within"
                          " 60 s (ReadTimeout)",
                          {"run_seconds": {"baseline_before": 8.5}})
    _phases(monkeypatch, load=timed_out)
    result = tmp_path / "chaos.json"

    assert cli.main(["--seed", "153918758", "--result", str(result)]) == 1

    written = json.loads(result.read_text())
    assert written["public_load"] == {
        "failed": "POST /runs for 2026-02: disbursement did not answer within 60 s"
                  " (ReadTimeout)",
        "run_seconds": {"baseline_before": 8.5}}
    assert written["promises"] == {"nothing_lost": True, "public_load_completed": False,
                                   "partition_nothing_lost": True}
    assert written["kept"] is False
    assert "Traceback" not in capsys.readouterr().out


@pytest.mark.parametrize("failure", [httpx.ConnectError("All connection attempts failed"),
                                     ConnectionRefusedError(111, "Connection refused"),
                                     RuntimeError("instance disbursement-1 exited")])
def test_any_failure_of_any_phase_is_reported_with_its_reason(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, failure: Exception) -> None:
    async def broken(*args: Any) -> dict[str, Any]:
        raise failure
    _phases(monkeypatch, campaign=broken, cut=broken)
    result = tmp_path / "chaos.json"

    assert cli.main(["--seed", "1", "--result", str(result)]) == 1

    written = json.loads(result.read_text())
    assert written["campaign"] == {"failed": reason_of(failure)}
    assert written["partition"] == {"failed": reason_of(failure)}
    assert written["public_load"] == {"run_growth": 0.1}  # ran between the two
    assert written["promises"] == {"campaign_completed": False, "public_load_no_5xx": True,
                                   "partition_completed": False}
    assert written["seed"] == 1


def test_only_the_load_phase_failing_exits_non_zero(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    async def refused(*args: Any) -> dict[str, Any]:
        raise httpx.ConnectError("All connection attempts failed")
    _phases(monkeypatch, load=refused)
    result = tmp_path / "chaos.json"

    assert cli.main(["--seed", "1", "--only", "public-load", "--result", str(result)]) == 1

    written = json.loads(result.read_text())
    assert written["promises"] == {"public_load_completed": False}
    assert written["public_load"]["failed"] == (
        "ConnectError: All connection attempts failed")


class _Clock:
    def set(self, at: Any) -> None:
        self.at = at


class _Cluster:
    clock = _Clock()

    def url(self, service: str) -> str:
        return f"http://{service}.invalid"


async def test_a_run_start_that_times_out_names_the_request_and_its_bound(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def no_answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("", request=request)
    real = httpx.AsyncClient
    monkeypatch.setattr(httpx, "AsyncClient", lambda **kw: real(
        transport=httpx.MockTransport(no_answer), **kw))

    with pytest.raises(PhaseFailed) as failed:
        await public_load._timed_run(_Cluster(), 2, start_timeout_s=60)  # type: ignore[arg-type]

    assert failed.value.reason == ("POST /runs for 2027-02: disbursement did not answer"
                                   " within 60 s (ReadTimeout)")


async def test_a_refused_run_start_names_the_status(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"detail": "database unavailable"})
    real = httpx.AsyncClient
    monkeypatch.setattr(httpx, "AsyncClient", lambda **kw: real(
        transport=httpx.MockTransport(unavailable), **kw))

    with pytest.raises(PhaseFailed) as failed:
        await public_load._timed_run(_Cluster(), 3)  # type: ignore[arg-type]

    assert failed.value.reason.startswith("POST /runs for 2027-03: disbursement answered 503")
