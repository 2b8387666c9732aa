"""The relay's own marshalling of a message's content header gives the bytes pamqp's
`ContentHeader` gives for the same properties, whatever the headers hold."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pamqp import frame
from pamqp.commands import Basic
from pamqp.header import ContentHeader

from siquan.shared.relay import content_header

keys = st.text(min_size=1, max_size=40)
values = st.one_of(st.text(max_size=300), st.integers(-2**31, 2**31 - 1), st.booleans())
short = st.text(max_size=60)


def _pamqp(channel: int, size: int, headers: dict[str, object], message_id: str,
           correlation_id: str | None, message_type: str) -> bytes:
    return frame.marshal(ContentHeader(body_size=size, properties=Basic.Properties(
        headers=headers, message_id=message_id, correlation_id=correlation_id,
        message_type=message_type, content_type="application/json", delivery_mode=2)),
        channel)


@given(channel=st.integers(1, 2047), size=st.integers(0, 2**40),
       headers=st.dictionaries(keys, values, max_size=12), message_id=short,
       correlation_id=st.one_of(st.none(), short), message_type=short)
def test_the_header_is_the_one_pamqp_marshals(channel: int, size: int,
                                              headers: dict[str, object], message_id: str,
                                              correlation_id: str | None,
                                              message_type: str) -> None:
    ours = content_header(channel, size, headers, message_id=message_id,
                          correlation_id=correlation_id, message_type=message_type)
    assert ours == _pamqp(channel, size, headers, message_id, correlation_id, message_type)


def test_an_outbox_rows_header_is_the_one_pamqp_marshals() -> None:
    headers = {"x-siquan-producer": "eligibility", "x-siquan-type": "certification.granted",
               "x-siquan-occurred-at": "2026-03-01T08:00:00+08:00",
               "x-siquan-correlation-id": "0190a6f2-8c1e-7c4b-9a53-1f0e6f1d2c3b",
               "x-siquan-causation-id": "", "x-siquan-key-id": "eligibility-2026",
               "x-siquan-signature": "c2lnbmF0dXJl" * 7,
               "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
               "x-siquan-note": "户籍 核查"}
    ours = content_header(1, 1234, headers, message_id="0190a6f2-8c1e-7c4b-9a53-1f0e6f1d2c3c",
                          correlation_id=headers["x-siquan-correlation-id"],
                          message_type="certification.granted")
    assert ours == _pamqp(1, 1234, headers, "0190a6f2-8c1e-7c4b-9a53-1f0e6f1d2c3c",
                          headers["x-siquan-correlation-id"], "certification.granted")


def test_a_short_string_past_255_bytes_is_refused_as_pamqp_refuses_it() -> None:
    with pytest.raises(TypeError):
        _pamqp(1, 0, {}, "m" * 256, None, "t")
    with pytest.raises(OverflowError):
        content_header(1, 0, {}, message_id="m" * 256, correlation_id=None, message_type="t")
