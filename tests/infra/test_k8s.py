"""The Kubernetes manifests, rendered from their kustomizations without a cluster or a
kustomize binary, validated against the Kubernetes JSON schemas (strict: an unknown field
fails), and checked for what a deployment needs: N instances of each service probed on
/health/ready and /health, a RabbitMQ cluster of three loading the topology's definitions
from a ConfigMap, PostgreSQL, and no secret value in the repository."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import kubernetes_validate
import pytest
import yaml

from siquan.contracts.topology import SERVICES, SUBSCRIPTIONS, VHOST
from siquan.shared.broker_definitions import broker_users, dev_password

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "infra" / "k8s"
KUBERNETES = "1.31.0"
Resource = dict[str, Any]


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"k8s_{name}", K8S / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RENDER = _module("render")
BASE = RENDER.build(K8S / "base")
OVERLAY = RENDER.build(K8S / "overlays" / "production")


def _named(resources: list[Resource], kind: str, name: str) -> Resource:
    found: Resource = next(r for r in resources if r["kind"] == kind and
                           r["metadata"]["name"] == name)
    return found


def _containers(resource: Resource) -> list[Resource]:
    pod = resource["spec"]["template"]["spec"]
    containers: list[Resource] = [*pod.get("initContainers", []), *pod["containers"]]
    return containers


@pytest.mark.parametrize("resource", OVERLAY + BASE, ids=lambda r: f"{r['kind']}/"
                         f"{r['metadata']['name']}/{r['metadata'].get('namespace', '-')}")
def test_every_rendered_resource_is_valid_kubernetes(resource: Resource) -> None:
    assert kubernetes_validate.validate(resource, KUBERNETES, strict=True)


def test_a_misspelt_field_fails_the_validation() -> None:
    broken = copy.deepcopy(_named(OVERLAY, "Deployment", "eligibility"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


def test_the_renderer_refuses_what_it_does_not_implement(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\npatches: []\n", "utf-8")

    with pytest.raises(RENDER.Unsupported, match="patches"):
        RENDER.build(tmp_path)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_n_instances_probed_on_its_health_endpoints(service: str) -> None:
    name = service.replace("_", "-")
    deployment = _named(OVERLAY, "Deployment", name)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    port = {p["name"]: p["containerPort"] for p in container["ports"]}["http"]

    assert _named(BASE, "Deployment", name)["spec"]["replicas"] == 2
    assert deployment["spec"]["replicas"] == 3
    assert container["image"] == f"registry.siquan.example/siquan/{name}:0.1.0"
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert port == 8000
    config = _named(OVERLAY, "ConfigMap", f"siquan-{name}-config")["data"]
    assert config["SIQUAN_HTTP_PORT"] == "8000" and config["OTEL_SERVICE_NAME"] == service
    service_port = _named(OVERLAY, "Service", name)["spec"]["ports"][0]
    assert service_port["targetPort"] == "http"


def test_rabbitmq_is_a_cluster_of_three_loading_the_topology_from_a_configmap() -> None:
    rabbitmq = _named(OVERLAY, "StatefulSet", "siquan-rabbitmq")
    volumes = {v["name"]: v for v in rabbitmq["spec"]["template"]["spec"]["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in _containers(rabbitmq)[-1]["volumeMounts"]}
    sources = volumes["definitions"]["projected"]["sources"]
    config = _named(OVERLAY, "ConfigMap", "siquan-rabbitmq-config")["data"]["20-siquan.conf"]
    definitions = json.loads(_named(OVERLAY, "ConfigMap", "siquan-rabbitmq-definitions")[
        "data"]["10-topology.json"])

    assert rabbitmq["spec"]["replicas"] == 3
    assert [s.get("configMap", s.get("secret"))["name"] for s in sources] == [
        "siquan-rabbitmq-definitions", "siquan-rabbitmq-users"]
    assert f"definitions.local.path = {mounts['definitions']}" in config
    assert definitions["vhosts"] == [{"name": VHOST}] and "users" not in definitions
    subscriptions = {s.queue for s in SUBSCRIPTIONS}
    assert definitions["queues"] and all(
        q["arguments"]["x-queue-type"] == "quorum" for q in definitions["queues"])
    assert all(q["arguments"].get("x-dead-letter-exchange") for q in definitions["queues"]
               if q["name"] in subscriptions)
    assert _module("topology").main(["--check"]) == 0, "run python infra/k8s/topology.py"


def test_postgresql_runs_as_a_statefulset_initialised_without_committed_passwords() -> None:
    postgres = _named(OVERLAY, "StatefulSet", "siquan-postgres")
    script = _named(OVERLAY, "ConfigMap", "siquan-postgres-init")["data"]["10-siquan.sh"]

    assert postgres["spec"]["volumeClaimTemplates"]
    assert all(f"siquan_{service}" in script for service in SERVICES)
    assert "/etc/siquan/postgres-roles/" in script and "PASSWORD :'password'" in script


def _text(resources: list[Resource]) -> str:
    return yaml.safe_dump_all(resources)


def test_no_secret_value_is_committed() -> None:
    rendered = _text(OVERLAY)
    sensitive = re.compile(r"(URL|DSN|SECRET|PASSWORD|TOKEN|KEY)$")
    literal = [(w["metadata"]["name"], e["name"]) for w in OVERLAY if w["kind"] in (
        "Deployment", "StatefulSet") for c in _containers(w) for e in c.get("env", [])
        if sensitive.search(e["name"]) and "valueFrom" not in e]

    assert [r for r in OVERLAY if r["kind"] == "Secret"] == []
    assert literal == []
    assert [u for u in broker_users() if dev_password(u) in rendered] == []
    assert "password_hash" not in rendered and "BEGIN PRIVATE KEY" not in rendered


def _references(resources: list[Resource], kind: str) -> set[str]:
    key = {"Secret": ("secretKeyRef", "secretRef", "secret"),
           "ConfigMap": ("configMapKeyRef", "configMapRef", "configMap")}[kind]
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                if name in key and isinstance(value, dict):
                    found.add(value.get("name") or value.get("secretName"))
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(resources)
    return found - {None}


def test_every_configmap_used_is_rendered_and_every_secret_used_is_documented() -> None:
    rendered = {r["metadata"]["name"] for r in OVERLAY if r["kind"] == "ConfigMap"}
    readme = (K8S / "README.md").read_text("utf-8")

    assert _references(OVERLAY, "ConfigMap") <= rendered
    secrets = _references(OVERLAY, "Secret")
    assert len(secrets) >= 10
    assert sorted(s for s in secrets if f"`{s}`" not in readme) == []


def test_the_overlay_puts_every_namespaced_resource_in_its_namespace() -> None:
    namespaced = [r for r in OVERLAY if r["kind"] not in RENDER.CLUSTER_SCOPED]
    binding = _named(OVERLAY, "RoleBinding", "siquan-rabbitmq-peer-discovery")

    assert {r["metadata"].get("namespace") for r in namespaced} == {"siquan"}
    assert binding["subjects"][0]["namespace"] == "siquan"
    assert all(r["metadata"]["labels"]["app.kubernetes.io/part-of"] == "siquan"
               for r in OVERLAY if r["kind"] != "Namespace")
