"""Outside development mode disbursement does not start to exchange GBK batch files
with a bank without the key that signs them, nor with the development key."""

from __future__ import annotations

from pathlib import Path

import pytest

from siquan.disbursement.settings import DEVELOPMENT_BANK_FILE_KEY, DisbursementSettings
from siquan.shared.settings import MissingSecret


def production(tmp_path: Path, **given: str) -> DisbursementSettings:
    (tmp_path / "disbursement.key").write_text("a key")
    return DisbursementSettings(
        mode="production", amqp_url="amqp://someone:s3cret@127.0.0.1:5672/siquan",
        pg_dsn="postgresql://someone:s3cret@127.0.0.1:5432/siquan",
        person_key_secret="a-secret-of-this-deployment", keys_dir=tmp_path, **given)


def test_batch_files_without_a_bank_file_key_refuse_to_start(tmp_path: Path) -> None:
    with pytest.raises(MissingSecret, match="SIQUAN_BANK_FILE_KEY not given"):
        production(tmp_path, bank_adapter="batch_file",
                   bank_file_format="gbk").refuse_unsafe_start("disbursement")


@pytest.mark.parametrize("key", [DEVELOPMENT_BANK_FILE_KEY, "short"])
def test_a_development_or_short_bank_file_key_is_refused(tmp_path: Path, key: str) -> None:
    settings = production(tmp_path, bank_adapter="batch_file", bank_file_format="gbk",
                          bank_file_key=key)

    with pytest.raises(MissingSecret, match="SIQUAN_BANK_FILE_KEY holds"):
        settings.refuse_unsafe_start("disbursement")


def test_a_given_key_starts_and_the_simulated_bank_needs_none(tmp_path: Path) -> None:
    given = production(tmp_path, bank_adapter="batch_file", bank_file_format="gbk",
                       bank_file_key="a-key-shared-with-the-county-bank")
    given.refuse_unsafe_start("disbursement")
    production(tmp_path).refuse_unsafe_start("disbursement")
    production(tmp_path, bank_adapter="batch_file").refuse_unsafe_start("disbursement")
    assert given.bank_key_usable and not production(tmp_path).bank_key_usable
    assert DisbursementSettings(mode="development").bank_key_usable
