"""The three modes: only development and test mode create the development officer accounts
(`dev-<id>`); production never does, whatever else its environment holds. And the office's
time zone, which must be one the zone database knows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from siquan.shared.clock import FileClock, FixedClock
from siquan.shared.settings import InvalidSettings, ServiceSettings

GIVEN = {"amqp_url": "amqp://someone:s3cret@127.0.0.1:5672/siquan",
         "pg_dsn": "postgresql://someone:s3cret@127.0.0.1:5432/siquan"}


@pytest.mark.parametrize(("mode", "accounts"), [
    ("development", True), ("test", True), ("production", False)])
def test_development_accounts_only_in_development_and_test_mode(
        mode: str, accounts: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIQUAN_DEVELOPMENT_ACCOUNTS", "true")  # a former switch: ignored
    settings = ServiceSettings(mode=mode, **GIVEN)  # type: ignore[arg-type]
    assert settings.development_accounts_on is accounts


def test_production_is_the_default_and_an_unknown_mode_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIQUAN_MODE", raising=False)
    assert ServiceSettings(**GIVEN).mode == "production"
    monkeypatch.setenv("SIQUAN_MODE", "demo")
    with pytest.raises(ValidationError):
        ServiceSettings(**GIVEN)


def test_the_office_time_zone_must_exist() -> None:
    assert ServiceSettings(**GIVEN).office_timezone == "Asia/Shanghai"
    assert ServiceSettings(office_timezone="Asia/Urumqi", **GIVEN).office_timezone == \
        "Asia/Urumqi"
    with pytest.raises(ValidationError, match="no time zone is named"):
        ServiceSettings(office_timezone="Asia/Beijing", **GIVEN)


def test_a_clock_counts_days_in_the_office_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    evening = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # 1 December, 04:00 in Beijing
    monkeypatch.delenv("SIQUAN_OFFICE_TIMEZONE", raising=False)
    assert FixedClock(evening).today() == date(2026, 12, 1)
    assert FixedClock(evening, UTC).today() == date(2026, 11, 30)
    monkeypatch.setenv("SIQUAN_OFFICE_TIMEZONE", "America/Chicago")
    assert FixedClock(evening).today() == date(2026, 11, 30)
    assert FixedClock(evening).zone == ZoneInfo("America/Chicago")


def test_a_file_clock_reads_the_instant_written_and_the_system_time_without_one(
        tmp_path: Path) -> None:
    clock = FileClock(tmp_path / "clock", UTC)
    before = datetime.now(UTC)
    assert before <= clock.now() <= datetime.now(UTC)
    clock.set(datetime(2026, 11, 30, 20, 0, tzinfo=UTC))
    assert clock.now() == datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    (tmp_path / "clock").write_text("2026-12-01T09:30:00\n", encoding="utf-8")
    assert clock.now() == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # naive: UTC
    assert FileClock(tmp_path / "clock", ZoneInfo("Asia/Shanghai")).today() == date(2026, 12, 1)
    assert [p.name for p in tmp_path.iterdir()] == ["clock"]  # no temporary file left


def test_a_wrong_setting_stops_the_start_naming_it_but_not_its_value(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in GIVEN.items():
        monkeypatch.setenv(f"SIQUAN_{name.upper()}", value)
    monkeypatch.setenv("SIQUAN_OFFICE_TIMEZONE", "Asia/Beijing")
    monkeypatch.setenv("SIQUAN_CONSUMER_BATCH_SIZE", "0")
    monkeypatch.setenv("SIQUAN_PG_POOL_SIZE", "s3cret")

    with pytest.raises(InvalidSettings) as refused:
        ServiceSettings.from_environment("oversight")

    reason = str(refused.value)
    assert reason.startswith("siquan.oversight refuses to start: ")
    for name in ("SIQUAN_OFFICE_TIMEZONE", "SIQUAN_CONSUMER_BATCH_SIZE", "SIQUAN_PG_POOL_SIZE"):
        assert name in reason
    assert "s3cret" not in reason and "greater than or equal to 1" in reason
