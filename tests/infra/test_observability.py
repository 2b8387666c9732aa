"""The observability stack of `docker compose up`, checked statically: the collector sends
traces to Jaeger and metrics to Prometheus, Prometheus scrapes every service, Grafana is
provisioned from files that exist and parse, one dashboard per power, on metrics that are
documented."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from siquan.contracts.topology import SERVICES

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"


def _yaml(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return loaded


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _yaml(ROOT / "docker-compose.yml")


@pytest.fixture(scope="module")
def dashboards_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dashboards", INFRA / "grafana/dashboards.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mounts(compose: dict[str, Any], service: str) -> dict[str, Path]:
    """Container path → host path of a service's bind mounts."""
    found = {}
    for volume in compose["services"][service].get("volumes", []):
        if not isinstance(volume, str):
            continue  # a named volume in the long syntax (the secrets), not a bind mount
        host, container = volume.split(":")[:2]
        if host.startswith("./"):
            found[container] = ROOT / host
    return found


def test_compose_runs_the_collector_jaeger_prometheus_and_grafana(
        compose: dict[str, Any]) -> None:
    services = compose["services"]

    assert {"otel-collector", "jaeger", "prometheus", "grafana"} <= set(services)
    assert services["jaeger"]["image"].startswith("jaegertracing/")
    assert services["prometheus"]["image"].startswith("prom/prometheus:")
    assert services["grafana"]["image"].startswith("grafana/grafana:")
    for service in SERVICES:
        environment = services[service]["environment"]
        assert environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
        assert environment["OTEL_SERVICE_NAME"] == service


def test_the_collector_sends_traces_to_jaeger_and_metrics_to_prometheus(
        compose: dict[str, Any]) -> None:
    config = _yaml(_mounts(compose, "otel-collector")["/etc/otelcol-contrib/config.yaml"])
    pipelines = config["service"]["pipelines"]
    exporters = config["exporters"]

    assert pipelines["traces"]["exporters"] == ["otlp/jaeger"]
    assert exporters["otlp/jaeger"]["endpoint"].split(":")[0] in compose["services"]
    assert pipelines["metrics"]["exporters"] == ["prometheus"]
    for pipeline in pipelines.values():
        assert set(pipeline["receivers"]) <= set(config["receivers"])
        assert set(pipeline["processors"]) <= set(config["processors"])
        assert set(pipeline["exporters"]) <= set(exporters)


def test_prometheus_scrapes_every_service_and_the_collector(compose: dict[str, Any]) -> None:
    config = _yaml(_mounts(compose, "prometheus")["/etc/prometheus/prometheus.yml"])
    targets = {job["job_name"]: [t for c in job["static_configs"] for t in c["targets"]]
               for job in config["scrape_configs"]}
    collector = _yaml(_mounts(compose, "otel-collector")["/etc/otelcol-contrib/config.yaml"])
    exporter_port = collector["exporters"]["prometheus"]["endpoint"].rsplit(":", 1)[1]

    for service in SERVICES:
        assert targets[f"siquan.{service}"] == [f"{service}:8000"]
    assert targets["otel-collector"] == [f"otel-collector:{exporter_port}"]
    assert {t.split(":")[0] for ts in targets.values() for t in ts} <= set(compose["services"])


def test_grafanas_provisioning_files_exist_and_parse(compose: dict[str, Any]) -> None:
    mounts = _mounts(compose, "grafana")
    provisioning = mounts["/etc/grafana/provisioning"]
    files = sorted(provisioning.rglob("*.yaml"))
    providers = _yaml(provisioning / "dashboards/siquan.yaml")["providers"]
    sources = _yaml(provisioning / "datasources/siquan.yaml")["datasources"]

    assert [f.relative_to(provisioning).as_posix() for f in files] == [
        "dashboards/siquan.yaml", "datasources/siquan.yaml"]
    assert all(isinstance(_yaml(f), dict) for f in files)
    assert [mounts[p["options"]["path"]] for p in providers] == [INFRA / "grafana/dashboards"]
    assert {s["type"]: s["url"].split("//")[1].split(":")[0] for s in sources} == {
        "prometheus": "prometheus", "jaeger": "jaeger"}


def test_there_is_one_dashboard_per_power_each_parsing_and_on_a_provisioned_source(
        compose: dict[str, Any]) -> None:
    folder = _mounts(compose, "grafana")["/var/lib/grafana/dashboards/siquan"]
    uids = {s["uid"] for s in _yaml(folder.parent / "provisioning/datasources/siquan.yaml")[
        "datasources"]}
    dashboards = {p.stem: json.loads(p.read_text("utf-8")) for p in folder.glob("*.json")}

    assert set(dashboards) == set(SERVICES)
    for power, dashboard in dashboards.items():
        assert dashboard["panels"] and power in dashboard["title"]
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] in uids
            assert all(f'job="siquan.{power}"' in t["expr"] for t in panel["targets"])
    assert len({d["uid"] for d in dashboards.values()}) == len(SERVICES)


def test_the_committed_dashboards_are_what_their_generator_writes(
        dashboards_module: ModuleType) -> None:
    assert dashboards_module.main(["--check"]) == 0, "run python infra/grafana/dashboards.py"


def _metrics_in(expr: str) -> set[str]:
    names = set(re.findall(r"\b([a-z_]+)\{", expr))  # a metric, then its label matchers
    return {re.sub(r"_(bucket|sum|count)$", "", name) for name in names}


def test_every_metric_on_a_dashboard_is_documented_and_every_documented_one_shown(
        dashboards_module: ModuleType) -> None:
    shown = {name for path in (INFRA / "grafana/dashboards").glob("*.json")
             for panel in json.loads(path.read_text("utf-8"))["panels"]
             for target in panel["targets"] for name in _metrics_in(target["expr"])}
    readme = (INFRA / "README.md").read_text("utf-8")

    assert shown == set(dashboards_module.METRICS)
    assert [name for name in dashboards_module.METRICS if f"`{name}`" not in readme] == []
    assert "siquan_payment_run_progress_ratio" in json.dumps(
        dashboards_module.dashboard("disbursement"))
