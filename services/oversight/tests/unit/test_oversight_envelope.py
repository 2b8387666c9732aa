"""Reading the audit envelope off a message's headers, and division scope."""

from __future__ import annotations

from datetime import UTC, datetime

from siquan.oversight.domain.envelope import envelope_of, trace_id_of
from siquan.oversight.domain.reconciliation import advance, covers, division_prefix

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_the_trace_id_is_read_from_a_w3c_traceparent() -> None:
    assert trace_id_of(f"00-{TRACE}-00f067aa0ba902b7-01") == TRACE


def test_an_absent_or_malformed_traceparent_gives_no_trace_id() -> None:
    assert [trace_id_of(v) for v in (None, "", "garbage", f"00-{'0' * 32}-00f067aa0ba902b7-01")
            ] == [None, None, None, None]


def test_the_envelope_takes_identity_and_times_from_the_signed_headers() -> None:
    received = datetime(2026, 11, 1, tzinfo=UTC)
    envelope = envelope_of(
        "0190F0C8-0000-7000-8000-000000000001",
        {"x-siquan-producer": "fund_custody", "x-siquan-type": "allocation.approved.v1",
         "x-siquan-occurred-at": "2026-11-01T08:00:00+08:00",
         "x-siquan-correlation-id": "c1", "x-siquan-causation-id": "",
         "x-siquan-signature": "sig", "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"},
        {"run_id": "r"}, received)
    assert envelope.message_id == "0190f0c8-0000-7000-8000-000000000001"
    assert (envelope.producer, envelope.message_type) == ("fund_custody",
                                                          "allocation.approved.v1")
    assert envelope.occurred_at == datetime(2026, 11, 1, tzinfo=UTC)
    assert (envelope.correlation_id, envelope.causation_id) == ("c1", None)
    assert (envelope.trace_id, envelope.signature) == (TRACE, "sig")


def test_a_province_covers_its_counties_and_a_county_only_itself() -> None:
    assert (division_prefix("420000"), division_prefix("420100"),
            division_prefix("420110")) == ("42", "4201", "420110")
    assert covers("420000", "420117") and covers("420100", "420117")
    assert not covers("420110", "420111")


def test_a_run_status_never_moves_backwards() -> None:
    assert advance("settled", "paying") == "settled"
    assert advance("allocated", "completed") == "completed"
    assert advance(None, "paying") == "paying"
