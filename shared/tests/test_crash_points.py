"""A crash point kills its process (SIGKILL) at the n-th arrival, and only when armed."""

import os
import signal
import subprocess
import sys

import pytest

from siquan.shared import crash_points

_SCRIPT = """
from siquan.shared import crash_points
for i in range(5):
    crash_points.reached("relay.after_publish")
    crash_points.reached("consumer.mid_batch")
    print(i, flush=True)
"""


def _run(armed: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != crash_points.VARIABLE}
    if armed is not None:
        env[crash_points.VARIABLE] = armed
    return subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_an_armed_point_kills_the_process_at_its_nth_arrival() -> None:
    done = _run("consumer.mid_batch:3")
    assert done.returncode == -signal.SIGKILL
    assert done.stdout.split() == ["0", "1"]


def test_unarmed_or_armed_elsewhere_the_process_runs_on() -> None:
    assert _run(None).stdout.split() == ["0", "1", "2", "3", "4"]
    assert _run("payer.after_bank").returncode == 0


def test_an_unknown_point_is_refused() -> None:
    done = _run("nowhere")
    assert done.returncode == 1
    assert "unknown crash point 'nowhere'" in done.stderr


def test_every_service_has_at_least_four_points() -> None:
    assert all(len(points) >= 4 for points in crash_points.BY_SERVICE.values())
    with pytest.raises(ValueError, match="unknown crash point"):
        os.environ[crash_points.VARIABLE] = "elsewhere"
        try:
            crash_points._arm()
        finally:
            del os.environ[crash_points.VARIABLE]

