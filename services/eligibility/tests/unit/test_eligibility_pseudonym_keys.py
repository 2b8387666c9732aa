"""Eligibility refuses to start outside development mode without a safe pseudonym key for
every partner agency."""

from pathlib import Path

import pytest

from siquan.eligibility.settings import EligibilitySettings
from siquan.shared.settings import MissingSecret

AGENCIES = ("civil_affairs", "education", "public_security", "social_security")


def _settings(tmp_path: Path, keys: dict[str, str] | None) -> EligibilitySettings:
    (tmp_path / "eligibility.key").write_text("not read here")
    given = {"amqp_url": "amqp://e:secret@mq/siquan", "pg_dsn": "postgresql://e:pw@db/e",
             "person_key_secret": "a-production-person-key", "keys_dir": tmp_path}
    if keys is not None:
        given["partner_pseudonym_keys"] = keys
    return EligibilitySettings(mode="production", **given)


@pytest.mark.parametrize("keys", [
    None,
    {a: f"{a}-key-of-32-characters-or-so" for a in AGENCIES[:3]},
    {a: "one-key-shared-by-every-agency!!" for a in AGENCIES},
    {a: f"siquan-dev-pseudonym-key-{a}" for a in AGENCIES},
], ids=["none", "one-missing", "shared", "development"])
def test_eligibility_refuses_unsafe_pseudonym_keys(tmp_path: Path,
                                                    keys: dict[str, str] | None) -> None:
    with pytest.raises(MissingSecret, match=r"SIQUAN_PARTNER_PSEUDONYM_KEYS|pseudonym key"):
        _settings(tmp_path, keys).refuse_unsafe_start("eligibility")


def test_eligibility_starts_with_a_key_of_its_own_for_each_agency(tmp_path: Path) -> None:
    _settings(tmp_path, {a: f"{a}-key-of-32-characters-or-so" for a in AGENCIES}
              ).refuse_unsafe_start("eligibility")
