"""Writes the Grafana dashboards, one per power, under `infra/grafana/dashboards/`.

    python infra/grafana/dashboards.py          # rewrite the JSON files
    python infra/grafana/dashboards.py --check  # exit 1 when a committed file differs

The metrics are the ones the services expose (`METRICS`, also listed in
`infra/README.md`); every panel queries Prometheus by the job `siquan.<service>`, the
name both the scrape of a service's `/metrics` and the collector's OTLP metrics carry.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
POWERS = ("eligibility", "fund_custody", "disbursement", "oversight")
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}

METRICS: dict[str, str] = {
    "siquan_queue_depth": "gauge {queue}: messages ready in one of the service's queues",
    "siquan_consumer_lag_seconds": "gauge {queue}: now minus x-siquan-occurred-at of the "
                                   "last message handled",
    "siquan_outbox_backlog": "gauge: outbox rows written but not yet published",
    "siquan_dead_letters_total": "counter {queue}: messages dead-lettered",
    "siquan_messages_total": "counter {queue, type, outcome}: messages taken by the consumer; "
                             "outcome handled, duplicate, deferred or dead_lettered",
    "siquan_dead_letters_waiting": "gauge {service} (oversight): dead letters in its "
                                   "dead-letter queue, not yet replayed nor discarded "
                                   "(an operational alert, never a finding)",
    "siquan_payment_run_progress_ratio": "gauge {program_code, period} (disbursement): "
                                         "payments settled or failed / payments of the run",
    "http_server_request_duration_seconds": "histogram {http_route, http_request_method, "
                                            "http_response_status_code}: OTel "
                                            "`http.server.request.duration`",
}


def _panel(title: str, expr: str, legend: str, unit: str, *, kind: str = "timeseries",
           width: int = 12) -> dict[str, Any]:
    return {"type": kind, "title": title, "datasource": DATASOURCE,
            "gridPos": {"h": 8, "w": width, "x": 0, "y": 0},
            "targets": [{"refId": "A", "datasource": DATASOURCE, "expr": expr,
                         "legendFormat": legend}],
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []}, "options": {}}


def _panels(power: str) -> list[dict[str, Any]]:
    job = f'job="siquan.{power}"'
    panels = [
        _panel("Queue depth", f"sum by (queue) (siquan_queue_depth{{{job}}})", "{{queue}}",
               "short"),
        _panel("Consumer lag", f"max by (queue) (siquan_consumer_lag_seconds{{{job}}})",
               "{{queue}}", "s"),
        _panel("Messages handled per second",
               f"sum by (type, outcome) (rate(siquan_messages_total{{{job}}}[5m]))",
               "{{type}} {{outcome}}", "ops"),
        _panel("Dead letters (last hour)",
               f"sum by (queue) (increase(siquan_dead_letters_total{{{job}}}[1h]))",
               "{{queue}}", "short"),
        _panel("Outbox backlog", f"sum(siquan_outbox_backlog{{{job}}})", "unpublished",
               "short"),
        _panel("HTTP p95 latency by route",
               "histogram_quantile(0.95, sum by (le, http_route) "
               f"(rate(http_server_request_duration_seconds_bucket{{{job}}}[5m])))",
               "{{http_route}}", "s"),
    ]
    if power == "disbursement":
        panels.append(_panel("Payment run progress",
                             f"siquan_payment_run_progress_ratio{{{job}}}",
                             "{{program_code}} {{period}}", "percentunit", kind="bargauge",
                             width=24))
    if power == "oversight":
        panels.append(_panel("Dead letters waiting (findings of absence wait too)",
                             f"max(siquan_dead_letters_waiting{{{job}}})", "waiting",
                             "short", kind="stat", width=24))
    for index, panel in enumerate(panels):
        panel["id"] = index + 1
        panel["gridPos"].update(x=(index % 2) * 12, y=(index // 2) * 8)
    return panels


def dashboard(power: str) -> dict[str, Any]:
    return {"uid": f"siquan-{power.replace('_', '-')}", "title": f"Siquan: {power}",
            "description": f"Queues, consumers, outbox, dead letters and HTTP of {power}",
            "tags": ["siquan", power], "timezone": "utc", "schemaVersion": 39,
            "version": 1, "editable": False, "refresh": "30s",
            "time": {"from": "now-6h", "to": "now"}, "templating": {"list": []},
            "annotations": {"list": []}, "panels": _panels(power)}


def files() -> dict[Path, str]:
    return {HERE / "dashboards" / f"{power}.json":
            json.dumps(dashboard(power), indent=2, ensure_ascii=False) + "\n"
            for power in POWERS}


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = [str(p) for p, text in files().items()
                 if not p.exists() or p.read_text("utf-8") != text]
        for name in stale:
            print(f"{name} differs: run python infra/grafana/dashboards.py")
        return 1 if stale else 0
    for path, text in files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
