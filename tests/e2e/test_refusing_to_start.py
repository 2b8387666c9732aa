"""Outside development mode no service starts without its secrets or with a development
value in one: each exits naming what is missing, before it touches the broker or the
database. No production configuration (compose, Kubernetes) holds a development value or
switches development mode on."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from siquan.contracts.topology import SERVICES
from siquan.shared.provision import PERSON_KEY_HOLDERS
from siquan.shared.settings import DEVELOPMENT_PERSON_KEY_SECRET

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
MODE = re.compile(r"SIQUAN_MODE\W+(?:value\W+)?(\w+)")  # compose's and Kubernetes' forms
SECRETS = {"SIQUAN_AMQP_URL": "amqp://someone:s3cret@127.0.0.1:5672/siquan",
           "SIQUAN_PG_DSN": "postgresql://someone:s3cret@127.0.0.1:5432/siquan",
           "SIQUAN_PERSON_KEY_SECRET": "a-secret-of-this-deployment"}


def start(service: str, variables: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SIQUAN_")}
    return subprocess.run([sys.executable, "-m", f"siquan.{service}"], cwd=cwd,
                          env={**inherited, **variables}, capture_output=True, text=True,
                          timeout=120, check=False)


def needed(service: str) -> list[str]:
    names = ["SIQUAN_AMQP_URL", "SIQUAN_PG_DSN"]
    if service == "eligibility":  # it derives each partner agency's pseudonyms
        names.append("SIQUAN_PARTNER_PSEUDONYM_KEYS")
    return [*names, "SIQUAN_PERSON_KEY_SECRET"] if service in PERSON_KEY_HOLDERS else names


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_missing_a_secret_refuses_to_start_naming_it(service: str,
                                                               tmp_path: Path) -> None:
    for missing in needed(service):
        given = {k: v for k, v in SECRETS.items() if k != missing}

        started = start(service, given, tmp_path)

        assert started.returncode != 0
        assert "refuses to start" in started.stderr and missing in started.stderr
        assert "s3cret" not in started.stderr + started.stdout


def test_a_development_secret_is_refused_outside_development_mode(tmp_path: Path) -> None:
    started = start("oversight", {**SECRETS,
                                  "SIQUAN_PERSON_KEY_SECRET": DEVELOPMENT_PERSON_KEY_SECRET},
                    tmp_path)

    assert started.returncode != 0
    assert "SIQUAN_PERSON_KEY_SECRET" in started.stderr and "development" in started.stderr


def test_no_production_configuration_holds_a_development_value() -> None:
    files = [ROOT / "docker-compose.yml", *sorted((ROOT / "infra" / "k8s").rglob("*.yaml")),
             *sorted((ROOT / "infra" / "k8s").rglob("*.json"))]
    offending = [str(f.relative_to(ROOT)) for f in files
                 if any(marker in f.read_text("utf-8")
                        for marker in (DEVELOPMENT_PERSON_KEY_SECRET, "-dev@", "development"))
                 or set(MODE.findall(f.read_text("utf-8"))) - {"production"}]

    assert len(files) > 3 and offending == []
