"""OpenTelemetry: one tracer provider per service, exporting by OTLP when an endpoint is
configured (`OTEL_EXPORTER_OTLP_ENDPOINT`) and to a JSON-lines file when asked (tests read
spans of separate processes that way). FastAPI instrumentation starts a trace at the
officer's request; the outbox carries its `traceparent` in each message's headers and the
consumer continues it, so one trace crosses every hop."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)


def _json_line(span: ReadableSpan) -> str:
    return str(span.to_json(indent=None)) + "\n"


def setup_tracing(service: str, trace_file: Path | None) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": f"siquan.{service}"}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if trace_file is not None:
        trace_file.parent.mkdir(parents=True, exist_ok=True)
        out: TextIO = trace_file.open("a", encoding="utf-8", buffering=1)
        provider.add_span_processor(
            SimpleSpanProcessor(ConsoleSpanExporter(out=out, formatter=_json_line)))
    trace.set_tracer_provider(provider)  # the process's own spans (one service per process)
    return provider


def instrument_http(app: FastAPI, provider: TracerProvider,
                    meter_provider: MeterProvider | None = None) -> None:
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider,
                                       meter_provider=meter_provider,
                                       excluded_urls="health,metrics",
                                       # one span per request, not three more for its
                                       # ASGI messages: they cost every request and
                                       # tell nothing the request's own span does not
                                       exclude_spans=["receive", "send"])
