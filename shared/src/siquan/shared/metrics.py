"""OpenTelemetry metrics of a service instance, exported by OTLP when an endpoint is
configured and always scrapeable at `/metrics` in Prometheus' text format:

- `siquan_messages_total{queue,outcome}`: messages handled (outcome `handled`,
  `duplicate`, `deferred`, `dead_lettered`);
- `siquan_dead_letters_total{queue}`: messages this instance dead-lettered;
- `siquan_batch_duration_seconds{queue}`: time to handle one batch (histogram);
- `siquan_queue_depth{queue}`: messages ready in each queue the service consumes;
- `siquan_consumer_lag_seconds{queue}`: age of the newest message handled (0 when the
  queue is empty);
- `siquan_outbox_backlog`: events committed but not yet published;
- `siquan_dependency_up{dependency}`: 1 while the database (`database`) or the broker
  (`broker`) answers this instance, 0 while it does not (restarted, refusing, at its
  connection or open-file limit);
- `http_server_duration_milliseconds`: the operator API's latency (FastAPI
  instrumentation).

A service adds its own gauges with `ServiceMetrics.gauge`: disbursement's
`siquan_payment_run_progress_ratio{run_id,program_code,period}`, the share of each of the
latest runs' payees whose chunk is done.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource


class Gauge:
    """A value set by the code and read by the exporters, by label set."""

    def __init__(self) -> None:
        self._values: dict[tuple[tuple[str, str], ...], float] = {}

    def set(self, value: float, **labels: str) -> None:
        self._values[tuple(sorted(labels.items()))] = value

    def forget(self, **labels: str) -> None:
        self._values.pop(tuple(sorted(labels.items())), None)

    def observe(self, _: CallbackOptions) -> Iterable[Observation]:
        return [Observation(v, dict(k)) for k, v in list(self._values.items())]


class ServiceMetrics:
    def __init__(self, meter: Meter) -> None:
        self._meter = meter
        self.messages = meter.create_counter(
            "siquan_messages", description="Messages handled, by queue and outcome")
        self.dead_letters = meter.create_counter(
            "siquan_dead_letters", description="Messages dead-lettered, by queue")
        self.batch_duration = meter.create_histogram(
            "siquan_batch_duration", unit="s", description="Time to handle one batch")
        self.queue_depth = self.gauge("siquan_queue_depth", "Messages ready in the queue")
        self.consumer_lag = self.gauge("siquan_consumer_lag_seconds",
                                       "Age of the newest message handled")
        self.outbox_backlog = self.gauge("siquan_outbox_backlog",
                                         "Events committed but not yet published")
        self.dependency_up = self.gauge("siquan_dependency_up",
                                        "1 while the dependency answers, 0 while not")

    def gauge(self, name: str, description: str) -> Gauge:
        gauge = Gauge()
        self._meter.create_observable_gauge(name, callbacks=[gauge.observe],
                                            description=description)
        return gauge


def setup_metrics(service: str) -> tuple[MeterProvider, ServiceMetrics]:
    readers: list[MetricReader] = [PrometheusMetricReader()]
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    provider = MeterProvider(metric_readers=readers,
                             resource=Resource.create({"service.name": f"siquan.{service}"}))
    return provider, ServiceMetrics(provider.get_meter(f"siquan.{service}"))
