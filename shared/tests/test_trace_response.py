"""Every answer names the trace its request started (W3C `traceresponse`): the server
span of the request, so an officer's problem report can name it."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from siquan.shared.runtime import TraceResponse
from siquan.shared.telemetry import instrument_http


async def test_the_answer_names_the_request_s_own_server_span() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    app.add_middleware(TraceResponse)
    instrument_http(app, provider)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        response = await client.get("/hello")

    [span] = exporter.get_finished_spans()  # the request's own span, no send/receive spans
    context = span.get_span_context()
    assert response.json() == {"hello": "world"}
    assert response.headers["traceresponse"] == (
        f"00-{context.trace_id:032x}-{context.span_id:016x}-01")
