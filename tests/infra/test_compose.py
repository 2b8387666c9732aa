"""`docker compose up` without a Docker engine: the files it reads are checked statically.

docker-compose.yml must be valid against the Compose Specification's JSON Schema, each of
the four services must be built from its own Dockerfile and run with its own broker user
and database role, and the committed broker definitions and PostgreSQL init script must be
exactly what the provisioning module generates from the topology today.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from siquan.contracts.topology import SERVICES, VHOST
from siquan.shared.broker_definitions import broker_topology, broker_users, dev_password

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = Path("shared") / "schemas" / "compose-spec.json"
REGENERATE = "regenerate with `python -m siquan.shared.provision topology`"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    return loaded


@pytest.fixture
def no_password_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    for user in broker_users():
        monkeypatch.delenv(f"SIQUAN_BROKER_PASSWORD_{user.upper()}", raising=False)


def _compose_schema() -> Path:
    """The Compose Specification's schema in the `shared/` folder beside the checkout (a
    clone's, or a work tree's further up)."""
    for folder in ROOT.parents:
        if (folder / SCHEMA_PATH).is_file():
            return folder / SCHEMA_PATH
    raise FileNotFoundError(f"no {SCHEMA_PATH} beside {ROOT} or above it")


def test_the_compose_file_is_valid_against_the_compose_specification(
        compose: dict[str, Any]) -> None:
    schema = json.loads(_compose_schema().read_text("utf-8"))  # declares draft-07

    jsonschema.Draft7Validator(schema).validate(compose)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_built_from_its_own_dockerfile(
        compose: dict[str, Any], service: str) -> None:
    build = compose["services"][service]["build"]
    dockerfile = ROOT / build["dockerfile"]

    assert build["context"] == "."
    assert build["dockerfile"] == f"services/{service}/Dockerfile"
    assert f"--package siquan-{service.replace('_', '-')}" in dockerfile.read_text("utf-8")
    assert f'"siquan.{service}"' in dockerfile.read_text("utf-8")


def _secret_mounts(service: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in service.get("volumes", [])
            if isinstance(v, dict) and v.get("source") == "siquan-secrets"]


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_mounts_only_its_own_secrets_read_only(
        compose: dict[str, Any], service: str) -> None:
    definition = compose["services"][service]
    environment = definition["environment"]

    (mount,) = _secret_mounts(definition)
    assert mount["volume"]["subpath"] == service and mount["read_only"] is True
    assert environment["SIQUAN_SECRETS_DIR"] == mount["target"]
    assert not {"SIQUAN_AMQP_URL", "SIQUAN_PG_DSN", "SIQUAN_PERSON_KEY_SECRET"} & set(
        environment)


def test_no_development_secret_appears_in_the_compose_file() -> None:
    text = (ROOT / "docker-compose.yml").read_text("utf-8")

    assert [u for u in (*broker_users(), "postgres", "grafana") if dev_password(u) in text] == []
    assert "-dev@" not in text and "PASSWORD:" not in text


def test_the_broker_database_and_grafana_read_what_provisioning_generated(
        compose: dict[str, Any]) -> None:
    services = compose["services"]
    subpaths = {name: {m["volume"]["subpath"] for m in _secret_mounts(services[name])}
                for name in ("rabbitmq", "postgres", "grafana")}

    assert subpaths == {"rabbitmq": {"rabbitmq"}, "postgres": {"postgres", "postgres-superuser"},
                        "grafana": {"grafana"}}
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"].startswith("/run/")
    assert "provision" in services["rabbitmq"]["depends_on"]
    assert services["provision"]["command"][3] == "deployment"


def test_no_two_services_share_secrets_or_a_host_port(compose: dict[str, Any]) -> None:
    services = [compose["services"][name] for name in SERVICES]

    assert len({_secret_mounts(s)[0]["volume"]["subpath"] for s in services}) == len(SERVICES)
    assert len({port for s in services for port in s["ports"]}) == len(SERVICES)


def test_the_committed_broker_topology_matches_the_code() -> None:
    committed = json.loads((ROOT / "infra/rabbitmq/topology.json").read_text("utf-8"))

    assert committed == broker_topology(VHOST), REGENERATE


def test_every_file_and_folder_the_compose_file_mounts_exists(compose: dict[str, Any]) -> None:
    mounted = [volume.split(":")[0] for service in compose["services"].values()
               for volume in service.get("volumes", [])
               if isinstance(volume, str) and volume.startswith("./")]

    assert mounted
    assert [path for path in mounted if not (ROOT / path).exists()] == []


def test_every_published_port_binds_to_loopback_only(compose: dict[str, Any]) -> None:
    published = [str(port) for service in compose["services"].values()
                 for port in service.get("ports", [])]

    assert len(published) >= 10
    assert [port for port in published if not port.startswith("127.0.0.1:")] == []
