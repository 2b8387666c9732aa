"""Schemathesis against the four services as processes on the real broker and databases:
every operation of each service's own OpenAPI document, its boundary values and generated
requests (valid and invalid), once with an officer's credentials and once without. No
request may be answered with a server error (5xx).

`SIQUAN_FUZZ_EXAMPLES` bounds the generated requests per operation (default small, so the
module stays within a few minutes); `SIQUAN_FUZZ_SEED` makes a run reproducible.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from siquan.shared.operator.client import Officers
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import Environment

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("SIQUAN_FUZZ_EXAMPLES", "5"))
SEED = os.environ.get("SIQUAN_FUZZ_SEED", "20270101")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")

CLERKS_OWN = (r"^(submit_applications_post|import_survey_applications_import_post|add_evidence_.*"
              r"|file_evidence_archive_.*)$")
EVERY_PHASE = ["--phases", "examples,coverage,fuzzing"]
GENERATED = ["--phases", "examples,fuzzing"]
RUNS: list[tuple[str, str | None, list[str]]] = [
    ("eligibility", Officers.clerk, [*EVERY_PHASE, "--include-operation-id-regex", CLERKS_OWN]),
    ("eligibility", "dual-420117-01",
     [*EVERY_PHASE, "--exclude-operation-id-regex", CLERKS_OWN]),
    ("fund_custody", Officers.treasury, EVERY_PHASE),
    ("disbursement", Officers.disburser, EVERY_PHASE),
    ("oversight", Officers.auditor, [*EVERY_PHASE, "--exclude-path-regex", "^/public"]),
    ("oversight", None, [*EVERY_PHASE, "--include-path-regex", "^/public"]),
    ("oversight", None, [*GENERATED, "--exclude-path-regex", "^/public"]),
    ("eligibility", None, GENERATED), ("fund_custody", None, GENERATED),
    ("disbursement", None, GENERATED)]
"""Who fuzzes what: the officers whose roles reach a service's endpoints, with every phase
(boundary values included); nobody, with every phase on the public endpoints and generated
requests elsewhere (answered 401 before any handler runs)."""


@pytest.fixture(scope="module")
def cluster(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Cluster]:
    base = Path(tmp_path_factory.mktemp("fuzzing"))
    unlimited = {"SIQUAN_PUBLIC_RATE_PER_MINUTE": "0"}  # fuzz the handlers, not the limiter
    with running_cluster(siquan_env, base / "logs",
                         extra_env=dict.fromkeys(("eligibility", "fund_custody",
                                                  "disbursement", "oversight"), unlimited)
                         ) as running:
        yield running


async def _fuzz(url: str, officer: str | None, options: list[str], report: Path
                ) -> tuple[int, str]:
    command = [str(SCHEMATHESIS), "run", f"{url}/openapi.json", *options,
               "--checks", "not_a_server_error",
               "--max-examples", str(EXAMPLES), "--seed", SEED, "--workers", "1",
               "--no-shrink", "--request-timeout", "30", "--suppress-health-check", "all",
               "--report", "junit", "--report-junit-path", str(report)]
    if officer is not None:
        command += ["--header", f"Authorization: Bearer dev-{officer}"]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        cwd=report.parent,  # its cache stays with the test's files
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"})
    output, _ = await process.communicate()
    assert process.returncode is not None
    text = output.decode(errors="replace")
    report.with_suffix(".txt").write_text(text)
    return process.returncode, text


@pytest.mark.timeout(900)
async def test_no_request_to_any_service_is_answered_with_a_server_error(
        cluster: Cluster, tmp_path: Path) -> None:
    results = await asyncio.gather(*(
        _fuzz(cluster.url(service), officer, options, tmp_path / f"{number}-{service}.xml")
        for number, (service, officer, options) in enumerate(RUNS)))
    failed = [f"--- {service} as {officer or 'nobody'} (exit {code}):\n{output[-6000:]}"
              for (service, officer, _), (code, output) in zip(RUNS, results, strict=True)
              if code != 0]
    for process in cluster.all_processes():
        assert process.running, f"{process.name} died:\n{process.log_tail()}"
    assert not failed, "\n".join(failed)
