"""The four services as separate processes, one cluster per module."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import Environment


@pytest.fixture(scope="module")
def cluster(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Cluster]:
    base = Path(tmp_path_factory.mktemp("cluster"))
    with running_cluster(siquan_env, base / "logs", trace_dir=base / "traces",
                         extra_env={"disbursement": {"SIQUAN_PAYMENT_CHUNK_SIZE": "2"}}
                         ) as running:
        yield running
