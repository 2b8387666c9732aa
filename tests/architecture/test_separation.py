"""The separation of powers as rules on the code itself."""

import subprocess
import sys
from pathlib import Path

from siquan.contracts.base import all_models

ROOT = Path(__file__).resolve().parents[2]
PERSONAL = {"person_key", "resident_id", "masked_name", "masked_resident_id", "name",
            "account_number", "masked_account"}


def test_no_service_imports_another() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_fund_custody_publishes_no_personal_data() -> None:
    for model in all_models().values():
        if model.producer == "fund_custody":
            assert not PERSONAL & set(model.model_fields), model.__name__


def test_no_event_carries_a_full_resident_id_or_account_number() -> None:
    for model in all_models().values():
        assert "resident_id" not in model.model_fields, model.__name__
        assert "account_number" not in model.model_fields, model.__name__
